/**
 * Spillway and Karmada side by side on one local fleet: the same hub API server, the same three
 * members (registered as Spillway MemberClusters and as Karmada Push-mode Clusters), the same
 * workloads in separate namespaces. Karmada's controller-manager, scheduler and webhook are built
 * from a Karmada checkout (KARMADA_SRC; see bench/karmada/control-plane.ts for what runs and why).
 * It prints:
 *   - placement: for Divided workloads with dynamic and static weights, the replicas per cluster
 *     each system chose, step by step (each system alone on an empty fleet, so both see the same
 *     free room);
 *   - for each N of BENCH_N, in stages: the time to converge the workloads that bring each system
 *     to N (every member copy Ready; each system in turn, the earlier stages' workloads staying
 *     bound), then hub-scale latency p50/p99 with those N bound: a hub Deployment scaled, until the
 *     member Deployments ask for the new total; the two systems' scales interleaved, with a
 *     direct member scale as baseline;
 *   - RSS and CPU seconds of every controller process, and the API requests each made.
 *
 * Env: KARMADA_SRC (a Karmada checkout with vendor/; without it the bench says so and exits 0),
 * KARMADA_VERSION (when the checkout's version cannot be told), BENCH_N (default 100; a list such
 * as 1000,3000 runs the stages in turn), BENCH_SCALES (default 20), BENCH_PLACEMENT=0 (skip the
 * placement comparison, which does not depend on N).
 * Run: make bench-karmada KARMADA_SRC=~/src/karmada
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import type { AppsV1Api } from '@kubernetes/client-node';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  DEFAULT_STATE_ROOT,
  fleetDown,
  fleetUp,
  hub,
  kubeConfigFor,
  member,
} from '../e2e/fleet/index.js';
import type { FleetState } from '../e2e/fleet/index.js';
import { rssBytes, stopProcess, type ProcessRecord } from '../e2e/fleet/processes.js';
import { waitFor } from '../e2e/fleet/readiness.js';
import { clients, deployment, ensureNamespace } from '../e2e/support/kube.js';
import {
  installCrds,
  kubectl,
  registerMembers,
  startControllerProcess,
} from '../e2e/support/spillway.js';
import { healthPortOf, scrape } from './controller-metrics.js';
import {
  compileController,
  inParallel,
  listDeployments,
  quantile,
  memberReplicas,
  readyWorkloads,
  scaleDeployment,
  sleep,
  timeUntil,
} from './fleet-bench.js';
import {
  buildKarmada,
  karmadaVersion,
  startKarmada,
  type KarmadaCluster,
  type KarmadaProcesses,
} from './karmada/control-plane.js';

const SRC = process.env.KARMADA_SRC;
if (!SRC) {
  console.log(
    'karmada side by side: SKIPPED: KARMADA_SRC is not set. It must name a Karmada checkout ' +
      '(with its vendor/ directory), e.g. `make bench-karmada KARMADA_SRC=~/src/karmada`.',
  );
  process.exit(0);
}
if (!existsSync(join(SRC, 'go.mod')) || !existsSync(join(SRC, 'vendor'))) {
  console.log(
    `karmada side by side: SKIPPED: KARMADA_SRC=${SRC} is not a Karmada checkout with go.mod and vendor/.`,
  );
  process.exit(0);
}
if (!karmadaVersion(SRC)) {
  console.log(
    `karmada side by side: SKIPPED: cannot tell the version of ${SRC}: set KARMADA_VERSION (e.g. v1.18.2).`,
  );
  process.exit(0);
}

const STAGES = (process.env.BENCH_N ?? '100')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const N_MAX = STAGES[STAGES.length - 1] ?? 100;
const SCALES = Number(process.env.BENCH_SCALES ?? 20);
// Spillway runs compiled, as its image does (through tsx its loader alone adds about 90 MiB).
const COMPILED = compileController(join(DEFAULT_STATE_ROOT, 'bench-karmada-dist'));
const PLACEMENT = process.env.BENCH_PLACEMENT !== '0';
// Both systems' workloads stay bound to the end (2 x N_MAX one-replica pods on 16 nodes): the pod
// limit per node grows with N so that room, not the limit, never decides; the ratio between the
// clusters (3:5:8), which is all a dynamic-weight split reads, stays the same.
const PODS_PER_NODE = Math.max(110, Math.ceil(((2 * N_MAX + 300) / 16) * 1.25));
// 10m per converging workload: 2 x 3000 of them fit the fleet's 256 CPU many times over.
const MANY_CPU = '10m';
const stateDir = join(DEFAULT_STATE_ROOT, 'bench-karmada');
const MEMBERS = [
  ['alpha', 3],
  ['beta', 5],
  ['gamma', 8],
] as const;
type System = 'spillway' | 'karmada';
const SYSTEMS: System[] = ['spillway', 'karmada'];
const nsOf = (s: System, what: string) => `${s === 'spillway' ? 'sw' : 'km'}-${what}`;

function topology(): string {
  const ids = ['a1b2c3d4e5f6', 'b2c3d4e5f6a1', 'c3d4e5f6a1b2'];
  return `name: karmada-side-by-side
members:
${MEMBERS.map(
  ([alias, count], i) => `  - id: ${ids[i]}
    alias: ${alias}
    labels: { tier: ${alias} }
    nodePools:
      - name: pool
        count: ${count}
        capacity: { cpu: '16', memory: 64Gi, pods: '${PODS_PER_NODE}' }`,
).join('\n')}
`;
}

// ---- policies: one placement body, two API groups ----

type Division =
  | { kind: 'dynamic' }
  | { kind: 'static'; weights: Record<string, number> }
  | { kind: 'aggregated' };

/** `only`: the one Deployment it selects; without it, every Deployment of the namespace. */
function policyYaml(
  s: System,
  ns: string,
  name: string,
  clusters: string[],
  d: Division,
  only?: string,
): string {
  const group = s === 'spillway' ? 'policy.one.alibabacloud.com' : 'policy.karmada.io';
  const weightPreference =
    d.kind === 'dynamic'
      ? { dynamicWeight: 'AvailableReplicas' }
      : d.kind === 'static'
        ? {
            staticWeightList: Object.entries(d.weights).map(([c, weight]) => ({
              targetCluster: { clusterNames: [c] },
              weight,
            })),
          }
        : undefined;
  return JSON.stringify({
    apiVersion: `${group}/v1alpha1`,
    kind: 'PropagationPolicy',
    metadata: { name, namespace: ns },
    spec: {
      resourceSelectors: [
        { apiVersion: 'apps/v1', kind: 'Deployment', ...(only ? { name: only } : {}) },
      ],
      placement: {
        clusterAffinity: { clusterNames: clusters },
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: d.kind === 'aggregated' ? 'Aggregated' : 'Weighted',
          ...(weightPreference ? { weightPreference } : {}),
        },
      },
    },
  });
}

// ---- reading what each system decided ----

interface Binding {
  metadata: { generation?: number };
  spec?: { replicas?: number; clusters?: { name: string; replicas?: number }[] };
  status?: { schedulerObservedGeneration?: number };
}

async function readBindingOf(
  kc: KubeConfig,
  s: System,
  ns: string,
  name: string,
): Promise<Binding | undefined> {
  const [group, version] =
    s === 'spillway' ? ['fleet.spillway.dev', 'v1alpha1'] : ['work.karmada.io', 'v1alpha2'];
  return kc
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural: 'resourcebindings',
      name: `${name}-deployment`,
    })
    .catch(() => undefined) as Promise<Binding | undefined>;
}

/** Replicas per cluster alias, once the binding asks for `want` and has stayed the same for 2 s. */
async function settledPlacement(
  kc: KubeConfig,
  s: System,
  ns: string,
  name: string,
  want: number,
  alias: Map<string, string>,
): Promise<string> {
  const show = (b: Binding | undefined) =>
    (b?.spec?.clusters ?? [])
      .filter((c) => (c.replicas ?? 0) > 0)
      .map((c) => `${alias.get(c.name) ?? c.name} ${c.replicas}`)
      .sort()
      .join(', ');
  let last = '';
  let since = performance.now();
  const start = performance.now();
  for (;;) {
    const b = await readBindingOf(kc, s, ns, name);
    const total = (b?.spec?.clusters ?? []).reduce((a, c) => a + (c.replicas ?? 0), 0);
    const observed =
      s === 'spillway' || b?.status?.schedulerObservedGeneration === b?.metadata.generation;
    const now = `${show(b)}`;
    const ok = b?.spec?.replicas === want && total === want && observed;
    if (!ok || now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since > 2000) return now;
    if (performance.now() - start > 60_000)
      return `${now || 'nothing'} (not settled: ${total} of ${want})`;
    await sleep(250);
  }
}

// ---- process figures ----

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime
  } catch {
    return NaN;
  }
}

/** API requests a process made so far (all hosts): Spillway's own counter, client-go's for Karmada. */
async function requestsOf(port: number, spillway: boolean): Promise<number> {
  try {
    if (spillway) return Object.values((await scrape(port)).requests).reduce((a, b) => a + b, 0);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let n = 0;
    for (const line of text.split('\n'))
      if (line.startsWith('rest_client_requests_total{')) n += Number(line.split(' ').pop());
    return n;
  } catch {
    return NaN;
  }
}

interface Proc {
  system: System;
  rec: ProcessRecord;
  metricsPort: number;
}

interface Snapshot {
  cpu: number;
  rss: number;
  requests: number;
}

async function snapshot(p: Proc): Promise<Snapshot> {
  return {
    cpu: cpuSeconds(p.rec.pid),
    rss: rssBytes(p.rec.pid),
    requests: await requestsOf(p.metricsPort, p.system === 'spillway'),
  };
}

async function snapshots(ps: Proc[]): Promise<Map<string, Snapshot>> {
  const out = new Map<string, Snapshot>();
  for (const p of ps) out.set(p.rec.name, await snapshot(p));
  return out;
}

/** The 1-minute load average and the count of cores, e.g. "3.2/2": times mean little without it. */
function loadAverage(): string {
  const one = readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';
  return `${one}/${availableParallelism()}`;
}

// ---- the run ----

const bin = buildKarmada(SRC);
console.log(`karmada ${bin.version}: binaries in ${bin.dir}`);
await fleetDown(stateDir);
mkdirSync(stateDir, { recursive: true });
const topologyPath = join(DEFAULT_STATE_ROOT, 'bench-karmada-topology.yaml');
writeFileSync(topologyPath, topology());
const state: FleetState = await fleetUp({ topologyPath, stateDir, provisioner: false });
const procs: Proc[] = [];
try {
  const hubKc = kubeConfigFor(hub(state));
  const hubApps = clients(hubKc).apps;
  const ms = MEMBERS.map(([a]) => member(state, a));
  const alias = new Map(ms.map((m) => [m.name, m.alias]));
  const memberApps = ms.map((m) => clients(kubeConfigFor(m)).apps);
  const names = ms.map((m) => m.name);
  const applyPolicy = (yaml: string) =>
    kubectl(hub(state).kubeconfigPath, ['apply', '-f', '-'], yaml);
  const id = (a: string) => ms.find((m) => m.alias === a)?.name ?? a;

  await installCrds(hubKc);
  await registerMembers(state);
  const spillway = startControllerProcess(state, { compiled: COMPILED });
  procs.push({ system: 'spillway', rec: spillway, metricsPort: await healthPortOf(spillway) });
  // Before Karmada starts: its namespace controller copies hub namespaces into the members.
  const namespaces = SYSTEMS.flatMap((s) => ['place', 'scale', 'many'].map((w) => nsOf(s, w)));
  for (const kc of [hubKc, ...ms.map(kubeConfigFor)])
    for (const ns of [...namespaces, 'direct']) await ensureNamespace(clients(kc).core, ns);
  const karmada: KarmadaProcesses = await startKarmada(state, SRC, bin);
  for (const rec of [karmada.controllerManager, karmada.scheduler, karmada.webhook])
    procs.push({ system: 'karmada', rec, metricsPort: karmada.metricsPorts[rec.name] ?? 0 });
  const atStart = await snapshots(procs);

  // Placement: each system alone on the empty fleet, workloads created, scaled, then deleted.
  const cases: { name: string; cpu: string; division: Division; steps: number[] }[] = [
    { name: 'dyn-small', cpu: '100m', division: { kind: 'dynamic' }, steps: [7, 12, 5] },
    { name: 'dyn-big', cpu: '5', division: { kind: 'dynamic' }, steps: [10, 20, 6] },
    {
      name: 'static-123',
      cpu: '100m',
      division: {
        kind: 'static',
        weights: { [id('alpha')]: 1, [id('beta')]: 2, [id('gamma')]: 3 },
      },
      steps: [10, 4, 13],
    },
    {
      name: 'static-full',
      cpu: '5',
      division: {
        kind: 'static',
        weights: { [id('alpha')]: 2, [id('beta')]: 1, [id('gamma')]: 1 },
      },
      steps: [24, 36],
    },
    { name: 'aggregated', cpu: '5', division: { kind: 'aggregated' }, steps: [8, 20, 3] },
  ];
  const placements = new Map<string, string>(); // `${case} ${step} ${system}` -> "alpha 2, ..."
  const allocatedCpu = async () => {
    const list = (await hubKc.makeApiClient(CustomObjectsApi).listClusterCustomObject({
      group: 'cluster.karmada.io',
      version: 'v1alpha1',
      plural: 'clusters',
    })) as { items: KarmadaCluster[] };
    return list.items.map((c) => c.status?.resourceSummary?.allocated?.cpu ?? '0').join(',');
  };
  const idleAllocated = await allocatedCpu();
  for (const s of PLACEMENT ? SYSTEMS : []) {
    const ns = nsOf(s, 'place');
    if (s === 'karmada')
      // Karmada's estimator reads the cluster summaries, refreshed every 10 s: wait until they
      // show the members empty again.
      await waitFor('Karmada cluster summaries back to idle', 120_000, async () => {
        return (await allocatedCpu()) === idleAllocated;
      });
    for (const c of cases) {
      applyPolicy(policyYaml(s, ns, c.name, names, c.division, c.name));
      await hubApps.createNamespacedDeployment({
        namespace: ns,
        body: deployment(c.name, ns, c.steps[0] ?? 1, { cpu: c.cpu }),
      });
      for (const [i, want] of c.steps.entries()) {
        if (i > 0) await scaleDeployment(hubApps, ns, c.name, want);
        placements.set(
          `${c.name} ${want} ${s}`,
          await settledPlacement(hubKc, s, ns, c.name, want, alias),
        );
        console.log(
          `  placement ${s} ${c.name} -> ${want}: ${placements.get(`${c.name} ${want} ${s}`)}`,
        );
      }
    }
    for (const c of cases)
      await hubApps.deleteNamespacedDeployment({ name: c.name, namespace: ns });
    await waitFor(`${s} placement workloads gone from the members`, 120_000, async () => {
      for (const a of memberApps) if ((await listDeployments(a, ns)).length > 0) return false;
      return true;
    });
  }

  // The scaled workload of each system, and a direct member Deployment as the baseline.
  for (const s of SYSTEMS) {
    const ns = nsOf(s, 'scale');
    applyPolicy(policyYaml(s, ns, 'scale', names, { kind: 'dynamic' }));
    await hubApps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('svc', ns, 2, { cpu: '100m' }),
    });
  }
  const alphaApps = memberApps[0] as AppsV1Api;
  await alphaApps.createNamespacedDeployment({
    namespace: 'direct',
    body: deployment('direct', 'direct', 2, { cpu: '1m' }),
  });
  for (const s of SYSTEMS)
    await waitFor(
      `${s}: first copies`,
      120_000,
      async () => (await memberReplicas(memberApps, nsOf(s, 'scale'), 'svc')) === 2,
    );
  for (const s of SYSTEMS)
    applyPolicy(policyYaml(s, nsOf(s, 'many'), 'many', names, { kind: 'dynamic' }));
  await sleep(2000);

  /** Hub-scale latency with what is bound now: the two systems' scales interleaved. */
  const measureLatency = async (): Promise<Record<System | 'direct', number[]>> => {
    const latency: Record<System | 'direct', number[]> = { spillway: [], karmada: [], direct: [] };
    for (let i = 0; i < SCALES; i++) {
      const want = 3 + ((i * 7) % 18); // 3..20, up and down
      for (const s of SYSTEMS) {
        const ns = nsOf(s, 'scale');
        const t = performance.now();
        await scaleDeployment(hubApps, ns, 'svc', want);
        // A scale not seen in 60 s counts as infinitely slow (the quantiles show it) instead
        // of ending a run that took half an hour to converge.
        const ms = await timeUntil(t, want, () => memberReplicas(memberApps, ns, 'svc')).catch(
          () => Infinity,
        );
        if (ms === Infinity)
          console.log(`  ${s}: scale to ${want} not seen in the members in 60 s`);
        latency[s].push(ms);
      }
      const t = performance.now();
      await scaleDeployment(alphaApps, 'direct', 'direct', want);
      latency.direct.push(
        await timeUntil(t, want, () => memberReplicas([alphaApps], 'direct', 'direct')),
      );
      await sleep(300);
    }
    return latency;
  };

  // Stages: each system in turn brings its workloads up to N (so neither slows the other), then
  // the hub scales run with both systems' N workloads bound.
  interface Stage {
    n: number;
    from: number;
    converge: Record<
      System,
      { seconds: number; load: string; before: Map<string, Snapshot>; after: Map<string, Snapshot> }
    >;
    latency: Record<System | 'direct', number[]>;
    latencyLoad: string;
  }
  const stages: Stage[] = [];
  let from = 0;
  for (const n of STAGES) {
    const converge = {} as Stage['converge'];
    for (const s of SYSTEMS) {
      const ns = nsOf(s, 'many');
      const before = await snapshots(procs);
      const t = performance.now();
      await inParallel(n - from, 16, async (i) => {
        await hubApps.createNamespacedDeployment({
          namespace: ns,
          body: deployment(`w-${from + i}`, ns, 1, { cpu: MANY_CPU }),
        });
      });
      await waitFor(
        `${s}: ${n} workloads Ready in the members`,
        90 * 60_000,
        async () => {
          return (await readyWorkloads(memberApps, ns)) >= n;
        },
        2000, // a list of up to N Deployments per member: not four times a second
      );
      const seconds = (performance.now() - t) / 1000;
      const load = loadAverage();
      await sleep(5000); // let trailing status writes land before reading CPU
      converge[s] = { seconds, load, before, after: await snapshots(procs) };
      console.log(
        `  converge ${s}: ${from} -> ${n} workloads in ${seconds.toFixed(1)} s (load ${load})`,
      );
    }
    const latency = await measureLatency();
    const latencyLoad = loadAverage();
    console.log(`  latency at ${n} bound (load ${latencyLoad}): ${JSON.stringify(latency)}`);
    stages.push({ n, from, converge, latency, latencyLoad });
    from = n;
  }
  const atEnd = await snapshots(procs);

  // ---- the report ----
  const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const ratio = (k: number, sw: number) => (sw > 0 ? `${(k / sw).toFixed(1)}x` : '-');
  const sumOf = (m: Map<string, Snapshot>, s: System, key: keyof Snapshot) =>
    procs.filter((p) => p.system === s).reduce((a, p) => a + (m.get(p.rec.name)?.[key] ?? 0), 0);

  console.log(
    `\nSpillway vs Karmada ${bin.version} on one local fleet: 3 members (${MEMBERS.map(([a, c]) => `${a} ${c}`).join(', ')} kwok nodes of 16 CPU, ${PODS_PER_NODE} pods), Divided with dynamic weights`,
  );
  console.log('| figure | Spillway | Karmada | Karmada / Spillway |');
  console.log('|---|---|---|---|');
  const row = (label: string, sw: number, km: number, fmt: (x: number) => string) =>
    console.log(`| ${label} | ${fmt(sw)} | ${fmt(km)} | ${ratio(km, sw)} |`);
  for (const st of stages) {
    const c = st.converge;
    const cpuIn = (s: System, phase: System) =>
      sumOf(c[phase].after, s, 'cpu') - sumOf(c[phase].before, s, 'cpu');
    const reqIn = (s: System, phase: System) =>
      sumOf(c[phase].after, s, 'requests') - sumOf(c[phase].before, s, 'requests');
    const step = st.from === 0 ? `${st.n}` : `${st.from} -> ${st.n}`;
    row(
      `converge ${step} workloads, s (load ${c.spillway.load} / ${c.karmada.load})`,
      c.spillway.seconds,
      c.karmada.seconds,
      f1,
    );
    row(
      `CPU s while converging its own ${step}`,
      cpuIn('spillway', 'spillway'),
      cpuIn('karmada', 'karmada'),
      f1,
    );
    console.log(
      `| CPU s while the other converged its ${step} (idle cost) | ${f1(cpuIn('spillway', 'karmada'))} | ${f1(cpuIn('karmada', 'spillway'))} | |`,
    );
    row(
      `API requests while converging its own ${step}`,
      reqIn('spillway', 'spillway'),
      reqIn('karmada', 'karmada'),
      f0,
    );
    const l = st.latency;
    row(
      `hub scale -> member Deployments, p50 ms, ${st.n} bound (${SCALES} scales, load ${st.latencyLoad})`,
      quantile(l.spillway, 0.5),
      quantile(l.karmada, 0.5),
      f0,
    );
    row(
      `hub scale -> member Deployments, p99 ms, ${st.n} bound`,
      quantile(l.spillway, 0.99),
      quantile(l.karmada, 0.99),
      f0,
    );
    console.log(
      `| direct member scale, p50 ms (baseline), ${st.n} bound | ${f0(quantile(l.direct, 0.5))} | | |`,
    );
  }
  row(
    'RSS MiB at the end (all processes)',
    sumOf(atEnd, 'spillway', 'rss') / 2 ** 20,
    sumOf(atEnd, 'karmada', 'rss') / 2 ** 20,
    f0,
  );
  row(
    'CPU s over the whole run (all processes)',
    sumOf(atEnd, 'spillway', 'cpu') - sumOf(atStart, 'spillway', 'cpu'),
    sumOf(atEnd, 'karmada', 'cpu') - sumOf(atStart, 'karmada', 'cpu'),
    f1,
  );
  console.log(
    '\n| process | RSS MiB at the end | CPU s over the run | API requests over the run |',
  );
  console.log('|---|---|---|---|');
  for (const p of procs) {
    const a = atStart.get(p.rec.name);
    const b = atEnd.get(p.rec.name);
    console.log(
      `| ${p.rec.name} | ${f0((b?.rss ?? NaN) / 2 ** 20)} | ${f1((b?.cpu ?? NaN) - (a?.cpu ?? NaN))} | ${f0((b?.requests ?? NaN) - (a?.requests ?? NaN))} |`,
    );
  }
  if (PLACEMENT) {
    console.log('\nplacement (replicas per cluster; each system alone on the empty fleet)');
    console.log('| workload | replicas | Spillway | Karmada | same |');
    console.log('|---|---|---|---|---|');
    for (const c of cases)
      for (const want of c.steps) {
        const a = placements.get(`${c.name} ${want} spillway`) ?? '';
        const b = placements.get(`${c.name} ${want} karmada`) ?? '';
        console.log(
          `| ${c.name} (${c.cpu} CPU) | ${want} | ${a} | ${b} | ${a === b ? 'yes' : 'NO'} |`,
        );
      }
  }
} finally {
  for (const p of procs.reverse()) await stopProcess(p.rec);
  if (!process.env.BENCH_KEEP_FLEET) await fleetDown(stateDir);
}
