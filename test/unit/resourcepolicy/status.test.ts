import { describe, expect, it } from '@jest/globals';
import { tallyUnits } from '../../../src/resourcepolicy/counting.js';
import { buildStatus, statusChanged } from '../../../src/resourcepolicy/status.js';
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
      units: policy.units,
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
        resources: { cpu: '2000m' },
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
});
