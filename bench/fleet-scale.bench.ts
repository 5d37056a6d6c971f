/**
 * Fleet scale latency: the time from a scale of a hub Deployment (what `kubectl scale` sends) to
 * the member Deployments asking for the new total, over 20 scales on the demo fleet, with the
 * fleet controller running as its own process. Baseline in the same run: the same scale sent
 * straight to a member Deployment and observed the same way (API round trip plus polling), so
 * the ratio is what propagation through Spillway adds.
 * Run: npx tsx bench/fleet-scale.bench.ts   (brings up and tears down .fleet/bench-scale)
 */
import { join } from 'node:path';
import type { AppsV1Api } from '@kubernetes/client-node';
import {
  DEFAULT_STATE_ROOT,
  TOPOLOGIES,
  fleetDown,
  fleetUp,
  hub,
  kubeConfigFor,
  member,
} from '../e2e/fleet/index.js';
import { stopProcess } from '../e2e/fleet/processes.js';
import { healthPortOf, requestsBetween, scrape, settle } from './controller-metrics.js';
import { timeUntil } from './fleet-bench.js';
import { waitFor } from '../e2e/fleet/readiness.js';
import { clients, deployment, ensureNamespace } from '../e2e/support/kube.js';
import {
  installCrds,
  kubectl,
  registerMembers,
  startControllerProcess,
  tieredPolicy,
} from '../e2e/support/spillway.js';

const SCALES = 20;
const POLL_MS = 5; // what timeUntil (fleet-bench.ts) polls at
const NS = 'bench';
const OTHERS_NS = 'bench-others';
const OTHERS = Number(process.env.BENCH_OTHERS ?? 100);
const stateDir = join(DEFAULT_STATE_ROOT, 'bench-scale');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stats(xs: number[]): { median: number; p90: number; max: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return {
    median: at(0.5),
    p90: at(0.9),
    max: s[s.length - 1] ?? 0,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

async function scale(apps: AppsV1Api, name: string, replicas: number): Promise<void> {
  await apps.patchNamespacedDeploymentScale({
    name,
    namespace: NS,
    body: [{ op: 'replace', path: '/spec/replicas', value: replicas }],
  });
}

await fleetDown(stateDir);
const state = await fleetUp({
  topologyPath: join(TOPOLOGIES, 'demo.yaml'),
  stateDir,
  provisioner: false,
});
const controller = startControllerProcess(state);
try {
  const hubKc = kubeConfigFor(hub(state));
  await installCrds(hubKc);
  await registerMembers(state);
  const idc = member(state, 'cluster-idc-demo');
  const bj = member(state, 'cluster-bj-demo');
  const hubApps = clients(hubKc).apps;
  const idcApps = clients(kubeConfigFor(idc)).apps;
  const bjApps = clients(kubeConfigFor(bj)).apps;
  await ensureNamespace(clients(hubKc).core, NS);
  await ensureNamespace(clients(kubeConfigFor(idc)).core, NS);
  kubectl(
    hub(state).kubeconfigPath,
    ['apply', '-f', '-'],
    tieredPolicy({
      name: 'bench',
      namespace: NS,
      groups: [
        ['idc', [idc.name]],
        ['cloud', [bj.name]],
      ],
      selector: { kind: 'Deployment', name: 'svc' },
    }),
  );
  // 3 CPUs a replica: idc holds 15, so larger counts spill to the cloud group too.
  await hubApps.createNamespacedDeployment({
    namespace: NS,
    body: deployment('svc', NS, 2, { cpu: '3' }),
  });
  await idcApps.createNamespacedDeployment({
    namespace: NS,
    body: deployment('direct', NS, 2, { cpu: '1m' }),
  });
  // The other workloads, bound before anything is measured.
  for (const c of [hubKc, kubeConfigFor(idc)]) await ensureNamespace(clients(c).core, OTHERS_NS);
  kubectl(
    hub(state).kubeconfigPath,
    ['apply', '-f', '-'],
    tieredPolicy({
      name: 'others',
      namespace: OTHERS_NS,
      groups: [
        ['idc', [idc.name]],
        ['cloud', [bj.name]],
      ],
      selector: { kind: 'Deployment' },
    }),
  );
  let nextOther = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (nextOther < OTHERS) {
        const i = nextOther++;
        await hubApps.createNamespacedDeployment({
          namespace: OTHERS_NS,
          body: deployment(`other-${i}`, OTHERS_NS, 1, { cpu: '1m' }),
        });
      }
    }),
  );
  const othersStart = performance.now();
  const copies = async () => {
    const n = async (apps: AppsV1Api) =>
      (await apps.listNamespacedDeployment({ namespace: OTHERS_NS }).catch(() => ({ items: [] })))
        .items.length;
    return (await n(idcApps)) + (await n(bjApps));
  };
  await waitFor(
    `${OTHERS} other workloads bound`,
    30 * 60_000,
    async () => (await copies()) >= OTHERS,
  );
  console.log(
    `${OTHERS} other workloads bound in ${((performance.now() - othersStart) / 1000).toFixed(1)} s`,
  );

  const port = await healthPortOf(controller);
  const settled = await settle(port);
  console.log(`controller idle ${(settled / 1000).toFixed(1)} s later`);

  const memberTotal = async () => {
    const get = (apps: AppsV1Api) =>
      apps.readNamespacedDeployment({ name: 'svc', namespace: NS }).then(
        (d) => d.spec?.replicas ?? 0,
        () => 0,
      );
    const [a, b] = await Promise.all([get(idcApps), get(bjApps)]);
    return a + b;
  };
  await waitFor('first copy', 60_000, async () => (await memberTotal()) === 2);

  const before = await scrape(port);
  const viaSpillway: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < SCALES; i++) {
    const target = 3 + ((i * 7) % 18); // 3..20, up and down, crossing the idc/cloud boundary
    let t0 = performance.now();
    await scale(hubApps, 'svc', target);
    viaSpillway.push(await timeUntil(t0, target, memberTotal));
    t0 = performance.now();
    await scale(idcApps, 'direct', target);
    direct.push(
      await timeUntil(t0, target, () =>
        idcApps
          .readNamespacedDeployment({ name: 'direct', namespace: NS })
          .then((d) => d.spec?.replicas ?? 0),
      ),
    );
    await sleep(300); // let the member settle, as between two user commands
  }
  const after = await scrape(port);
  const reqs = requestsBetween(before, after);
  const s = stats(viaSpillway);
  const d = stats(direct);
  const f = (x: number) => `${x.toFixed(0)} ms`;
  console.log(
    `fleet scale latency over ${SCALES} scales (poll every ${POLL_MS} ms), ${OTHERS} other workloads bound`,
  );
  console.log(
    `  hub scale -> member Deployments updated: median ${f(s.median)}, p90 ${f(s.p90)}, max ${f(s.max)}, mean ${f(s.mean)}`,
  );
  console.log(
    `  baseline, direct member scale observed:  median ${f(d.median)}, p90 ${f(d.p90)}, max ${f(d.max)}, mean ${f(d.mean)}`,
  );
  console.log(`  ratio (median): ${(s.median / Math.max(1, d.median)).toFixed(1)}x`);
  console.log(
    `  controller during the scales: ${after.reconciles - before.reconciles} reconciles, ` +
      `${reqs.total} API requests ${JSON.stringify(reqs.byVerb)}, ` +
      `${(after.cpuSeconds - before.cpuSeconds).toFixed(1)} CPU s`,
  );
} finally {
  await stopProcess(controller);
  await fleetDown(stateDir);
}
