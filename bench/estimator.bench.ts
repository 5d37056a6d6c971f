/**
 * Estimator benchmark: 5000 nodes in five pools (general, high-memory, tainted GPU, tainted
 * spot, infra), 100k pods from 300 workloads, seeded, so every run sees the same cluster.
 * Prints build time, heap held per pod, query latency (median, p99) with and without a
 * nodeSelector, and the cost of pod and node events; then the ratio against two baselines
 * timed in the same run on the same data:
 *   - naive: reference.ts, which scans and parses every pod on each query (the obvious way);
 *   - pre-parsed scan: pods' requests parsed once, but still summed per node on each query,
 *     so the ratio shows what the incremental sums themselves buy.
 * Run: npx tsx bench/estimator.bench.ts
 */
import { spawnSync } from 'node:child_process';
import {
  nodeSelectorMatches,
  requiredAffinityMatches,
  requiredTerms,
} from '../src/estimator/affinity.js';
import { Estimator } from '../src/estimator/index.js';
import type { NodeInput, PodInput, PodTemplateInput } from '../src/estimator/index.js';
import { referenceMaxReplicas } from '../src/estimator/reference.js';
import { effectiveRequests, readResourceList } from '../src/estimator/requests.js';
import { toUnits } from '../src/estimator/resources.js';
import { UNSCHEDULABLE_TAINT, untoleratedTaint } from '../src/estimator/tolerations.js';
import { prng } from './prng.js';

const NODES = 5000;
const PODS = 100_000;
const WORKLOADS = 300;
const QUERIES = 2000; // per template
const POD_EVENTS = 200_000;
const NODE_EVENTS = 20_000;
const NAIVE_QUERIES = 5;
const SEED = 20260327;

interface Pool {
  name: string;
  share: number; // of the nodes
  demand: number; // of the workloads
  allocatable: Record<string, string>;
  taint?: { key: string; value: string; effect: string };
}

const POOLS: Pool[] = [
  {
    name: 'general',
    share: 0.6,
    demand: 0.62,
    allocatable: { cpu: '15890m', memory: '62Gi', pods: '110' },
  },
  {
    name: 'highmem',
    share: 0.15,
    demand: 0.2,
    allocatable: { cpu: '31850m', memory: '250Gi', pods: '110' },
  },
  {
    name: 'gpu',
    share: 0.08,
    demand: 0.04,
    allocatable: { cpu: '63800m', memory: '500Gi', pods: '110', 'nvidia.com/gpu': '8' },
    taint: { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
  },
  {
    name: 'spot',
    share: 0.12,
    demand: 0.1,
    allocatable: { cpu: '7910m', memory: '30Gi', pods: '58' },
    taint: { key: 'spot', value: 'true', effect: 'NoExecute' },
  },
  {
    name: 'infra',
    share: 0.05,
    demand: 0.04,
    allocatable: { cpu: '3920m', memory: '14Gi', pods: '30' },
  },
];
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

function poolOf(i: number): Pool {
  let acc = 0;
  for (const p of POOLS) {
    acc += p.share * NODES;
    if (i < acc) return p;
  }
  return POOLS[0] as Pool;
}

function makeNodes(): NodeInput[] {
  const rand = prng(SEED);
  return Array.from({ length: NODES }, (_, i): NodeInput => {
    const pool = poolOf(i);
    const name = `node-${pool.name}-${String(i).padStart(5, '0')}`;
    const zone = ZONES[i % ZONES.length] ?? 'zone-a';
    return {
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': rand() < 0.2 ? 'arm64' : 'amd64',
          'topology.kubernetes.io/zone': zone,
          'topology.kubernetes.io/region': 'region-1',
          'node.kubernetes.io/instance-type': `${pool.name}.xlarge`,
          pool: pool.name,
          'node-generation': String(3 + Math.floor(rand() * 5)),
        },
      },
      spec: {
        unschedulable: rand() < 0.005,
        taints: pool.taint ? [pool.taint] : [],
      },
      status: {
        allocatable: pool.allocatable,
        conditions: [{ type: 'Ready', status: rand() < 0.01 ? 'False' : 'True' }],
      },
    };
  });
}

interface Workload {
  pool: Pool;
  /** What one pod takes: cpu in milli, memory in MiB, gpus. */
  need: { cpu: number; mem: number; gpu: number };
  spec: NonNullable<PodTemplateInput['spec']>;
}

function pickPool(r: number): Pool {
  let acc = 0;
  for (const p of POOLS) {
    acc += p.demand;
    if (r < acc) return p;
  }
  return POOLS[0] as Pool;
}

function makeWorkloads(rand: () => number): Workload[] {
  return Array.from({ length: WORKLOADS }, (): Workload => {
    const pool = pickPool(rand());
    const cpu = 50 + Math.floor(rand() * 40) * 25;
    const mem = 64 + Math.floor(rand() * 32) * 64;
    const gpu = pool.name === 'gpu' && rand() < 0.7 ? 1 : 0;
    const requests: Record<string, string> = { cpu: `${cpu}m`, memory: `${mem}Mi` };
    if (gpu) requests['nvidia.com/gpu'] = '1';
    const init = rand() < 0.3;
    return {
      pool,
      // The sidecar-free app sum; the init container (100m / 64Mi) never exceeds it.
      need: { cpu: cpu + 10, mem: mem + 32, gpu },
      spec: {
        containers: [
          { resources: { requests } },
          { resources: { requests: { cpu: '10m', memory: '32Mi' } } },
        ],
        ...(init
          ? { initContainers: [{ resources: { requests: { cpu: '100m', memory: '64Mi' } } }] }
          : {}),
        nodeSelector: { pool: pool.name },
        ...(pool.taint ? { tolerations: [{ key: pool.taint.key, operator: 'Exists' }] } : {}),
      },
    };
  });
}

/**
 * The pods, generated one at a time (so memory can be measured with nothing else holding them),
 * placed like a scheduler would: on a random node of the workload's pool with room left, else
 * left pending. 2% of the placed ones have finished.
 */
function* makePods(nodes: readonly NodeInput[]): Generator<PodInput> {
  const rand = prng(SEED + 1);
  const workloads = makeWorkloads(rand);
  const free = new Map<string, { cpu: number; mem: number; gpu: number; pods: number }>();
  const byPool = new Map<string, string[]>();
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    const pool = POOLS.find((p) => p.name === n.metadata?.labels?.pool) ?? (POOLS[0] as Pool);
    const a = pool.allocatable;
    free.set(name, {
      cpu: parseInt(a.cpu ?? '0', 10),
      mem: parseInt(a.memory ?? '0', 10) * 1024,
      gpu: Number(a['nvidia.com/gpu'] ?? 0),
      pods: Number(a.pods ?? 0),
    });
    byPool.set(pool.name, [...(byPool.get(pool.name) ?? []), name]);
  }
  for (let i = 0; i < PODS; i++) {
    const w = workloads[Math.floor(rand() * workloads.length)] as Workload;
    const candidates = byPool.get(w.pool.name) ?? [];
    let nodeName: string | undefined;
    for (let attempt = 0; attempt < 8 && !nodeName; attempt++) {
      const name = candidates[Math.floor(rand() * candidates.length)] ?? '';
      const f = free.get(name);
      if (f && f.cpu >= w.need.cpu && f.mem >= w.need.mem && f.gpu >= w.need.gpu && f.pods >= 1) {
        f.cpu -= w.need.cpu;
        f.mem -= w.need.mem;
        f.gpu -= w.need.gpu;
        f.pods -= 1;
        nodeName = name;
      }
    }
    const done = nodeName !== undefined && rand() < 0.02;
    yield {
      metadata: {
        uid: `${i.toString(16).padStart(8, '0')}-7c1e-4b7a-9f00-5e1d2c3b4a59`,
        namespace: 'apps',
        name: `w-${i}`,
      },
      spec: { ...w.spec, ...(nodeName ? { nodeName } : {}) },
      status: { phase: done ? 'Succeeded' : nodeName ? 'Running' : 'Pending' },
    };
  }
}

/**
 * Heap figures need gc(). Turning --expose-gc on at run time (v8.setFlagsFromString) slows the
 * whole run down several times, so re-run this file under the flag instead.
 */
function ensureGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) return gc;
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, '--expose-gc', ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}
const gc = ensureGc();
function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function timeEach(n: number, f: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    f(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return out.sort((a, b) => a - b);
}
const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
const fmt = (us: number): string =>
  us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;

/** The pre-parsed baseline: requests parsed once, per-node sums rebuilt on every query. */
function preparedScan(nodes: readonly NodeInput[], pods: readonly PodInput[]) {
  const prepared = pods.flatMap((p) => {
    const node = p.spec?.nodeName;
    if (!node || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return [];
    const req = [...effectiveRequests(p.spec)].map(([r, m]) => [r, toUnits(r, m)] as const);
    return [{ node, req }];
  });
  const views = nodes.map((n) => ({
    node: n,
    name: n.metadata?.name ?? '',
    labels: new Map(Object.entries(n.metadata?.labels ?? {})),
    alloc: new Map(
      [...readResourceList(n.status?.allocatable)].map(([r, m]) => [r, toUnits(r, m)]),
    ),
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  }));
  return (t: PodTemplateInput): number => {
    const used = new Map<string, Map<string, number>>();
    for (const p of prepared) {
      let u = used.get(p.node);
      if (!u) used.set(p.node, (u = new Map()));
      u.set('pods', (u.get('pods') ?? 0) + 1);
      for (const [r, v] of p.req) u.set(r, (u.get(r) ?? 0) + v);
    }
    const spec = t.spec;
    const want = [...effectiveRequests(spec)].map(([r, m]) => [r, toUnits(r, m)] as const);
    want.push(['pods', 1]);
    const selector = Object.entries(spec?.nodeSelector ?? {});
    let total = 0;
    for (const v of views) {
      if (!v.ready || !nodeSelectorMatches(selector, v.labels)) continue;
      if (v.node.spec?.unschedulable && untoleratedTaint([UNSCHEDULABLE_TAINT], spec?.tolerations))
        continue;
      if (!requiredAffinityMatches(requiredTerms(spec), v)) continue;
      if (untoleratedTaint(v.node.spec?.taints ?? [], spec?.tolerations)) continue;
      let fits = Infinity;
      for (const [r, a] of want) {
        const free = (v.alloc.get(r) ?? 0) - (used.get(v.name)?.get(r) ?? 0);
        fits = Math.min(fits, free <= 0 ? 0 : Math.floor(free / a));
      }
      total += fits;
    }
    return total;
  };
}

function timeBuild(nodes: readonly NodeInput[], pods: readonly PodInput[]) {
  const fresh = new Estimator();
  const t0 = performance.now();
  for (const n of nodes) fresh.upsertNode(n);
  const tNodes = performance.now() - t0;
  const t1 = performance.now();
  for (const p of pods) fresh.upsertPod(p);
  return { tNodes, tPods: performance.now() - t1 };
}

function main(): void {
  const nodes = makeNodes();

  // Memory: stream the pods in, so the heap delta is what the estimator itself keeps (the uid
  // strings included, which nothing else then holds).
  const before = heap();
  const est = new Estimator();
  for (const n of nodes) est.upsertNode(n);
  const afterNodes = heap();
  for (const p of makePods(nodes)) est.upsertPod(p);
  const afterPods = heap();
  const counted = est.stats.pods;

  // Build time, on a fresh estimator from pods already in memory (as an informer's list is).
  const pods = [...makePods(nodes)];
  const { tNodes, tPods } = timeBuild(nodes, pods);

  // Queries.
  const PLAIN = 'no nodeSelector (all 5000 nodes)';
  const plain: PodTemplateInput = {
    spec: { containers: [{ resources: { requests: { cpu: '500m', memory: '1Gi' } } }] },
  };
  const templates: [string, PodTemplateInput][] = [
    [PLAIN, plain],
    [
      'nodeSelector pool=gpu (400 nodes)',
      {
        spec: {
          containers: [
            { resources: { requests: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' } } },
          ],
          nodeSelector: { pool: 'gpu' },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
        },
      },
    ],
    [
      'nodeSelector pool=highmem + zone (250 nodes)',
      {
        spec: {
          containers: [{ resources: { requests: { cpu: '2', memory: '32Gi' } } }],
          nodeSelector: { pool: 'highmem', 'topology.kubernetes.io/zone': 'zone-b' },
        },
      },
    ],
    [
      'required affinity pool In [infra] (250 nodes)',
      {
        spec: {
          containers: [{ resources: { requests: { cpu: '250m', memory: '256Mi' } } }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'pool', operator: 'In', values: ['infra'] }] },
                ],
              },
            },
          },
        },
      },
    ],
  ];
  const answers = new Map<string, number>();
  const queryRows = templates.map(([label, t]) => {
    answers.set(label, est.maxReplicas(t));
    for (let i = 0; i < 100; i++) est.maxReplicas(t); // warm up the JIT
    const times = timeEach(QUERIES, () => est.maxReplicas(t));
    return { label, median: pct(times, 50), p99: pct(times, 99), fits: answers.get(label) };
  });

  // Baselines over the same pods.
  let naiveAnswer = 0;
  const naiveTimes = timeEach(NAIVE_QUERIES, () => {
    naiveAnswer = referenceMaxReplicas(nodes, pods, plain);
  });
  const scan = preparedScan(nodes, pods);
  const scanTimes = timeEach(NAIVE_QUERIES * 4, () => scan(plain));
  const mismatches = templates
    .filter(([label, t]) => scan(t) !== answers.get(label))
    .map(([l]) => l);
  if (naiveAnswer !== answers.get(PLAIN)) mismatches.push(`naive: ${PLAIN}`);

  // Events: status-only updates (the commonest), churn (delete one, add one elsewhere), and
  // node status updates.
  const rand = prng(SEED + 2);
  const bound = pods.filter((p) => p.spec?.nodeName && p.status?.phase === 'Running');
  const statusTimes = timeEach(POD_EVENTS, (i) =>
    est.upsertPod(bound[i % bound.length] as PodInput),
  );
  const churnTimes = timeEach(POD_EVENTS / 2, (i) => {
    const victim = bound[Math.floor(rand() * bound.length)] as PodInput;
    est.removePod(victim);
    est.upsertPod({ ...victim, metadata: { ...victim.metadata, uid: `churn-${i}` } });
  });
  const nodeTimes = timeEach(NODE_EVENTS, (i) =>
    est.upsertNode(nodes[i % nodes.length] as NodeInput),
  );

  const naiveMedian = pct(naiveTimes, 50);
  const scanMedian = pct(scanTimes, 50);
  const ours = queryRows[0]?.median ?? NaN;
  const lines = [
    `estimator benchmark: ${NODES} nodes, ${PODS} pods (${counted} bound and non-terminal), seed ${SEED}`,
    `build: nodes ${tNodes.toFixed(0)} ms (${((tNodes * 1000) / NODES).toFixed(1)} µs/node), pods ${tPods.toFixed(0)} ms (${((tPods * 1000) / PODS).toFixed(2)} µs/pod)`,
    `heap: nodes ${((afterNodes - before) / 2 ** 20).toFixed(1)} MiB (${((afterNodes - before) / NODES).toFixed(0)} B/node incl. label index), pods ${((afterPods - afterNodes) / 2 ** 20).toFixed(1)} MiB (${((afterPods - afterNodes) / counted).toFixed(0)} B/pod), ${est.stats.vectors} shared request vectors`,
    `queries (${QUERIES} each):`,
    ...queryRows.map(
      (r) =>
        `  ${r.label.padEnd(48)} median ${fmt(r.median).padStart(9)}  p99 ${fmt(r.p99).padStart(9)}  fits ${r.fits}`,
    ),
    `pod events: status-only update ${fmt(pct(statusTimes, 50))} median / ${fmt(pct(statusTimes, 99))} p99; delete+add ${fmt(pct(churnTimes, 50))} / ${fmt(pct(churnTimes, 99))}`,
    `node events: update ${fmt(pct(nodeTimes, 50))} median / ${fmt(pct(nodeTimes, 99))} p99`,
    `baseline, no-nodeSelector query over the same ${PODS} pods:`,
    `  naive (reference.ts, scans and parses every pod): median ${fmt(naiveMedian)} -> ${(naiveMedian / ours).toFixed(0)}x slower (same answer: ${naiveAnswer})`,
    `  pre-parsed scan (sums rebuilt per query):          median ${fmt(scanMedian)} -> ${(scanMedian / ours).toFixed(0)}x slower (same answers for all ${templates.length} templates)`,
  ];
  console.log(lines.join('\n'));
  if (mismatches.length > 0) {
    console.error(`MISMATCH with the baselines: ${mismatches.join('; ')}`);
    process.exitCode = 1;
  }
}

main();
