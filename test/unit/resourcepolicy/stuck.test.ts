/**
 * Issue 11 items 1 and 7: a pod kube-scheduler cannot place in its unit goes back through the
 * unit choice (recreated by its owner; the unit refuses that owner's pods until something
 * there changes); a pod stranded by a policy that is gone is recreated without the unit.
 */
import { describe, expect, it } from '@jest/globals';
import { planPolicy } from '../../../src/resourcepolicy/plan.js';
import { strandedByGonePolicy, type Refusal } from '../../../src/resourcepolicy/stuck.js';
import type { PolicyPod } from '../../../src/resourcepolicy/types.js';
import { POOLS, T0, pod, policyOf } from './helpers.js';

const AB = [
  { resource: 'ecs' as const, nodeSelector: { pool: 'a' } },
  { resource: 'ecs' as const, nodeSelector: { pool: 'b' } },
];
const SENT = (unit: number) => ({
  'scheduling.spillway.dev/resource-policy': 'rp',
  'scheduling.spillway.dev/unit': String(unit),
  'scheduling.spillway.dev/assigned-at': new Date(T0).toISOString(),
});

function owned(p: PolicyPod, owner = 'rs-1'): PolicyPod {
  return {
    ...p,
    metadata: {
      ...p.metadata,
      ownerReferences: [{ kind: 'ReplicaSet', uid: owner, controller: true }],
    },
  };
}

function unschedulable(p: PolicyPod, extra: { nominatedNodeName?: string } = {}): PolicyPod {
  return {
    ...p,
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
      ...extra,
    },
  };
}

function plan(pods: PolicyPod[], refusals: Refusal[] = [], unitNodes = 2, nowMs = T0 + 10_000) {
  return planPolicy({
    policy: policyOf({ units: AB }),
    pods,
    nodeLabels: POOLS,
    // The estimate ignores anti-affinity: it always sees room in pool A.
    room: () => ({ fits: 10, lowerPriorityPods: 0 }),
    nowMs,
    waitSuspendedUntil: [],
    refusals,
    unitNodeCount: () => unitNodes,
  });
}

const running = (name: string) => owned(pod(name, { nodeName: 'a-0', annotations: SENT(0) }));

describe('pods kube-scheduler cannot place in their unit', () => {
  it('are recreated, and the next pod of the same owner goes to the next unit', () => {
    const stuck = owned(unschedulable(pod('s', { annotations: SENT(0) })));
    const first = plan([running('r1'), running('r2'), stuck]);
    expect(first.actions.map((a) => `${a.kind}:${a.pod.metadata?.name}`)).toContain('move:s');
    expect(first.refusals).toEqual([
      expect.objectContaining({ unit: 0, owner: 'rs-1', ownerPodsInUnit: 2, unitNodes: 2 }),
    ]);
    // The owner's replacement, gated: pool A is refused to it although the estimate has room.
    const replacement = owned(pod('n', { gated: true, createdMs: T0 + 5000 }));
    const second = plan([running('r1'), running('r2'), replacement], first.refusals);
    expect(second.actions.filter((a) => a.kind === 'assign')).toEqual([
      expect.objectContaining({ kind: 'assign', unit: 1, reason: 'HasRoom' }),
    ]);
    // Another owner's pod may still use pool A.
    const other = owned(pod('o', { gated: true }), 'rs-2');
    expect(plan([other], first.refusals).actions.find((a) => a.kind === 'assign')).toMatchObject({
      unit: 0,
    });
  });

  it('a refusal ends when the owner has fewer pods there, the unit changes size, or in time', () => {
    const refusal: Refusal = {
      unit: 0,
      owner: 'rs-1',
      untilMs: T0 + 60_000,
      ownerPodsInUnit: 2,
      unitNodes: 2,
    };
    const n = owned(pod('n', { gated: true }));
    const unitOfNew = (p: ReturnType<typeof plan>) =>
      p.actions.find((a) => a.kind === 'assign')?.unit;
    expect(unitOfNew(plan([running('r1'), running('r2'), n], [refusal]))).toBe(1);
    expect(unitOfNew(plan([running('r1'), n], [refusal]))).toBe(0);
    expect(unitOfNew(plan([running('r1'), running('r2'), n], [refusal], 3))).toBe(0);
    expect(unitOfNew(plan([running('r1'), running('r2'), n], [refusal], 2, T0 + 61_000))).toBe(0);
  });

  it('leaves alone pods that wait for nodes, pods being preempted for, and the last unit', () => {
    const waiting = owned(
      unschedulable(
        pod('w', {
          annotations: { ...SENT(0), 'scheduling.spillway.dev/waiting-for-capacity': 'true' },
        }),
      ),
    );
    const preempting = owned(
      unschedulable(pod('p', { annotations: SENT(0) }), { nominatedNodeName: 'a-0' }),
    );
    const last = owned(unschedulable(pod('l', { annotations: SENT(1) })));
    const orphan = unschedulable(pod('x', { annotations: SENT(0), owned: false }));
    const p = plan([waiting, preempting, last, orphan]);
    expect(p.actions.filter((a) => a.kind === 'move')).toEqual([]);
    expect(
      p.actions
        .filter((a) => a.kind === 'hold')
        .map((a) => [a.pod.metadata?.name, 'reason' in a ? a.reason : '']),
    ).toEqual([
      ['l', 'UnschedulableInUnit'],
      ['x', 'UnschedulableInUnit'],
    ]);
  });
});

describe('strandedByGonePolicy', () => {
  it('is true only for unschedulable, owned pods placed by a policy that is gone', () => {
    const stuck = owned(unschedulable(pod('s', { annotations: SENT(0) })));
    expect(strandedByGonePolicy(stuck, new Set())).toBe(true);
    expect(strandedByGonePolicy(stuck, new Set(['rp']))).toBe(false);
    expect(strandedByGonePolicy(owned(pod('ok', { annotations: SENT(0) })), new Set())).toBe(false);
    expect(
      strandedByGonePolicy(
        unschedulable(pod('x', { annotations: SENT(0), owned: false })),
        new Set(),
      ),
    ).toBe(false);
  });
});
