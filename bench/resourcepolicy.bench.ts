/**
 * ResourcePolicy benchmark on the local fleet (resourcepolicy topology, one member, real
 * kube-apiserver, kube-scheduler and kwok): how fast pods get placed through the scheduling
 * gate, against the same pods with no ResourcePolicy on the same fleet, and what the webhook
 * costs.
 *
 *   - throughput: PODS bare pods (10m cpu) created with bounded concurrency; pods per second
 *     from the first create to the last pod bound to a node. Plain (no policy: the webhook is
 *     called and answers "no patch") and gated (a three-unit policy selects them); the ratio
 *     gated / plain, three rounds each, alternating, median reported.
 *   - webhook latency: AdmissionReviews POSTed to the webhook directly over HTTPS (TLS
 *     handshake amortised by keep-alive, as the API server does), p50 and p99; and pod CREATE
 *     latency seen by a client with and without a selecting policy.
 *
 * Run: node --import tsx bench/resourcepolicy.bench.ts   (takes about two minutes)
 * SPILLWAY_BENCH_ADMISSION=off gates every selected pod (no unit decided at admission), to
 * compare with the path through the gate alone.
 */
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { DEFAULT_STATE_ROOT, TOPOLOGIES, fleetDown, fleetUp } from '../e2e/fleet/index.js';
import { waitFor } from '../e2e/fleet/readiness.js';
import {
  apply,
  installCrd,
  kubectl,
  memberConfig,
  policyManifest,
  startController,
  POOL_A,
  POOL_B,
} from '../e2e/resourcepolicy/support.js';
import { ensureNamespace } from '../e2e/support/kube.js';
import { requestCounts } from '../src/runtime/connections.js';

const PODS = 150;
const CONCURRENCY = 10;
const ROUNDS = 3;
const REVIEWS = 2000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
const ms = (n: number) => `${n.toFixed(2)} ms`;

function podBody(name: string, app: string): V1Pod {
  return {
    metadata: { name, labels: { app } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        { name: 'main', image: 'example.invalid/app:1', resources: { requests: { cpu: '10m' } } },
      ],
    },
  };
}

/**
 * API writes made in this process during `fn` (the controller's and the bench's, which share
 * one client configuration), by verb and resource, reads left out.
 */
async function writesDuring<T>(fn: () => Promise<T>, into: Map<string, number>): Promise<T> {
  const before = new Map(requestCounts());
  const out = await fn();
  for (const [key, n] of requestCounts()) {
    if (/^(get|watch) /.test(key)) continue;
    const d = n - (before.get(key) ?? 0);
    if (d > 0) into.set(key, (into.get(key) ?? 0) + d);
  }
  return out;
}

/** Creates PODS pods, CONCURRENCY at a time; returns pods/s to all bound and create latencies. */
async function round(
  core: CoreV1Api,
  ns: string,
  app: string,
): Promise<{ rate: number; creates: number[] }> {
  const creates: number[] = [];
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PODS) {
        const i = next++;
        const t = performance.now();
        await core.createNamespacedPod({ namespace: ns, body: podBody(`${app}-${i}`, app) });
        creates.push(performance.now() - t);
      }
    }),
  );
  await waitFor(`${PODS} pods bound in ${ns}`, 300_000, async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
    return list.items.filter((p) => p.spec?.nodeName).length === PODS;
  });
  const seconds = (performance.now() - start) / 1000;
  await core.deleteCollectionNamespacedPod({
    namespace: ns,
    labelSelector: `app=${app}`,
    gracePeriodSeconds: 0,
  });
  await waitFor(
    `pods of ${ns} gone`,
    120_000,
    async () => (await core.listNamespacedPod({ namespace: ns })).items.length === 0,
  );
  return { rate: PODS / seconds, creates };
}

async function webhookLatency(port: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u',
      kind: { kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'bench-gated',
      object: podBody('x', 'gated'),
    },
  });
  const times: number[] = [];
  for (let i = 0; i < REVIEWS; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/mutate',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    times.push(performance.now() - t);
  }
  agent.destroy();
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const stateDir = join(DEFAULT_STATE_ROOT, 'bench-resourcepolicy');
  await fleetDown(stateDir);
  const state = await fleetUp({
    topologyPath: join(TOPOLOGIES, 'resourcepolicy.yaml'),
    stateDir,
    provisioner: false,
  });
  try {
    const { kc, path } = memberConfig(state);
    const core = kc.makeApiClient(CoreV1Api);
    await installCrd(kc);
    const admissionDecisions = process.env.SPILLWAY_BENCH_ADMISSION !== 'off';
    const controller = await startController(kc, { admissionDecisions });
    try {
      for (const ns of ['bench-plain', 'bench-gated']) await ensureNamespace(core, ns);
      await apply(
        path,
        policyManifest('gated', 'bench-gated', {
          selector: { app: 'gated' },
          units: [
            { resource: 'ecs', nodeSelector: POOL_A, max: 50 },
            { resource: 'ecs', nodeSelector: POOL_B, max: 50 },
            { resource: 'eci' },
          ],
        }),
      );
      await waitFor(
        'policy Ready',
        30_000,
        async () =>
          (await kubectl(path, [
            '-n',
            'bench-gated',
            'get',
            'rsp',
            'gated',
            '-o',
            'jsonpath={.status.conditions[0].status}',
          ])) === 'True',
      );
      const plain: number[] = [];
      const gated: number[] = [];
      const plainCreates: number[] = [];
      const gatedCreates: number[] = [];
      const plainWrites = new Map<string, number>();
      const gatedWrites = new Map<string, number>();
      for (let r = 0; r < ROUNDS; r++) {
        const p = await writesDuring(() => round(core, 'bench-plain', 'plain'), plainWrites);
        plain.push(p.rate);
        plainCreates.push(...p.creates);
        const g = await writesDuring(() => round(core, 'bench-gated', 'gated'), gatedWrites);
        gated.push(g.rate);
        gatedCreates.push(...g.creates);
      }
      const median = (xs: number[]) =>
        [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
      const mp = median(plain);
      const mg = median(gated);
      console.log(`pods placed per second, ${PODS} pods x ${ROUNDS} rounds (median):`);
      console.log(
        `  no ResourcePolicy : ${mp.toFixed(1)} pods/s   (rounds: ${plain.map((x) => x.toFixed(1)).join(', ')})`,
      );
      console.log(
        `  through the gate  : ${mg.toFixed(1)} pods/s   (rounds: ${gated.map((x) => x.toFixed(1)).join(', ')})`,
      );
      console.log(`  ratio gated / plain: ${(mg / mp).toFixed(2)}`);
      const decisions = await controller.registry
        .getSingleMetric('spillway_resourcepolicy_decisions_total')
        ?.get();
      const count = (decision: string) =>
        (decisions?.values ?? [])
          .filter((v) => v.labels.decision === decision)
          .reduce((n, v) => n + v.value, 0);
      console.log(
        `  units decided at admission: ${count('admit')}, by a pass after the gate: ${count('assign')} (admission decisions ${admissionDecisions ? 'on' : 'off'})`,
      );
      // Time the webhook took to answer the API server, by answer: pods sent to their unit at
      // admission wait there when held places decide their unit (a unit boundary).
      const answered = await controller.registry
        .getSingleMetric('spillway_resourcepolicy_webhook_duration_seconds')
        ?.get();
      type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };
      for (const result of ['skipped', 'assigned', 'gated']) {
        const of = ((answered?.values ?? []) as Sample[]).filter((v) => v.labels.result === result);
        const n = of.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
        if (n === 0) continue;
        const sum = of.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
        const le = (b: number) =>
          of.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === b)?.value ?? 0;
        console.log(
          `  webhook answers ${result}: ${n}, mean ${((1000 * sum) / n).toFixed(2)} ms, over 10 ms ${n - le(0.01)}, over 100 ms ${n - le(0.1)}`,
        );
      }
      const perRound = (m: Map<string, number>) =>
        [...m]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, n]) => `${k} ${(n / ROUNDS).toFixed(1)}`)
          .join(', ');
      console.log(
        `API writes per round of ${PODS} pods (the bench's creates and deletes included):`,
      );
      console.log(`  no ResourcePolicy : ${perRound(plainWrites)}`);
      console.log(`  through the gate  : ${perRound(gatedWrites)}`);
      plainCreates.sort((a, b) => a - b);
      gatedCreates.sort((a, b) => a - b);
      console.log('pod CREATE latency seen by a client (webhook called in both cases):');
      console.log(
        `  no policy selects : p50 ${ms(quantile(plainCreates, 0.5))}  p99 ${ms(quantile(plainCreates, 0.99))}`,
      );
      console.log(
        `  policy selects    : p50 ${ms(quantile(gatedCreates, 0.5))}  p99 ${ms(quantile(gatedCreates, 0.99))}`,
      );
      const hook = await webhookLatency(controller.webhookPort);
      console.log(
        `webhook round trip, ${REVIEWS} reviews over HTTPS keep-alive: p50 ${ms(quantile(hook, 0.5))}  p99 ${ms(quantile(hook, 0.99))}`,
      );
    } finally {
      await controller.stop();
    }
  } finally {
    await fleetDown(stateDir);
  }
}

await main();
