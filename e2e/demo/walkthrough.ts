/**
 * `make demo`: the fleet seed's walkthrough on a fresh local fleet, narrated with the seed's own
 * commands. Registers the members on the hub, starts `spillway fleet-controller` (stopped by
 * `make fleet-down` with the rest of the fleet), applies the seed's manifests verbatim and
 * scales 2 -> 4 -> 2, printing `kubectl amc` output at each step.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT, hub, kubeConfigFor, member, readState } from '../fleet/index.js';
import { writeJson } from '../fleet/processes.js';
import { waitFor } from '../fleet/readiness.js';
import { clients, isRunning, isUnschedulable, podsOf } from '../support/kube.js';
import {
  SEED_DEMO,
  installCrds,
  registerMembers,
  seedPolicy,
  startControllerProcess,
} from '../support/spillway.js';

const { values } = parseArgs({ options: { state: { type: 'string', default: '.fleet/demo' } } });
const stateDir = values.state ?? '.fleet/demo';
const state = readState(stateDir);
if (!state) throw new Error(`no fleet in ${stateDir}: run make fleet-up`);

const hubKubeconfig = hub(state).kubeconfigPath;
const idc = member(state, 'cluster-idc-demo');
const bj = member(state, 'cluster-bj-demo');
const bin = join(state.stateDir, 'bin');
const env = { ...process.env, KUBECONFIG: hubKubeconfig, PATH: `${bin}:${process.env.PATH ?? ''}` };

const say = (line: string) => console.log(`\n### ${line}`);
function run(cmd: string, input?: string): void {
  console.log(`$ ${cmd}`);
  const [exe = '', ...args] = cmd.split(' ');
  process.stdout.write(execFileSync(exe, args, { env, encoding: 'utf8', input }));
}
const pods = async (c: typeof idc) =>
  (await podsOf(clients(kubeConfigFor(c)).core, 'test', 'qwen3')).filter(
    (p) => !p.metadata?.deletionTimestamp,
  );

// kubectl finds plugins on PATH: a kubectl-amc that runs the TypeScript source with tsx.
mkdirSync(bin, { recursive: true });
writeFileSync(
  join(bin, 'kubectl-amc'),
  `#!/bin/sh\nexec "${join(REPO_ROOT, 'node_modules', '.bin', 'tsx')}" "${join(REPO_ROOT, 'src', 'cli', 'kubectl-amc.ts')}" "$@"\n`,
);
chmodSync(join(bin, 'kubectl-amc'), 0o755);

say('Prerequisites: Spillway CRDs on the hub, both member clusters registered');
await installCrds(kubeConfigFor(hub(state)));
await registerMembers(state);
run('kubectl get memberclusters');
const controller = startControllerProcess(state);
state.processes.push(controller); // so that make fleet-down stops it too
writeJson(join(state.stateDir, 'state.json'), state);
console.log(`spillway fleet-controller started (pid ${controller.pid}, log ${controller.log})`);

say('Step 1: deploy the demo service in the fleet (seed demo.yaml, verbatim)');
run('kubectl create ns test');
run(`kubectl apply -f ${SEED_DEMO}`);

say('Step 2: the propagation policies (seed demo-pp.yaml, cluster IDs filled in)');
run('kubectl apply -f -', seedPolicy(idc.name, bj.name));

say('Step 3.1: both replicas run in the IDC cluster');
await waitFor(
  '2 Running pods in cluster-idc-demo',
  120_000,
  async () => (await pods(idc)).filter(isRunning).length === 2,
);
run('kubectl amc get pod -ntest -M');
run('kubectl get deploy qwen3 -ntest');

say(
  'Step 3.2: scale out to 4 replicas; the 2 new ones go to cluster-bj-demo and wait for GPU nodes',
);
run('kubectl scale deploy qwen3 -ntest --replicas=4');
await waitFor('2 Pending pods in cluster-bj-demo', 60_000, async () => {
  const p = await pods(bj);
  return p.length === 2 && p.every(isUnschedulable);
});
run('kubectl amc get pod -ntest -M -o wide');
run('kubectl amc get node -M');
console.log("(the simulated cloud adds the GPU nodes after the pool's scale-up delay)");
await waitFor(
  '2 Running pods in cluster-bj-demo',
  180_000,
  async () => (await pods(bj)).filter(isRunning).length === 2,
);
run('kubectl amc get pod -ntest -M');
run('kubectl amc get node -M');
await waitFor('hub Deployment 4/4', 60_000, async () => {
  const d = await clients(kubeConfigFor(hub(state))).apps.readNamespacedDeployment({
    name: 'qwen3',
    namespace: 'test',
  });
  return d.status?.readyReplicas === 4;
});
run('kubectl get deploy qwen3 -ntest');

say('Step 3.3: scale in to 2; the cloud replicas are removed first');
run('kubectl scale deploy qwen3 -ntest --replicas=2');
await waitFor('no pods in cluster-bj-demo', 60_000, async () => (await pods(bj)).length === 0);
run('kubectl amc get pod -ntest -M');
run('kubectl get resourcebinding -ntest');
console.log(
  `\nThe idle GPU nodes leave cluster-bj-demo after 10 minutes. The fleet keeps running: export KUBECONFIG=${state.kubeconfigPath}; make fleet-down stops it.`,
);
