import { describe, expect, it } from '@jest/globals';
import type { ResourcePolicySpec } from '../../../src/api/resourcepolicy.js';
import { chooseUnit, type UnitRoom } from '../../../src/resourcepolicy/choose.js';
import { podRequests, tallyUnits } from '../../../src/resourcepolicy/counting.js';
import type { PolicyPod } from '../../../src/resourcepolicy/types.js';
import { POOLS, pod, policyOf } from './helpers.js';

const WAIT = { 'k8s.aliyun.com/resource-policy-wait-for-ecs-scaling': 'true' };

/** Decides `p` with the given free slots per unit and the other pods already placed. */
function decide(
  spec: Partial<ResourcePolicySpec>,
  fits: number[],
  others: PolicyPod[] = [],
  p: PolicyPod = pod('new', { gated: true }),
  opts: { victims?: number[]; suspended?: boolean[] } = {},
) {
  const policy = policyOf(spec);
  return chooseUnit({
    policy,
    pod: p,
    requests: podRequests(p),
    tallies: tallyUnits(policy, others, POOLS),
    room: (u): UnitRoom => ({
      fits: fits[u.index] ?? 0,
      lowerPriorityPods: opts.victims?.[u.index] ?? 0,
    }),
    waitSuspended: opts.suspended ?? [],
  });
}

const AB = [
  { resource: 'ecs' as const, nodeSelector: { pool: 'a' } },
  { resource: 'ecs' as const, nodeSelector: { pool: 'b' } },
];

describe('chooseUnit', () => {
  it('takes the first unit with room (LackResourceOrExceedMax)', () => {
    expect(decide({ units: AB }, [1, 1])).toMatchObject({ kind: 'assign', unit: 0 });
    expect(decide({ units: AB }, [0, 1])).toMatchObject({ kind: 'assign', unit: 1 });
  });

  it('keeps the pod gated when no unit has room', () => {
    expect(decide({ units: AB }, [0, 0])).toMatchObject({ kind: 'hold', reason: 'NoUnitHasRoom' });
  });

  it('passes over a unit at max even with room, and holds when every unit is at max', () => {
    const units = [
      { ...AB[0], max: 1 },
      { ...AB[1], max: 1 },
    ] as ResourcePolicySpec['units'];
    const inA = [pod('x', { nodeName: 'a-0' })];
    expect(decide({ units }, [5, 5], inA)).toMatchObject({ kind: 'assign', unit: 1 });
    const both = [...inA, pod('y', { nodeName: 'b-0' })];
    expect(decide({ units }, [5, 5], both)).toMatchObject({
      kind: 'hold',
      reason: 'AllUnitsAtMax',
    });
  });

  it('passes over a unit whose maxResources the pod would exceed', () => {
    const units = [{ ...AB[0], maxResources: { cpu: '2' } }, AB[1]] as ResourcePolicySpec['units'];
    const used = [pod('x', { nodeName: 'a-0', cpu: '1500m' })];
    expect(decide({ units }, [5, 5], used, pod('n', { gated: true, cpu: '500m' }))).toMatchObject({
      unit: 0,
    });
    expect(decide({ units }, [5, 5], used, pod('n', { gated: true, cpu: '600m' }))).toMatchObject({
      unit: 1,
    });
  });

  it('counts pods sent to a unit but not yet bound against its room', () => {
    const sent = pod('s', {
      annotations: {
        'scheduling.spillway.dev/resource-policy': 'rp',
        'scheduling.spillway.dev/unit': '0',
      },
    });
    expect(decide({ units: AB }, [1, 1], [sent])).toMatchObject({ unit: 1 });
    expect(decide({ units: AB }, [2, 1], [sent])).toMatchObject({ unit: 0 });
  });

  it('waits in a unit with max not reached under ExceedMax and TimeoutOrExceedMax, not by default', () => {
    const units = [{ ...AB[0], max: 3 }, AB[1]] as ResourcePolicySpec['units'];
    for (const policy of ['ExceedMax', 'TimeoutOrExceedMax'] as const) {
      expect(decide({ units, whenTryNextUnits: { policy } }, [0, 5])).toMatchObject({
        kind: 'assign',
        unit: 0,
        reason: 'WaitForCapacity',
      });
    }
    expect(decide({ units }, [0, 5])).toMatchObject({ unit: 1, reason: 'HasRoom' });
  });

  it('ExceedMax without max or maxResources moves on when the unit lacks room', () => {
    expect(decide({ units: AB, whenTryNextUnits: { policy: 'ExceedMax' } }, [0, 5])).toMatchObject({
      unit: 1,
    });
  });

  it('waits in a wait-for-scaling unit, unless a pod timed out there recently', () => {
    const units = [{ ...AB[0], podLabels: WAIT }, AB[1]] as ResourcePolicySpec['units'];
    const spec = { units, whenTryNextUnits: { policy: 'TimeoutOrExceedMax' as const } };
    expect(decide(spec, [0, 5])).toMatchObject({ unit: 0, reason: 'WaitForCapacity' });
    expect(decide(spec, [0, 5], [], undefined, { suspended: [true] })).toMatchObject({ unit: 1 });
    // ExceedMax waits have no timeout, so nothing suspends them.
    const exceed = { units, whenTryNextUnits: { policy: 'ExceedMax' as const } };
    expect(decide(exceed, [0, 5], [], undefined, { suspended: [true] })).toMatchObject({ unit: 0 });
  });

  it('LackResourceAndNoTerminating holds the pod while pods of the full unit terminate', () => {
    const spec = {
      units: AB,
      whenTryNextUnits: { policy: 'LackResourceAndNoTerminating' as const },
    };
    const leaving = [pod('old', { nodeName: 'a-0', terminating: true })];
    expect(decide(spec, [0, 5], leaving)).toMatchObject({
      kind: 'hold',
      reason: 'WaitingForTerminatingPods',
    });
    expect(decide(spec, [0, 5])).toMatchObject({ unit: 1 });
    expect(decide({ units: AB }, [0, 5], leaving)).toMatchObject({ unit: 1 });
  });

  it('holds a pod missing a matchLabelKeys label, naming the label', () => {
    const units = [{ ...AB[0], max: 1 }, AB[1]] as ResourcePolicySpec['units'];
    const d = decide({ units, matchLabelKeys: ['pod-template-hash'] }, [5, 5]);
    expect(d).toMatchObject({ kind: 'hold', reason: 'MissingMatchLabelKey' });
    expect(d.message).toMatch(/pod-template-hash/);
  });

  it('applies max per matchLabelKeys group', () => {
    const units = [{ ...AB[0], max: 1 }, AB[1]] as ResourcePolicySpec['units'];
    const spec = { units, matchLabelKeys: ['pod-template-hash'] };
    const old = [pod('o', { nodeName: 'a-0', labels: { 'pod-template-hash': 'v1' } })];
    const v1 = pod('n', { gated: true, labels: { 'pod-template-hash': 'v1' } });
    const v2 = pod('n', { gated: true, labels: { 'pod-template-hash': 'v2' } });
    expect(decide(spec, [5, 5], old, v1)).toMatchObject({ unit: 1 });
    expect(decide(spec, [5, 5], old, v2)).toMatchObject({ unit: 0 });
  });

  it('passes over a unit whose nodeSelector contradicts the pod own nodeSelector', () => {
    const p = pod('n', { gated: true, nodeSelector: { pool: 'b' } });
    expect(decide({ units: AB }, [5, 5], [], p)).toMatchObject({ unit: 1 });
  });

  it('sends the pod to preempt: BeforeNextUnit in the first full unit, AfterAllUnits once all were tried', () => {
    const victims = { victims: [1, 1] };
    expect(
      decide({ units: AB, preemptPolicy: 'BeforeNextUnit' }, [0, 0], [], undefined, victims),
    ).toMatchObject({
      unit: 0,
      reason: 'Preempt',
    });
    expect(decide({ units: AB }, [0, 0], [], undefined, victims)).toMatchObject({
      unit: 0,
      reason: 'Preempt',
    });
    expect(
      decide({ units: AB, preemptPolicy: 'BeforeNextUnit' }, [0, 1], [], undefined, {
        victims: [1, 0],
      }),
    ).toMatchObject({
      unit: 0,
    });
  });

  it('AfterAllUnits preempts where lower-priority pods run, even when that is not the last unit', () => {
    // Issue 11 item 6: pool A is full of lower-priority pods, pool B is full of pods of equal
    // priority. The pod used to stay gated because only the last unit was considered.
    const d = decide({ units: AB }, [0, 0], [], pod('hi', { gated: true, priority: 100 }), {
      victims: [3, 0],
    });
    expect(d).toMatchObject({ kind: 'assign', unit: 0, reason: 'Preempt' });
  });

  it('says the pod own constraints exclude every unit, not that units lack room', () => {
    // Issue 11 item 15: a pod whose own nodeSelector matches no node of any unit.
    const policy = policyOf({ units: [...AB, { resource: 'eci' }] });
    const p = pod('n', { gated: true, nodeSelector: { disk: 'ssd' } });
    const d = chooseUnit({
      policy,
      pod: p,
      requests: podRequests(p),
      tallies: tallyUnits(policy, [], POOLS),
      room: () => ({ fits: 0, lowerPriorityPods: 0, excludedByPod: true }),
      waitSuspended: [],
    });
    expect(d).toMatchObject({ kind: 'hold', reason: 'PodConstraintsExcludeUnits' });
    expect(d.message).toMatch(/own nodeSelector, node affinity or tolerations exclude every unit/);
  });

  it('still says no room when only some units are excluded by the pod own constraints', () => {
    const policy = policyOf({ units: AB });
    const p = pod('n', { gated: true });
    const d = chooseUnit({
      policy,
      pod: p,
      requests: podRequests(p),
      tallies: tallyUnits(policy, [], POOLS),
      room: (u) => ({ fits: 0, lowerPriorityPods: 0, excludedByPod: u.index === 0 }),
      waitSuspended: [],
    });
    expect(d).toMatchObject({ kind: 'hold', reason: 'NoUnitHasRoom' });
    expect(d.message).toMatch(/unit 0 \(ecs\): the pod's own nodeSelector/);
    expect(d.message).toMatch(/unit 1 \(ecs\): no room/);
  });
});
