import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ResourcePolicySpec } from '../../../src/api/resourcepolicy.js';
import { planPolicy, type Action } from '../../../src/resourcepolicy/plan.js';
import { unitOf } from '../../../src/resourcepolicy/membership.js';
import type { PolicyPod } from '../../../src/resourcepolicy/types.js';
import { POOLS, T0, pod, policyOf } from './helpers.js';

const AB = [
  { resource: 'ecs' as const, nodeSelector: { pool: 'a' } },
  { resource: 'ecs' as const, nodeSelector: { pool: 'b' } },
];
const WAITING = (unit: number, atMs: number) => ({
  'scheduling.spillway.dev/resource-policy': 'rp',
  'scheduling.spillway.dev/unit': String(unit),
  'scheduling.spillway.dev/assigned-at': new Date(atMs).toISOString(),
  'scheduling.spillway.dev/waiting-for-capacity': 'true',
  'controller.kubernetes.io/pod-deletion-cost': String(2 - unit),
});

function plan(
  spec: Partial<ResourcePolicySpec>,
  pods: PolicyPod[],
  fits: number[],
  nowMs = T0 + 10_000,
) {
  return planPolicy({
    policy: policyOf(spec),
    pods,
    nodeLabels: POOLS,
    room: (u) => ({ fits: fits[u.index] ?? 0, lowerPriorityPods: 0 }),
    nowMs,
    waitSuspendedUntil: [],
  });
}

const kinds = (actions: Action[]) =>
  actions.map((a) => `${a.kind}:${a.pod.metadata?.name}${'unit' in a ? `@${a.unit}` : ''}`);

describe('planPolicy', () => {
  it('decides gated pods oldest first, each against the room the earlier ones took', () => {
    const pods = [
      pod('p2', { gated: true, createdMs: T0 + 2000 }),
      pod('p1', { gated: true, createdMs: T0 + 1000 }),
      pod('p3', { gated: true, createdMs: T0 + 3000 }),
    ];
    const p = plan({ units: AB }, pods, [2, 5]);
    expect(kinds(p.actions)).toEqual(['assign:p1@0', 'assign:p2@0', 'assign:p3@1']);
    expect(p.tallies.map((t) => t.pods)).toEqual([2, 1]);
    expect(p.gated).toBe(0);
  });

  it('sets the deletion cost of placed pods that lack it or carry a stale one', () => {
    const pods = [
      pod('a', { nodeName: 'a-0' }),
      pod('b', {
        nodeName: 'b-0',
        annotations: { 'controller.kubernetes.io/pod-deletion-cost': '2' },
      }),
      pod('c', {
        nodeName: 'b-1',
        annotations: { 'controller.kubernetes.io/pod-deletion-cost': '1' },
      }),
    ];
    const p = plan({ units: AB }, pods, [0, 0]);
    expect(p.actions).toEqual([
      expect.objectContaining({ kind: 'deletionCost', cost: '2', pod: pods[0] }),
      expect.objectContaining({ kind: 'deletionCost', cost: '1', pod: pods[1] }),
    ]);
  });

  it('deletes a pod that waited in a unit past the timeout and suspends waiting there', () => {
    const spec = {
      units: [{ ...AB[0], max: 4 }, AB[1]] as ResourcePolicySpec['units'],
      whenTryNextUnits: { policy: 'TimeoutOrExceedMax' as const, timeout: '1m' },
    };
    const waited = pod('w', { annotations: WAITING(0, T0) });
    const fresh = pod('f', { gated: true });
    const before = plan(spec, [waited, fresh], [0, 5], T0 + 59_000);
    expect(kinds(before.actions)).toEqual(['assign:f@0']);
    expect(before.nextCheckMs).toBe(T0 + 60_000);
    const after = plan(spec, [waited, fresh], [0, 5], T0 + 61_000);
    expect(kinds(after.actions)).toEqual(['timeout:w@0', 'assign:f@1']);
    expect(after.waitSuspendedUntil[0]).toBe(T0 + 121_000);
  });

  it('never deletes a waiting pod that nothing would recreate, or one in the last unit', () => {
    const spec = {
      units: [
        { ...AB[0], max: 4 },
        { ...AB[1], max: 4 },
      ] as ResourcePolicySpec['units'],
      whenTryNextUnits: { policy: 'TimeoutOrExceedMax' as const, timeout: '1m' },
    };
    const bare = pod('bare', { annotations: WAITING(0, T0), owned: false });
    const last = pod('last', { annotations: WAITING(1, T0) });
    expect(
      plan(spec, [bare, last], [0, 0], T0 + 3_600_000).actions.filter((a) => a.kind === 'timeout'),
    ).toEqual([]);
  });

  it('ExceedMax waits never time out', () => {
    const spec = {
      units: [{ ...AB[0], max: 4 }, AB[1]] as ResourcePolicySpec['units'],
      whenTryNextUnits: { policy: 'ExceedMax' as const, timeout: '1m' },
    };
    const waited = pod('w', { annotations: WAITING(0, T0) });
    expect(
      plan(spec, [waited], [0, 5], T0 + 3_600_000).actions.filter((a) => a.kind === 'timeout'),
    ).toEqual([]);
  });
});

/**
 * Whatever the order and grouping of arrivals, and whichever placed pods get bound to a node of
 * their unit between passes, no unit ever counts more pods than its max.
 */
describe('planPolicy properties', () => {
  const NODES: Record<number, string[]> = { 0: ['a-0', 'a-1'], 1: ['b-0', 'b-1'], 2: ['vk-0'] };
  it('never exceeds max under any ordering of pod arrivals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 3, maxLength: 3 }),
        fc.constantFrom(
          'LackResourceOrExceedMax',
          'ExceedMax',
          'TimeoutOrExceedMax',
        ) as fc.Arbitrary<'LackResourceOrExceedMax' | 'ExceedMax' | 'TimeoutOrExceedMax'>,
        (maxes, batches, binds, fits, tryNext) => {
          const policy = policyOf({
            units: [
              { resource: 'ecs', nodeSelector: { pool: 'a' }, max: maxes[0] },
              { resource: 'ecs', nodeSelector: { pool: 'b' }, max: maxes[1] },
              { resource: 'eci', max: maxes[2] },
            ],
            whenTryNextUnits: { policy: tryNext },
          });
          let pods: PolicyPod[] = [];
          let n = 0;
          let bindIndex = 0;
          for (const batch of batches) {
            for (let i = 0; i < batch; i++)
              pods.push(pod(`p${n++}`, { gated: true, createdMs: T0 + 1000 + ((n * 7919) % 13) }));
            const p = planPolicy({
              policy,
              pods,
              nodeLabels: POOLS,
              room: (u) => ({ fits: fits[u.index] ?? 0, lowerPriorityPods: 0 }),
              nowMs: T0 + 10_000,
              waitSuspendedUntil: [],
            });
            const patched = new Map<PolicyPod, PolicyPod>();
            for (const a of p.actions) {
              if (a.kind !== 'assign') continue;
              const bind = binds[bindIndex++ % binds.length] === true;
              const node = NODES[a.unit]?.[0];
              patched.set(a.pod, {
                ...a.pod,
                metadata: {
                  ...a.pod.metadata,
                  annotations: { ...a.pod.metadata?.annotations, ...a.patch.metadata.annotations },
                },
                spec: {
                  ...a.pod.spec,
                  ...a.patch.spec,
                  ...(bind && node ? { nodeName: node } : {}),
                },
              });
            }
            pods = pods.map((x) => patched.get(x) ?? x);
            const counts = [0, 0, 0];
            for (const x of pods) {
              const u = unitOf(policy, x, POOLS);
              if (u !== undefined) counts[u] = (counts[u] ?? 0) + 1;
            }
            counts.forEach((c, i) => expect(c).toBeLessThanOrEqual(maxes[i] ?? 0));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('planPolicy with places held at admission', () => {
  const held = pod('held', {
    annotations: {
      'scheduling.spillway.dev/resource-policy': 'rp',
      'scheduling.spillway.dev/unit': '0',
    },
  });
  const plan = (max: number, pods: PolicyPod[]) =>
    planPolicy({
      policy: policyOf({
        units: [
          { resource: 'ecs', nodeSelector: { pool: 'a' }, max },
          { resource: 'ecs', nodeSelector: { pool: 'b' } },
        ],
      }),
      pods,
      nodeLabels: POOLS,
      room: () => ({ fits: 5, lowerPriorityPods: 0 }),
      nowMs: T0 + 10_000,
      waitSuspendedUntil: [],
      reserved: [held],
    });

  it('counts them, and holds a gated pod back (no decision, no Event) while they decide its unit, and the pods after it', () => {
    // The held place takes unit 0's only place: were it a create that failed, g would belong
    // there. h could only go to unit 1 (its own nodeSelector) but waits behind the older g.
    const g = pod('g', { gated: true, createdMs: T0 + 1000 });
    const h = pod('h', { gated: true, createdMs: T0 + 2000, nodeSelector: { pool: 'b' } });
    const p = plan(1, [g, h]);
    expect(p.actions).toEqual([]);
    expect(p.gated).toBe(2);
    expect(p.tallies[0]?.pods).toBe(1);
    expect(p.tallies[0]?.unbound).toBe(1);
  });

  it('decides gated pods whose unit is the same with and without the held places', () => {
    // Pods used to wait for every held place to be seen, whatever their unit.
    const p = plan(3, [
      pod('g', { gated: true, createdMs: T0 + 1000 }),
      pod('h', { gated: true, createdMs: T0 + 2000 }),
      pod('i', { gated: true, createdMs: T0 + 3000 }),
    ]);
    expect(p.actions.map((a) => [a.kind, a.pod.metadata?.name, 'unit' in a ? a.unit : -1])).toEqual(
      [
        ['assign', 'g', 0],
        ['assign', 'h', 0],
        // Unit 0 (max 3) is full with the held place: without it, i would go to unit 0.
      ],
    );
    expect(p.gated).toBe(1);
  });
});
