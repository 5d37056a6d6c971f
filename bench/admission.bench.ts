/**
 * ResourcePolicy admission micro-benchmark (no fleet, one process): what one unit decision at
 * admission costs with P pods in the policy's namespace, with the counts kept from the pod
 * watch (the controller's way) against a scan of the namespace's pods per admission (the way
 * before), timed in the same run through the same AdmissionDecider on the same pods. Also
 * prints what keeping the counts costs: one pod event, and the first build of a namespace's
 * counts (once, at its first admission).
 *
 * The policy has three units (pool A max 50, pool B max 50, ECI) that are full but for ECI, so
 * each decision walks all three; every admission's place is seen by the "watch" at once, so the
 * namespace keeps P pods. The webhook must answer within the API server's deadline (5 s by
 * default), with every pod create of the namespace waiting on it.
 *
 * Run: node --import tsx --expose-gc bench/admission.bench.ts   (BENCH_PODS=450,5000)
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ResourcePolicy } from '../src/api/resourcepolicy.js';
import { AdmissionDecider } from '../src/resourcepolicy/admission.js';
import { PolicyCounts, summarizePods } from '../src/resourcepolicy/policy-counts.js';
import { PodView } from '../src/resourcepolicy/pod-view.js';
import { ReservationLedger } from '../src/resourcepolicy/reservations.js';
import { matchingPolicies } from '../src/resourcepolicy/select.js';
import { readPolicy, type Policy } from '../src/resourcepolicy/spec.js';
import { isDaemonSetPod, type PolicyPod } from '../src/resourcepolicy/types.js';

const NS = 'bench';
const SIZES = (process.env.BENCH_PODS ?? '450,5000').split(',').map(Number);
/** Enough admissions for a stable mean; the scan gets fewer at large sizes (it is slow). */
const ADMISSIONS = 3000;

const raw: ResourcePolicy = {
  apiVersion: 'scheduling.alibabacloud.com/v1alpha1',
  kind: 'ResourcePolicy',
  metadata: {
    name: 'gated',
    namespace: NS,
    uid: 'rp-uid',
    generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
  },
  spec: {
    selector: { app: 'gated' },
    units: [
      { resource: 'ecs', nodeSelector: { pool: 'a' }, max: 50 },
      { resource: 'ecs', nodeSelector: { pool: 'b' }, max: 50 },
      { resource: 'eci' },
    ],
  },
  status: { observedGeneration: 1 },
};
const policy = readPolicy(raw).policy as Policy;
const nodeLabels = (name: string): Record<string, string> | undefined =>
  name.startsWith('a-')
    ? { pool: 'a' }
    : name.startsWith('b-')
      ? { pool: 'b' }
      : { type: 'virtual-kubelet', 'alibabacloud.com/virtual-node-type': 'eci' };

/** P pods of the policy: 50 in pool A, 50 in pool B, the rest on ECI, all bound and running. */
function podsOf(count: number): V1Pod[] {
  return Array.from({ length: count }, (_, i): V1Pod => {
    const unit = i < 50 ? 0 : i < 100 ? 1 : 2;
    const node = unit === 0 ? `a-${i % 10}` : unit === 1 ? `b-${i % 10}` : 'vk-0';
    return {
      metadata: {
        name: `gated-${i}`,
        namespace: NS,
        uid: `uid-${i}`,
        resourceVersion: String(1000 + i),
        creationTimestamp: new Date(Date.parse('2026-01-01T00:01:00Z') + i).toISOString() as never,
        labels: { app: 'gated' },
        annotations: {
          'scheduling.spillway.dev/resource-policy': 'gated',
          'scheduling.spillway.dev/unit': String(unit),
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs' }],
      },
      spec: {
        nodeName: node,
        containers: [{ name: 'main', resources: { requests: { cpu: '10m' } } }],
      },
      status: { phase: 'Running' },
    };
  });
}

function incoming(i: number): PolicyPod {
  return {
    metadata: { labels: { app: 'gated' }, generateName: 'gated-' } as PolicyPod['metadata'],
    spec: { containers: [{ resources: { requests: { cpu: `${10 + (i % 5)}m` } } }] },
  };
}

/** Mean microseconds per admission over `n` admissions; checks that each one assigns. */
function time(decider: AdmissionDecider, ledger: ReservationLedger, n: number): number {
  for (let i = 0; i < Math.min(200, n); i++) admitOnce(decider, ledger, i);
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) admitOnce(decider, ledger, i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

function admitOnce(decider: AdmissionDecider, ledger: ReservationLedger, i: number): void {
  const token = `review-${i}`;
  const patch = decider.decide(incoming(i), NS, token);
  // A pod gated, or waiting for held places (a promise), would void the comparison.
  if (!Array.isArray(patch))
    throw new Error('the benchmark pod was not decided at once: the comparison would be void');
  // The watch shows the pod at once: its place is given back, the namespace keeps P pods.
  ledger.observed({ metadata: { annotations: { 'scheduling.spillway.dev/admission': token } } });
}

function deciderWith(
  summary: ConstructorParameters<typeof AdmissionDecider>[0]['summary'],
  ledger: ReservationLedger,
): AdmissionDecider {
  return new AdmissionDecider({
    policies: () => [policy],
    rawPolicy: () => raw,
    summary,
    room: () => ({ fits: 1_000_000, lowerPriorityPods: 0 }),
    refusedOwners: () => new Set(),
    waitSuspended: () => [false, false, false],
    ledger,
    ready: () => true,
  });
}

const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);

console.log(
  'ResourcePolicy admission, one unit decision (3 units, the first two full), mean per admission:',
);
for (const size of SIZES) {
  const pods = podsOf(size);
  const podView = new PodView();
  const cached = () => podView.view(pods);

  // Before: every admission scanned the namespace's pods (the view, the policy's pods, counts).
  const scanLedger = new ReservationLedger(30_000);
  const scan = deciderWith((_ns, policies, p) => {
    const wins = cached().filter(
      (pod) =>
        !isDaemonSetPod(pod) &&
        (policies.length === 1 || matchingPolicies(policies, NS, pod.metadata?.labels)[0] === p),
    );
    return summarizePods(p, wins, nodeLabels);
  }, scanLedger);

  // Now: counts kept from the watch.
  const counts = new PolicyCounts({ pods: cached, nodeLabels });
  const buildStart = process.hrtime.bigint();
  counts.summary(NS, [policy], policy.name);
  const buildUs = Number(process.hrtime.bigint() - buildStart) / 1e3;
  const keptLedger = new ReservationLedger(30_000);
  const kept = deciderWith((ns, policies, p) => counts.summary(ns, policies, p.name), keptLedger);

  const scanUs = time(scan, scanLedger, size > 1000 ? 500 : ADMISSIONS);
  const keptUs = time(kept, keptLedger, ADMISSIONS);

  // One pod event: the pod changes (a new resourceVersion) and its share is counted again.
  // New objects, as the watch delivers them (their requests are parsed again).
  const events = 20_000;
  const updates = Array.from(
    { length: events },
    (_, i) => JSON.parse(JSON.stringify(pods[i % pods.length])) as V1Pod,
  );
  const eventStart = process.hrtime.bigint();
  for (const pod of updates) counts.setPod(NS, pod.metadata?.uid ?? '', pod);
  const eventUs = Number(process.hrtime.bigint() - eventStart) / 1e3 / events;

  console.log(
    `  ${String(size).padStart(5)} pods: scan ${fmt(scanUs).padStart(9)}   counts ${fmt(keptUs).padStart(9)}   (${(scanUs / keptUs).toFixed(0)}x)   pod event ${fmt(eventUs)}, first build ${fmt(buildUs)}`,
  );
}
