/**
 * `make fleet-up|fleet-down|fleet-status`: the local fleet from the command line.
 *   tsx e2e/fleet/cli.ts up [--topology config/topologies/demo.yaml] [--state .fleet/demo]
 *   tsx e2e/fleet/cli.ts down [--state .fleet/demo]
 *   tsx e2e/fleet/cli.ts status [--state .fleet/demo]
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_STATE_ROOT,
  TOPOLOGIES,
  fleetDown,
  fleetMemory,
  fleetUp,
  isHealthy,
  readState,
  type FleetState,
} from './index.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    topology: { type: 'string', default: join(TOPOLOGIES, 'demo.yaml') },
    state: { type: 'string' },
    'idle-seconds': { type: 'string' },
    'scale-up-delay-seconds': { type: 'string' },
    // A cluster alias that gets one real node (containerd + kubelet; root): docs/local-fleet.md.
    'real-node': { type: 'string' },
  },
});
const command = positionals[0] ?? 'status';
const topologyName = (values.topology ?? '').replace(/^.*\//, '').replace(/\.ya?ml$/, '');
const stateDir = resolve(values.state ?? join(DEFAULT_STATE_ROOT, topologyName));
const log = (line: string) => process.stderr.write(`[fleet] ${line}\n`);
const rel = (p: string) => relative(process.cwd(), p) || '.';

function printClusters(state: FleetState): void {
  console.log(`fleet ${state.topology.name} (state in ${rel(state.stateDir)})`);
  for (const c of state.clusters) {
    console.log(
      `  ${c.alias.padEnd(18)} ${c.role.padEnd(6)} ${c.name.padEnd(14)} ${c.server}  kubeconfig: ${rel(c.kubeconfigPath)}`,
    );
  }
  console.log(`all contexts: export KUBECONFIG=${rel(state.kubeconfigPath)}`);
  const mem = fleetMemory(state);
  console.log(
    `processes: ${state.processes.length}, resident memory: ${(mem.total / 2 ** 20).toFixed(0)} MiB`,
  );
}

switch (command) {
  case 'up': {
    const t0 = Date.now();
    const state = await fleetUp({
      topologyPath: values.topology ?? '',
      stateDir,
      log,
      ...(values['idle-seconds'] ? { idleSeconds: Number(values['idle-seconds']) } : {}),
      ...(values['scale-up-delay-seconds']
        ? { scaleUpDelaySeconds: Number(values['scale-up-delay-seconds']) }
        : {}),
      ...(values['real-node'] ? { realNode: values['real-node'] } : {}),
    });
    printClusters(state);
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    break;
  }
  case 'down':
    await fleetDown(stateDir, log);
    log(`stopped; removed ${rel(stateDir)}`);
    break;
  case 'status': {
    const state = readState(stateDir);
    if (!state) {
      console.log(`no fleet in ${rel(stateDir)}`);
      process.exitCode = 1;
      break;
    }
    printClusters(state);
    const mem = fleetMemory(state);
    for (const p of mem.byProcess)
      console.log(
        `  ${p.name.padEnd(36)} pid ${String(p.pid).padEnd(8)} ${(p.rss / 2 ** 20).toFixed(0)} MiB`,
      );
    const healthy = await isHealthy(state);
    console.log(healthy ? 'healthy' : 'NOT healthy (some process or API server is down)');
    if (!healthy) process.exitCode = 1;
    break;
  }
  default:
    console.error(`unknown command ${command}; use up, down or status`);
    process.exitCode = 2;
}
