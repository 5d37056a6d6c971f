/**
 * Fleet at scale: N Deployments under a spill policy across 3 members (a small first group that
 * fills, then two large ones) with a few thousand kwok nodes, the fleet controller running as its
 * own process. For each N (a fresh fleet and controller each time) it prints:
 *   - converge: time from applying all N templates to every member copy existing and Ready;
 *   - hub-scale latency p50/p99 of one workload while the others are bound, and the same scale
 *     sent straight to a member Deployment (baseline, same run), with their ratio;
 *   - the controller's RSS and CPU seconds, and the API requests it made (counted client-side
 *     by the controller, `spillway_api_requests_total`), by verb, in total and per workload;
 *   - after convergence, writes and CPU over BENCH_IDLE_S idle seconds; heartbeats (Lease
 *     renewals, each MemberCluster's status refreshed every 5 minutes) are counted apart.
 *   - the V8 heap in use and memory outside it beside the RSS.
 *
 * Env: BENCH_N (default "100,1000"; e.g. "100" for a short run, "100,1000,3000" for the full
 * curve), BENCH_NODES (kwok nodes per large member, default 1000; the first member has 5),
 * BENCH_SCALES (default 20), BENCH_IDLE_S (default 60), BENCH_CPU_PROF (a directory: the
 * controller writes a V8 CPU profile of each run there when it stops, for Chrome DevTools),
 * BENCH_WORKERS (the controller's --workers; default: the controller's own default),
 * BENCH_HEAP_SNAPSHOT (a directory: the controller writes a V8 heap snapshot there once the N
 * workloads have converged), BENCH_WRITE_LOG (a file: the controller appends one line per write
 * request it sends, method and path, to tell which writes a figure counts; runs it through tsx),
 * BENCH_NODE_ARGS (more Node.js flags for the controller, space-separated, e.g.
 * "--max-semi-space-size=4" to see what V8's young generation adds to the RSS), BENCH_TSX=1 (run the controller from source through tsx; by default it is compiled first
 * and run as the image runs it, since tsx alone adds about 90 MiB to the RSS measured).
 * Run: make bench-scale   (or node --import tsx bench/fleet-scale-many.bench.ts)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppsV1Api } from '@kubernetes/client-node';
import {
  DEFAULT_STATE_ROOT,
  REPO_ROOT,
  fleetDown,
  fleetUp,
  hub,
  kubeConfigFor,
  member,
} from '../e2e/fleet/index.js';
import { stopProcess } from '../e2e/fleet/processes.js';
import { waitFor } from '../e2e/fleet/readiness.js';
import { clients, deployment, ensureNamespace } from '../e2e/support/kube.js';
import {
  installCrds,
  kubectl,
  registerMembers,
  startControllerProcess,
  tieredPolicy,
} from '../e2e/support/spillway.js';
import { healthPortOf, requestsBetween, scrape, settle } from './controller-metrics.js';
import {
  compileController,
  inParallel,
  memberReplicas,
  quantile,
  readyWorkloads,
  sleep,
  timeUntil,
} from './fleet-bench.js';

const SIZES = (process.env.BENCH_N ?? '100,1000').split(',').map(Number);
const NODES = Number(process.env.BENCH_NODES ?? 1000);
const SCALES = Number(process.env.BENCH_SCALES ?? 20);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const WORKERS = process.env.BENCH_WORKERS;
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT;
const WRITE_LOG = process.env.BENCH_WRITE_LOG;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
const COMPILED =
  process.env.BENCH_TSX === '1' || WRITE_LOG
    ? undefined
    : compileController(join(DEFAULT_STATE_ROOT, 'bench-many-dist'));
const NS = 'many';
const stateDir = join(DEFAULT_STATE_ROOT, 'bench-many');
const MEMBERS = ['first', 'second', 'third'] as const;

/** Three members: "first" has 5 nodes (550 pods), so larger N spill to the other two. */
function topology(): string {
  const pool = (count: number) => `    nodePools:
      - name: pool
        count: ${count}
        capacity: { cpu: '16', memory: 64Gi, pods: '110' }`;
  const ids = ['a1b2c3d4e5f6', 'b2c3d4e5f6a1', 'c3d4e5f6a1b2'];
  return `name: many
members:
${MEMBERS.map(
  (m, i) => `  - id: ${ids[i]}
    alias: ${m}
    labels: { tier: ${m} }
${pool(i === 0 ? 5 : NODES)}`,
).join('\n')}
`;
}

interface Row {
  n: number;
  convergeS: number;
  p50: number;
  p99: number;
  directP50: number;
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  peakRssMiB: number;
  cpuS: number;
  requests: number;
  byVerb: Record<string, number>;
  byVerbResource: Record<string, number>;
  reconciles: number;
  idleWrites: number;
  /** Lease renewals and MemberCluster status refreshes in the idle window, not counted above. */
  idleHeartbeats: Record<string, number>;
  /** Every request of the idle window by "verb resource", to tell which write it was. */
  idleByVerbResource: Record<string, number>;
  idleCpuS: number;
}

async function runSize(n: number): Promise<Row> {
  await fleetDown(stateDir);
  mkdirSync(stateDir, { recursive: true });
  const topologyPath = join(DEFAULT_STATE_ROOT, 'bench-many-topology.yaml');
  writeFileSync(topologyPath, topology());
  const t0 = performance.now();
  const state = await fleetUp({ topologyPath, stateDir, provisioner: false });
  console.log(`  [N=${n}] fleet up in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const controller = startControllerProcess(state, {
    nodeArgs: [
      ...NODE_ARGS,
      ...(CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=N${n}.cpuprofile`]
        : []),
      ...(HEAP_SNAPSHOT
        ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${HEAP_SNAPSHOT}`]
        : []),
    ],
    ...(WORKERS ? { args: ['--workers', WORKERS] } : {}),
    ...(WRITE_LOG
      ? {
          preload: [join(REPO_ROOT, 'e2e', 'chaos', 'write-log.ts')],
          env: { SPILLWAY_WRITE_LOG: WRITE_LOG },
        }
      : {}),
    ...(COMPILED ? { compiled: COMPILED } : {}),
  });
  try {
    const hubKc = kubeConfigFor(hub(state));
    await installCrds(hubKc);
    await registerMembers(state);
    const ms = MEMBERS.map((m) => member(state, m));
    const memberApps = ms.map((m) => clients(kubeConfigFor(m)).apps);
    const hubApps = clients(hubKc).apps;
    await ensureNamespace(clients(hubKc).core, NS);
    for (const m of ms) await ensureNamespace(clients(kubeConfigFor(m)).core, NS);
    kubectl(
      hub(state).kubeconfigPath,
      ['apply', '-f', '-'],
      tieredPolicy({
        name: 'spill',
        namespace: NS,
        groups: ms.map((m) => [m.name, [m.name]]),
        selector: { kind: 'Deployment' },
      }),
    );
    const port = await healthPortOf(controller);
    await settle(port);
    const start = await scrape(port);

    // Converge: all N templates applied, then every copy exists and is Ready.
    const applied = performance.now();
    await inParallel(n, 16, async (i) => {
      await hubApps.createNamespacedDeployment({
        namespace: NS,
        body: deployment(`w-${i}`, NS, 1, { cpu: '100m' }),
      });
    });
    let peakRss = 0;
    let nextLog = performance.now() + 30_000;
    await waitFor(`${n} workloads Ready in the members`, 60 * 60_000, async () => {
      const now = await scrape(port);
      peakRss = Math.max(peakRss, now.rssBytes);
      const done = await readyWorkloads(memberApps, NS);
      // Progress, to see where the time goes: Ready so far, the work queue, reconciles, CPU.
      if (performance.now() > nextLog) {
        nextLog = performance.now() + 30_000;
        console.log(
          `  [N=${n}] ${((performance.now() - applied) / 1000).toFixed(0)} s: ${done} Ready, ` +
            `queue ${now.queueDepth}, reconciles ${now.reconciles - start.reconciles}, ` +
            `CPU ${(now.cpuSeconds - start.cpuSeconds).toFixed(0)} s, ` +
            `requests ${requestsBetween(start, now).total}`,
        );
      }
      return done >= n;
    });
    const convergeS = (performance.now() - applied) / 1000;
    await settle(port);
    const converged = await scrape(port);
    peakRss = Math.max(peakRss, converged.rssBytes);
    const reqs = requestsBetween(start, converged);
    if (HEAP_SNAPSHOT) {
      mkdirSync(HEAP_SNAPSHOT, { recursive: true });
      process.kill(controller.pid, 'SIGUSR2');
      await sleep(30_000); // written synchronously by the controller; it answers again after
      console.log(`  [N=${n}] heap snapshot requested into ${HEAP_SNAPSHOT}`);
    }

    // Idle: nothing changes for IDLE_S seconds.
    await sleep(IDLE_S * 1000);
    const idle = await scrape(port);
    const idleReqs = requestsBetween(converged, idle);

    // Hub scale of one workload while the others are bound, and the direct baseline.
    const first = memberApps[0] as AppsV1Api;
    await first.createNamespacedDeployment({
      namespace: NS,
      body: deployment('direct', NS, 1, { cpu: '1m' }),
    });
    const via: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < SCALES; i++) {
      const want = i % 2 === 0 ? 2 : 1; // 2, 1, 2, ...: stays in the first member
      let t = performance.now();
      await hubApps.patchNamespacedDeploymentScale({
        name: 'w-0',
        namespace: NS,
        body: [{ op: 'replace', path: '/spec/replicas', value: want }],
      });
      via.push(await timeUntil(t, want, () => memberReplicas(memberApps, NS, 'w-0')));
      t = performance.now();
      await first.patchNamespacedDeploymentScale({
        name: 'direct',
        namespace: NS,
        body: [{ op: 'replace', path: '/spec/replicas', value: want }],
      });
      direct.push(
        await timeUntil(t, want, () =>
          first
            .readNamespacedDeployment({ name: 'direct', namespace: NS })
            .then((d) => d.spec?.replicas ?? 0),
        ),
      );
      await sleep(300);
    }
    return {
      n,
      convergeS,
      p50: quantile(via, 0.5),
      p99: quantile(via, 0.99),
      directP50: quantile(direct, 0.5),
      rssMiB: converged.rssBytes / 2 ** 20,
      heapMiB: converged.heapUsedBytes / 2 ** 20,
      externalMiB: converged.externalBytes / 2 ** 20,
      peakRssMiB: peakRss / 2 ** 20,
      cpuS: converged.cpuSeconds - start.cpuSeconds,
      requests: reqs.total,
      byVerb: reqs.byVerb,
      byVerbResource: reqs.byVerbResource,
      reconciles: converged.reconciles - start.reconciles,
      idleWrites: idleReqs.writes,
      idleHeartbeats: idleReqs.heartbeats,
      idleByVerbResource: idleReqs.byVerbResource,
      idleCpuS: idle.cpuSeconds - converged.cpuSeconds,
    };
  } finally {
    await stopProcess(controller, CPU_PROF ? 120_000 : undefined); // a profile takes a while
    await fleetDown(stateDir);
  }
}

const rows: Row[] = [];
for (const n of SIZES) {
  const row = await runSize(n);
  rows.push(row);
  console.log(`  [N=${n}] ${JSON.stringify(row)}`);
}
console.log(
  `\nfleet at scale: 3 members (5 + ${NODES} + ${NODES} kwok nodes), one 100m replica per workload, spill policy, ` +
    `controller ${COMPILED ? 'compiled' : 'through tsx'}, workers ${WORKERS ?? 'default'}`,
);
console.log(
  '| N | converge s | hub scale p50 / p99 ms | direct p50 ms | ratio p50 | RSS MiB (peak) | heap MiB | CPU s | API requests (per workload) | by verb | idle writes / CPU s in ' +
    `${IDLE_S} s | idle heartbeats (not writes of work) |`,
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.n} | ${r.convergeS.toFixed(1)} | ${r.p50.toFixed(0)} / ${r.p99.toFixed(0)} | ` +
      `${r.directP50.toFixed(0)} | ${(r.p50 / Math.max(1, r.directP50)).toFixed(1)}x | ` +
      `${r.rssMiB.toFixed(0)} (${r.peakRssMiB.toFixed(0)}) | ${r.heapMiB.toFixed(0)} | ` +
      `${r.cpuS.toFixed(1)} | ` +
      `${r.requests} (${(r.requests / r.n).toFixed(1)}) | ${JSON.stringify(r.byVerb)} | ` +
      `${r.idleWrites} / ${r.idleCpuS.toFixed(1)} | ` +
      `${Object.entries(r.idleHeartbeats)
        .map(([res, n]) => `${res} ${n}`)
        .join(', ')} |`,
  );
