import { describe, expect, it } from '@jest/globals';
import { tallyUnits } from '../../../src/resourcepolicy/counting.js';
import { quantityText } from '../../../src/resourcepolicy/quantity-text.js';
import { planPolicy } from '../../../src/resourcepolicy/plan.js';
import { buildStatus, statusChanged, statusPatch } from '../../../src/resourcepolicy/status.js';
import { parseMilli } from '../../../src/util/quantity.js';
import { POOLS, pod, policyOf } from './helpers.js';

describe('status', () => {
  const policy = policyOf({
    units: [{ resource: 'ecs', nodeSelector: { pool: 'a' }, max: 2 }, { resource: 'eci' }],
  });
  const tallies = tallyUnits(
    policy,
    [pod('a', { nodeName: 'a-0', cpu: '500m' }), pod('b', { nodeName: 'vk-0', cpu: '2' })],
    POOLS,
  );
  const build = (previous?: ReturnType<typeof buildStatus>, now = '2026-01-01T00:00:00Z') =>
    buildStatus({
      previous,
      generation: 3,
      policy,
      tallies,
      suspendedUntil: [undefined, Date.parse('2026-01-01T00:10:00Z')],
      gated: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Accepted', message: 'ok' }],
      nowIso: now,
    });

  it('reports pods and resources per unit, a summary, gated pods and conditions', () => {
    const s = build();
    expect(s.summary).toBe('1/2,1');
    expect(s.units).toEqual([
      { index: 0, resource: 'ecs', pods: 1, max: 2, resources: { cpu: '500m' } },
      {
        index: 1,
        resource: 'eci',
        pods: 1,
        resources: { cpu: '2' },
        waitSuspendedUntil: '2026-01-01T00:10:00Z',
      },
    ]);
    expect(s.gatedPods).toBe(1);
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', observedGeneration: 3 });
  });

  it('keeps lastTransitionTime while a condition holds, so a repeat pass writes nothing', () => {
    const first = build();
    const again = build(first, '2026-01-01T01:00:00Z');
    expect(again.conditions?.[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(statusChanged(first, again)).toBe(false);
  });

  it('sees no change in a status read back from the API server, whose keys come sorted', () => {
    // Every pass used to write the status again (about one patch per pod in a burst).
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([k, x]) => [k, sortKeys(x)]),
            )
          : v;
    const stored = sortKeys(build()) as ReturnType<typeof build>;
    expect(JSON.stringify(stored)).not.toBe(JSON.stringify(build()));
    expect(statusChanged(stored, build(stored, '2026-01-01T01:00:00Z'))).toBe(false);
  });

  it('removes with the patch what the new status leaves out (a merge patch would keep it)', () => {
    const before = { ...build(), podsOutsideUnits: 2 };
    const now = build(before);
    expect(now.podsOutsideUnits).toBeUndefined();
    expect(statusPatch(before, now).status).toMatchObject({ podsOutsideUnits: null, gatedPods: 1 });
    expect(statusPatch(now, now).status).not.toHaveProperty('podsOutsideUnits');
  });
});

describe('status (issue 11)', () => {
  it('item 11: with matchLabelKeys, shows each group and the largest one against max', () => {
    const policy = policyOf({
      matchLabelKeys: ['pod-template-hash'],
      units: [{ resource: 'ecs', nodeSelector: { pool: 'a' }, max: 2 }, { resource: 'eci' }],
    });
    const inA = (name: string, hash: string) =>
      pod(name, { nodeName: 'a-0', labels: { 'pod-template-hash': hash } });
    const tallies = tallyUnits(
      policy,
      [inA('a', 'v1'), inA('b', 'v1'), inA('c', 'v2'), inA('d', 'v2')],
      POOLS,
    );
    const s = buildStatus({
      previous: undefined,
      generation: 1,
      policy,
      tallies,
      suspendedUntil: [],
      gated: 0,
      conditions: [],
      nowIso: '2026-01-01T00:00:00Z',
    });
    // Both groups are within max 2: the summary no longer reads 4/2.
    expect(s.summary).toBe('2/2,0 per pod-template-hash');
    expect(s.units?.[0]).toMatchObject({
      pods: 4,
      largestGroupPods: 2,
      groups: [
        { labels: { 'pod-template-hash': 'v1' }, pods: 2, resources: { cpu: '2' } },
        { labels: { 'pod-template-hash': 'v2' }, pods: 2, resources: { cpu: '2' } },
      ],
    });
  });

  it('item 12: counts and reports placed pods outside every unit', () => {
    const policy = policyOf({ units: [{ resource: 'ecs', nodeSelector: { pool: 'a' } }] });
    const plan = planPolicy({
      policy,
      pods: [pod('in', { nodeName: 'a-0' }), pod('out', { nodeName: 'b-0' }), pod('loose')],
      nodeLabels: POOLS,
      room: () => ({ fits: 0, lowerPriorityPods: 0 }),
      nowMs: Date.parse('2026-01-01T00:00:10Z'),
      waitSuspendedUntil: [],
    });
    expect(plan.outsideUnits).toBe(2);
    const s = buildStatus({
      previous: undefined,
      generation: 1,
      policy,
      tallies: plan.tallies,
      suspendedUntil: [],
      gated: 0,
      outsideUnits: plan.outsideUnits,
      conditions: [],
      nowIso: '2026-01-01T00:00:00Z',
    });
    expect(s.podsOutsideUnits).toBe(2);
    expect(s.summary).toBe('1, 2 outside units');
  });

  it('item 14: prints quantities as written, and the maxResources limits verbatim', () => {
    const spec = [
      { resource: 'ecs' as const, maxResources: { cpu: '4', memory: '1Gi', 'nvidia.com/gpu': 2 } },
    ];
    const policy = policyOf({ units: spec });
    const p = {
      ...pod('a', { nodeName: 'a-0' }),
      spec: {
        nodeName: 'a-0',
        containers: [{ resources: { requests: { cpu: '3', memory: '600Mi' } } }],
      },
    };
    const s = buildStatus({
      previous: undefined,
      generation: 1,
      policy,
      specUnits: spec,
      tallies: tallyUnits(policy, [p], POOLS),
      suspendedUntil: [],
      gated: 0,
      conditions: [],
      nowIso: '2026-01-01T00:00:00Z',
    });
    expect(s.units?.[0]?.resources).toEqual({ cpu: '3', memory: '600Mi' });
    expect(s.units?.[0]?.maxResources).toEqual({
      cpu: '4',
      memory: '1Gi',
      'nvidia.com/gpu': '2',
    });
  });

  it('quantityText round-trips exactly and picks the suffix a user would write', () => {
    const cases: [string, string, string][] = [
      ['cpu', '3000m', '3'],
      ['cpu', '1500m', '1500m'],
      ['memory', '629145600', '600Mi'],
      ['memory', '1G', '1G'],
      ['memory', '1000', '1k'],
      ['memory', '1500', '1500'],
      ['ephemeral-storage', '10Gi', '10Gi'],
      ['pods', '1024', '1024'],
      ['memory', '100m', '100m'],
    ];
    for (const [name, input, want] of cases) {
      const text = quantityText(name, parseMilli(input));
      expect(text).toBe(want);
      expect(parseMilli(text)).toBe(parseMilli(input));
    }
  });
});
