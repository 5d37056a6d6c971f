import { describe, expect, it } from '@jest/globals';
import type { ResourcePolicy, ResourcePolicySpec } from '../../../src/api/resourcepolicy.js';
import { AdmissionDecider } from '../../../src/resourcepolicy/admission.js';
import type { JsonPatchOp } from '../../../src/resourcepolicy/gate.js';
import { PolicyCounts } from '../../../src/resourcepolicy/policy-counts.js';
import { ReservationLedger } from '../../../src/resourcepolicy/reservations.js';
import type { PolicyPod } from '../../../src/resourcepolicy/types.js';
import { POOLS, policyOf } from './helpers.js';

const UNITS: ResourcePolicySpec['units'] = [
  { resource: 'ecs', nodeSelector: { pool: 'a' }, max: 2 },
  { resource: 'ecs', nodeSelector: { pool: 'b' }, max: 1 },
  { resource: 'eci' },
];

/** A pod as the webhook receives it. */
const incoming = (): PolicyPod => ({
  metadata: {
    labels: { app: 'web' },
    ownerReferences: [{ kind: 'ReplicaSet', controller: true, uid: 'rs1' }],
  },
  spec: { containers: [{ resources: { requests: { cpu: '1' } } }] },
});

/**
 * The decider as the controller wires it, over counts kept from a simulated pod watch:
 * `show(token)` is the watch delivering the pod admitted with that review, handled in the
 * controller's order (the counts first, then the ledger).
 */
function setup(heldWaitMs = 60_000) {
  const policy = policyOf({ units: UNITS });
  const raw = { metadata: {}, status: { observedGeneration: 1 } } as ResourcePolicy;
  const seen: PolicyPod[] = [];
  const counts = new PolicyCounts({ pods: () => seen, nodeLabels: POOLS });
  const ledger = new ReservationLedger(60_000);
  const decider = new AdmissionDecider({
    policies: () => [policy],
    rawPolicy: () => raw,
    summary: (ns, policies, p) => counts.summary(ns, policies, p.name),
    room: () => ({ fits: 100, lowerPriorityPods: 0 }),
    refusedOwners: () => new Set(),
    waitSuspended: () => [false, false, false],
    ledger,
    ready: () => true,
    heldWaitMs,
  });
  const patches = new Map<string, JsonPatchOp[]>();
  const outcome = new Map<string, string>();
  const admit = (token: string) => {
    const answer = Promise.resolve(decider.decide(incoming(), 'ns', token)).then((patch) => {
      if (patch) patches.set(token, patch);
      outcome.set(token, unitIn(patch) ?? 'gated');
    });
    return answer;
  };
  const show = (token: string) => {
    const stored: PolicyPod = { ...incoming(), metadata: { name: token, uid: token } };
    const meta = stored.metadata as Record<string, unknown>;
    const spec = (stored.spec ?? {}) as Record<string, unknown>;
    for (const op of patches.get(token) ?? []) {
      const [, part, field] = op.path.split('/');
      if (part === 'metadata' && field) meta[field] = op.value;
      if (part === 'spec' && field) spec[field] = op.value;
    }
    const pod = { ...stored, metadata: { ...stored.metadata, namespace: 'ns' }, spec };
    seen.push(pod);
    counts.setPod('ns', token, pod);
    ledger.observed(pod);
  };
  return { admit, show, outcome };
}

function unitIn(patch: JsonPatchOp[] | undefined): string | undefined {
  const annotations = patch?.find((op) => op.path === '/metadata/annotations')?.value as
    Record<string, string> | undefined;
  return annotations?.['scheduling.spillway.dev/unit'];
}

/** Lets queued microtasks and already resolved promises run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AdmissionDecider (a unit at admission, on the controller side)', () => {
  it('decides a pod at a unit boundary once the watch shows the places held before it, in arrival order', async () => {
    const { admit, show, outcome } = setup();
    await admit('t1');
    await admit('t2');
    expect(outcome).toEqual(
      new Map([
        ['t1', '0'],
        ['t2', '0'],
      ]),
    );
    // t1 and t2 hold unit 0's last places but are not seen yet: were one of them a create that
    // failed, t3 would belong in unit 0. It used to be gated (and every later pod with it).
    const t3 = admit('t3');
    const t4 = admit('t4');
    await settle();
    expect(outcome.has('t3')).toBe(false);
    expect(outcome.has('t4')).toBe(false);
    show('t1');
    await settle();
    expect(outcome.has('t3')).toBe(false);
    show('t2');
    await t3;
    expect(outcome.get('t3')).toBe('1');
    // t4 waited behind t3 and now waits for t3's place in unit 1 (max 1) to be seen.
    await settle();
    expect(outcome.has('t4')).toBe(false);
    show('t3');
    await t4;
    expect(outcome.get('t4')).toBe('2');
  });

  it('gates the pod when the held places are not seen within the wait', async () => {
    const { admit, outcome } = setup(20);
    await admit('t1');
    await admit('t2');
    await admit('t3');
    expect(outcome.get('t3')).toBe('gated');
    // Nothing waits any more: the next admission is answered at once (gated, same reason).
    await admit('t4');
    expect(outcome.get('t4')).toBe('gated');
  });
});
