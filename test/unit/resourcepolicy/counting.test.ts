import { describe, expect, it } from '@jest/globals';
import { groupKey, tallyUnits } from '../../../src/resourcepolicy/counting.js';
import { unitOf } from '../../../src/resourcepolicy/membership.js';
import { POOLS, T0, pod, policyOf } from './helpers.js';

const units = [
  { resource: 'ecs' as const, nodeSelector: { pool: 'a' }, max: 2 },
  { resource: 'ecs' as const, nodeSelector: { pool: 'b' } },
  { resource: 'eci' as const },
];

describe('unit membership', () => {
  const policy = policyOf({ units });

  it('counts a bound pod in the first unit whose nodes include its node', () => {
    expect(unitOf(policy, pod('p', { nodeName: 'a-0' }), POOLS)).toBe(0);
    expect(unitOf(policy, pod('p', { nodeName: 'b-1' }), POOLS)).toBe(1);
    expect(unitOf(policy, pod('p', { nodeName: 'vk-0' }), POOLS)).toBe(2);
  });

  it('never counts a pod on a virtual node in an ecs unit, nor one on a real node in an eci unit', () => {
    const anyEcs = policyOf({ units: [{ resource: 'ecs' }, { resource: 'eci' }] });
    expect(unitOf(anyEcs, pod('p', { nodeName: 'vk-0' }), POOLS)).toBe(1);
    expect(unitOf(anyEcs, pod('p', { nodeName: 'a-0' }), POOLS)).toBe(0);
  });

  it('requires the unit podLabels and podAnnotations to count a pod there', () => {
    const marked = policyOf({
      units: [
        { resource: 'ecs', nodeSelector: { pool: 'a' }, podLabels: { u: '1' } },
        { resource: 'ecs', nodeSelector: { pool: 'a' }, podAnnotations: { u: '2' } },
      ],
    });
    expect(unitOf(marked, pod('p', { nodeName: 'a-0', labels: { u: '1' } }), POOLS)).toBe(0);
    expect(unitOf(marked, pod('p', { nodeName: 'a-0', annotations: { u: '2' } }), POOLS)).toBe(1);
    expect(unitOf(marked, pod('p', { nodeName: 'a-0' }), POOLS)).toBeUndefined();
  });

  it('counts an unbound pod by the unit the controller recorded, for this policy only', () => {
    const a = {
      'scheduling.spillway.dev/resource-policy': 'rp',
      'scheduling.spillway.dev/unit': '1',
    };
    expect(unitOf(policy, pod('p', { annotations: a }), POOLS)).toBe(1);
    const other = { ...a, 'scheduling.spillway.dev/resource-policy': 'other' };
    expect(unitOf(policy, pod('p', { annotations: other }), POOLS)).toBeUndefined();
    const outOfRange = { ...a, 'scheduling.spillway.dev/unit': '7' };
    expect(unitOf(policy, pod('p', { annotations: outOfRange }), POOLS)).toBeUndefined();
  });
});

describe('tallyUnits', () => {
  it('counts pods per unit with resources, skipping finished pods', () => {
    const policy = policyOf({ units });
    const t = tallyUnits(
      policy,
      [
        pod('a', { nodeName: 'a-0', cpu: '500m' }),
        pod('b', { nodeName: 'a-1', cpu: '1' }),
        pod('c', { nodeName: 'b-0', phase: 'Succeeded' }),
        pod('d', { nodeName: 'vk-0' }),
      ],
      POOLS,
    );
    expect(t.map((x) => x.pods)).toEqual([2, 0, 1]);
    expect(t[0]?.resources.get('cpu')).toBe(1500n);
  });

  it('ignores terminating pods by default, and counts them with ignoreTerminatingPod: false', () => {
    const pods = [pod('a', { nodeName: 'a-0', terminating: true }), pod('b', { nodeName: 'a-0' })];
    const ignoring = tallyUnits(policyOf({ units }), pods, POOLS)[0];
    expect([ignoring?.pods, ignoring?.terminating]).toEqual([1, 1]);
    const counting = tallyUnits(policyOf({ units, ignoreTerminatingPod: false }), pods, POOLS)[0];
    expect([counting?.pods, counting?.terminating]).toEqual([2, 1]);
  });

  it('with ignorePreviousPod, leaves out pods created before the policy', () => {
    const created = T0 + 60_000;
    const pods = [
      pod('old', { nodeName: 'a-0', createdMs: T0 }),
      pod('new', { nodeName: 'a-0', createdMs: T0 + 120_000 }),
    ];
    expect(
      tallyUnits(policyOf({ units, ignorePreviousPod: true }, created), pods, POOLS)[0]?.pods,
    ).toBe(1);
    expect(tallyUnits(policyOf({ units }, created), pods, POOLS)[0]?.pods).toBe(2);
  });

  it('counts per matchLabelKeys group and never counts a pod missing a key', () => {
    const policy = policyOf({ units, matchLabelKeys: ['pod-template-hash'] });
    const t = tallyUnits(
      policy,
      [
        pod('a', { nodeName: 'a-0', labels: { 'pod-template-hash': 'v1' } }),
        pod('b', { nodeName: 'a-0', labels: { 'pod-template-hash': 'v1' } }),
        pod('c', { nodeName: 'a-1', labels: { 'pod-template-hash': 'v2' } }),
        pod('d', { nodeName: 'a-1' }),
      ],
      POOLS,
    )[0];
    expect(t?.pods).toBe(3);
    expect(t?.byGroup.get(groupKey(policy, { 'pod-template-hash': 'v1' }) ?? '')).toBe(2);
    expect(t?.byGroup.get(groupKey(policy, { 'pod-template-hash': 'v2' }) ?? '')).toBe(1);
    expect(groupKey(policy, {})).toBeUndefined();
  });
});
