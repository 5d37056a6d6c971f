/**
 * Spillway and Karmada side by side on one local fleet: the same hub API server, the same three
 * members (registered as Spillway MemberClusters and as Karmada Push-mode Clusters), the same
 * workloads in separate namespaces. Karmada's controller-manager, scheduler and webhook are built
 * from a Karmada checkout (KARMADA_SRC; see bench/karmada/control-plane.ts for what runs and why).
 * It prints:
 *   - placement: for Divided workloads with dynamic and static weights, the replicas per cluster
 *     each system chose, step by step (each system alone on an empty fleet, so both see the same
 *     free room);
 *   - hub-scale latency p50/p99: a hub Deployment scaled, until the member Deployments ask for the
 *     new total; the two systems' scales interleaved, with a direct member scale as baseline;
 *   - time to converge N workloads (every member copy Ready), each system in turn;
 *   - RSS and CPU seconds of every controller process, and the API requests each made.
 *
 * Env: KARMADA_SRC (a Karmada checkout with vendor/; without it the bench says so and exits 0),
 * KARMADA_VERSION (when the checkout's version cannot be told), BENCH_N (default 100),
 * BENCH_SCALES (default 20).
 * Run: make bench-karmada KARMADA_SRC=~/src/karmada
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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

const N = Number(process.env.BENCH_N ?? 100);
const SCALES = Number(process.env.BENCH_SCALES ?? 20);
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
        capacity: { cpu: '16', memory: 64Gi, pods: '110' }`,
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

// ---- member observations ----

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
  const spillway = startControllerProcess(state);
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
  for (const s of SYSTEMS) {
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

  // Hub-scale latency: one workload per system, scales interleaved, and a direct member scale.
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
  const latency: Record<System | 'direct', number[]> = { spillway: [], karmada: [], direct: [] };
  for (let i = 0; i < SCALES; i++) {
    const want = 3 + ((i * 7) % 18); // 3..20, up and down
    for (const s of SYSTEMS) {
      const ns = nsOf(s, 'scale');
      const t = performance.now();
      await scaleDeployment(hubApps, ns, 'svc', want);
      latency[s].push(await timeUntil(t, want, () => memberReplicas(memberApps, ns, 'svc')));
    }
    const t = performance.now();
    await scaleDeployment(alphaApps, 'direct', 'direct', want);
    latency.direct.push(
      await timeUntil(t, want, () => memberReplicas([alphaApps], 'direct', 'direct')),
    );
    await sleep(300);
  }
  console.log(`  latency ${JSON.stringify(latency)}`);

  // Converge N workloads: each system in turn, so neither slows the other.
  const converge: Record<
    System,
    { seconds: number; before: Map<string, Snapshot>; after: Map<string, Snapshot> }
  > = {} as never;
  for (const s of SYSTEMS) {
    const ns = nsOf(s, 'many');
    applyPolicy(policyYaml(s, ns, 'many', names, { kind: 'dynamic' }));
    await sleep(2000);
    const before = await snapshots(procs);
    const t = performance.now();
    await inParallel(N, 16, async (i) => {
      await hubApps.createNamespacedDeployment({
        namespace: ns,
        body: deployment(`w-${i}`, ns, 1, { cpu: '100m' }),
      });
    });
    await waitFor(`${s}: ${N} workloads Ready in the members`, 30 * 60_000, async () => {
      return (await readyWorkloads(memberApps, ns)) >= N;
    });
    const seconds = (performance.now() - t) / 1000;
    await sleep(5000); // let trailing status writes land before reading CPU
    converge[s] = { seconds, before, after: await snapshots(procs) };
    console.log(`  converge ${s}: ${N} workloads in ${seconds.toFixed(1)} s`);
  }
  const atEnd = await snapshots(procs);

  // ---- the report ----
  const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const ratio = (k: number, sw: number) => (sw > 0 ? `${(k / sw).toFixed(1)}x` : '-');
  const sumOf = (m: Map<string, Snapshot>, s: System, key: keyof Snapshot) =>
    procs.filter((p) => p.system === s).reduce((a, p) => a + (m.get(p.rec.name)?.[key] ?? 0), 0);
  const sw = { p50: quantile(latency.spillway, 0.5), p99: quantile(latency.spillway, 0.99) };
  const km = { p50: quantile(latency.karmada, 0.5), p99: quantile(latency.karmada, 0.99) };
  const cpuIn = (s: System, phase: System) =>
    sumOf(converge[phase].after, s, 'cpu') - sumOf(converge[phase].before, s, 'cpu');
  const reqIn = (s: System, phase: System) =>
    sumOf(converge[phase].after, s, 'requests') - sumOf(converge[phase].before, s, 'requests');

  console.log(
    `\nSpillway vs Karmada ${bin.version} on one local fleet: 3 members (${MEMBERS.map(([a, c]) => `${a} ${c}`).join(', ')} kwok nodes of 16 CPU), Divided with dynamic weights`,
  );
  console.log('| figure | Spillway | Karmada | Karmada / Spillway |');
  console.log('|---|---|---|---|');
  console.log(
    `| hub scale -> member Deployments, p50 ms (${SCALES} scales) | ${f0(sw.p50)} | ${f0(km.p50)} | ${ratio(km.p50, sw.p50)} |`,
  );
  console.log(
    `| hub scale -> member Deployments, p99 ms | ${f0(sw.p99)} | ${f0(km.p99)} | ${ratio(km.p99, sw.p99)} |`,
  );
  console.log(
    `| direct member scale, p50 ms (baseline) | ${f0(quantile(latency.direct, 0.5))} | | |`,
  );
  console.log(
    `| converge ${N} workloads, s | ${f1(converge.spillway.seconds)} | ${f1(converge.karmada.seconds)} | ${ratio(converge.karmada.seconds, converge.spillway.seconds)} |`,
  );
  console.log(
    `| CPU s while converging its own ${N} | ${f1(cpuIn('spillway', 'spillway'))} | ${f1(cpuIn('karmada', 'karmada'))} | ${ratio(cpuIn('karmada', 'karmada'), cpuIn('spillway', 'spillway'))} |`,
  );
  console.log(
    `| CPU s while the other converged (idle cost) | ${f1(cpuIn('spillway', 'karmada'))} | ${f1(cpuIn('karmada', 'spillway'))} | |`,
  );
  console.log(
    `| API requests while converging its own ${N} | ${f0(reqIn('spillway', 'spillway'))} | ${f0(reqIn('karmada', 'karmada'))} | ${ratio(reqIn('karmada', 'karmada'), reqIn('spillway', 'spillway'))} |`,
  );
  console.log(
    `| RSS MiB at the end (all processes) | ${f0(sumOf(atEnd, 'spillway', 'rss') / 2 ** 20)} | ${f0(sumOf(atEnd, 'karmada', 'rss') / 2 ** 20)} | ${ratio(sumOf(atEnd, 'karmada', 'rss'), sumOf(atEnd, 'spillway', 'rss'))} |`,
  );
  console.log(
    `| CPU s over the whole run (all processes) | ${f1(sumOf(atEnd, 'spillway', 'cpu') - sumOf(atStart, 'spillway', 'cpu'))} | ${f1(sumOf(atEnd, 'karmada', 'cpu') - sumOf(atStart, 'karmada', 'cpu'))} | ${ratio(sumOf(atEnd, 'karmada', 'cpu') - sumOf(atStart, 'karmada', 'cpu'), sumOf(atEnd, 'spillway', 'cpu') - sumOf(atStart, 'spillway', 'cpu'))} |`,
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
} finally {
  for (const p of procs.reverse()) await stopProcess(p.rec);
  if (!process.env.BENCH_KEEP_FLEET) await fleetDown(stateDir);
}
