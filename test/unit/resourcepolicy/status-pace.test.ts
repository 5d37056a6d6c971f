import { describe, expect, it } from '@jest/globals';
import type { ResourcePolicyStatus } from '../../../src/api/resourcepolicy.js';
import { beyondCounts, StatusPacer } from '../../../src/resourcepolicy/status-pace.js';

/**
 * What the reconciler does with the pacer: each pass that changed the counts offers a write;
 * a deferred one is offered again by the pass the namespace is requeued for.
 */
function simulate(changesAtMs: readonly number[], windowMs = 1000): number[] {
  const pacer = new StatusPacer(windowMs);
  const writes: number[] = [];
  let requeuedAt: number | undefined;
  const events = [...changesAtMs].sort((a, b) => a - b);
  const pass = (t: number) => {
    const v = pacer.offer('rp', t, false);
    if (v.write) {
      writes.push(t);
      requeuedAt = undefined;
    } else requeuedAt = Math.min(requeuedAt ?? Infinity, t + v.inMs);
  };
  for (const t of events) {
    while (requeuedAt !== undefined && requeuedAt <= t) pass(requeuedAt);
    pass(t);
  }
  while (requeuedAt !== undefined) pass(requeuedAt);
  return writes;
}

const status = (over: Partial<ResourcePolicyStatus> = {}): ResourcePolicyStatus => ({
  observedGeneration: 1,
  gatedPods: 0,
  summary: '1/2,0',
  units: [
    { index: 0, resource: 'ecs', pods: 1, max: 2 },
    { index: 1, resource: 'eci', pods: 0 },
  ],
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Accepted',
      message: 'ok',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 1,
    },
  ],
  ...over,
});

describe('StatusPacer (policy status at most about once a second)', () => {
  it('merges the changes of one window into one write, at the window end', () => {
    // A write at 0, then 9 changes within the window: one more write, at 1000, for all nine.
    expect(simulate([0, 100, 200, 300, 400, 500, 600, 700, 800, 900])).toEqual([0, 1000]);
    // A change after a quiet window is written at once.
    expect(simulate([0, 5000])).toEqual([0, 5000]);
    // A long burst: never more than one write per window, and the last change is written.
    const burst = Array.from({ length: 300 }, (_, i) => i * 10);
    const writes = simulate(burst);
    expect(writes).toEqual([0, 1000, 2000, 3000]);
    expect(writes[writes.length - 1]).toBeGreaterThanOrEqual(burst[burst.length - 1] ?? 0);
  });

  it('writes at once what is more than counts, and keeps policies apart', () => {
    const pacer = new StatusPacer(1000);
    expect(pacer.offer('a', 0, false)).toEqual({ write: true });
    expect(pacer.offer('a', 10, false)).toEqual({ write: false, inMs: 990 });
    expect(pacer.offer('b', 10, false)).toEqual({ write: true });
    expect(pacer.offer('a', 20, true)).toEqual({ write: true });
    expect(pacer.offer('a', 30, false)).toEqual({ write: false, inMs: 990 });
  });

  it('tells counts from what must be written at once', () => {
    const before = status();
    const counts = status({
      gatedPods: 3,
      summary: '2/2,4',
      podsOutsideUnits: 1,
      units: [
        { index: 0, resource: 'ecs', pods: 2, max: 2, waitingPods: 1, resources: { cpu: '2' } },
        { index: 1, resource: 'eci', pods: 4, terminatingPods: 1 },
      ],
    });
    expect(beyondCounts(before, counts)).toBe(false);
    // As read back from the API server: the same, keys sorted.
    const sorted = JSON.parse(
      JSON.stringify(before, (_k, v: unknown) =>
        v !== null && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
          : v,
      ),
    ) as ResourcePolicyStatus;
    expect(JSON.stringify(sorted)).not.toBe(JSON.stringify(before));
    expect(beyondCounts(sorted, counts)).toBe(false);
    expect(beyondCounts(undefined, before)).toBe(true);
    expect(beyondCounts(before, status({ observedGeneration: 2 }))).toBe(true);
    const notReady = status({
      conditions: (before.conditions ?? []).map((c) => ({
        ...c,
        status: 'False',
        reason: 'InvalidSpec',
      })),
    });
    expect(beyondCounts(before, notReady)).toBe(true);
    const suspended = status({
      units: [
        { index: 0, resource: 'ecs', pods: 1, max: 2, waitSuspendedUntil: '2026-01-01T00:10:00Z' },
        { index: 1, resource: 'eci', pods: 0 },
      ],
    });
    expect(beyondCounts(before, suspended)).toBe(true);
  });
});
