import { describe, expect, it } from '@jest/globals';
import {
  baseOf,
  decideRebalance,
  freshStates,
  planMove,
  type Move,
  type RebalanceCluster,
  type RebalanceInput,
} from '../../../src/fleet/rebalance.js';

const m = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o));
const obj = (c: ReadonlyMap<string, number>): Record<string, number> =>
  Object.fromEntries([...c].filter(([, v]) => v > 0));

const cluster = (
  name: string,
  group: number,
  readyReplicas: number,
  avail: number,
  memberReady = true,
): RebalanceCluster => ({ name, group, readyReplicas, avail, memberReady });

const BUDGET = { maxReplicas: 1, minIntervalMs: 0, stabilizationMs: 0, readyTimeoutMs: 0 };
const NOW = 1_000_000;

/** The e2e shape: idc (group 0) has room for 2 more, cloud (group 1) holds the 2 that spilled. */
function spilled(over: Partial<RebalanceInput> = {}): RebalanceInput {
  return {
    replicas: 4,
    base: m({ idc: 2, cloud: 2 }),
    scheduled: m({ idc: 2, cloud: 2 }),
    fresh: m({ idc: 4, cloud: 0 }),
    clusters: [cluster('idc', 0, 2, 2), cluster('cloud', 1, 2, 0)],
    automatic: true,
    budget: BUDGET,
    nowMs: NOW,
    ...over,
  };
}

const moveOf = (raise: number, startedAtMs = NOW - 1000): Move => ({
  raise: [{ cluster: 'idc', replicas: raise }],
  lower: [{ cluster: 'cloud', replicas: raise }],
  startedAtMs,
  trigger: 'Automatic',
});

describe('decideRebalance: starting a move', () => {
  it('does nothing when rebalance is off and nothing was asked for', () => {
    const d = decideRebalance(spilled({ automatic: false }));
    expect(d.step).toBe('off');
    expect(obj(d.counts)).toEqual({ idc: 2, cloud: 2 });
    expect(d.move).toBeUndefined();
  });

  it('raises the higher group by the budget first, lowering nothing yet (surge)', () => {
    const d = decideRebalance(spilled());
    expect(d.step).toBe('started');
    expect(obj(d.counts)).toEqual({ idc: 3, cloud: 2 });
    expect(d.move?.raise).toEqual([{ cluster: 'idc', replicas: 1 }]);
    expect(d.move?.lower).toEqual([{ cluster: 'cloud', replicas: 1 }]);
    expect(d.move?.trigger).toBe('Automatic');
  });

  it('moves at most maxReplicas, and never more than the higher group has room for', () => {
    const big = decideRebalance(spilled({ budget: { ...BUDGET, maxReplicas: 5 } }));
    expect(obj(big.counts)).toEqual({ idc: 4, cloud: 2 });
    const cramped = decideRebalance(
      spilled({
        budget: { ...BUDGET, maxReplicas: 5 },
        clusters: [cluster('idc', 0, 2, 1), cluster('cloud', 1, 2, 0)],
      }),
    );
    expect(obj(cramped.counts)).toEqual({ idc: 3, cloud: 2 });
  });

  it('reports balanced when every group holds what a fresh schedule gives it', () => {
    const d = decideRebalance(
      spilled({ base: m({ idc: 4 }), scheduled: m({ idc: 4 }), fresh: m({ idc: 4 }) }),
    );
    expect(d.step).toBe('balanced');
    expect(d.freeSinceMs).toBeUndefined();
  });

  it('never moves replicas away from a higher group towards a lower one', () => {
    const d = decideRebalance(spilled({ fresh: m({ idc: 1, cloud: 3 }) }));
    expect(d.step).toBe('balanced');
    expect(obj(d.counts)).toEqual({ idc: 2, cloud: 2 });
  });

  it('waits out the stabilization window, remembering since when the room is there', () => {
    const budget = { ...BUDGET, stabilizationMs: 60_000 };
    const first = decideRebalance(spilled({ budget }));
    expect(first.step).toBe('waiting');
    expect(first.freeSinceMs).toBe(NOW);
    expect(first.requeueMs).toBe(60_000);
    expect(obj(first.counts)).toEqual({ idc: 2, cloud: 2 });
    const later = decideRebalance(spilled({ budget, freeSinceMs: NOW, nowMs: NOW + 60_000 }));
    expect(later.step).toBe('started');
  });

  it('forgets the window once there is nothing to move', () => {
    const d = decideRebalance(spilled({ fresh: m({ idc: 2, cloud: 2 }), freeSinceMs: NOW - 5000 }));
    expect(d.step).toBe('balanced');
    expect(d.freeSinceMs).toBeUndefined();
  });

  it('keeps the minimum interval between moves', () => {
    const budget = { ...BUDGET, minIntervalMs: 30_000 };
    const d = decideRebalance(spilled({ budget, lastMoveMs: NOW - 10_000 }));
    expect(d.step).toBe('waiting');
    expect(d.requeueMs).toBe(20_000);
    expect(decideRebalance(spilled({ budget, lastMoveMs: NOW - 30_000 })).step).toBe('started');
  });

  it('never starts while the higher group has replicas that are not Ready', () => {
    const d = decideRebalance(
      spilled({ clusters: [cluster('idc', 0, 1, 2), cluster('cloud', 1, 2, 0)] }),
    );
    expect(d.step).toBe('waiting');
    expect(d.message).toContain('idc');
    expect(obj(d.counts)).toEqual({ idc: 2, cloud: 2 });
  });

  it('never starts on a member that is not Ready', () => {
    const d = decideRebalance(
      spilled({ clusters: [cluster('idc', 0, 2, 2, false), cluster('cloud', 1, 2, 0)] }),
    );
    expect(d.step).not.toBe('started');
    const donorDown = decideRebalance(
      spilled({ clusters: [cluster('idc', 0, 2, 2), cluster('cloud', 1, 2, 0, false)] }),
    );
    expect(donorDown.step).not.toBe('started');
  });

  it('lets a scale or failover land first before moving anything on top of it', () => {
    const d = decideRebalance(spilled({ scheduled: m({ idc: 2, cloud: 3 }) }));
    expect(d.step).toBe('waiting');
    expect(obj(d.counts)).toEqual({ idc: 2, cloud: 3 });
  });

  it('serves a manual request with rebalance off, without the stabilization window', () => {
    const d = decideRebalance(
      spilled({
        automatic: false,
        manual: 'WorkloadRebalancer/now',
        budget: { ...BUDGET, stabilizationMs: 600_000 },
      }),
    );
    expect(d.step).toBe('started');
    expect(d.move?.trigger).toBe('WorkloadRebalancer/now');
  });
});

describe('decideRebalance: the move in flight', () => {
  // The binding holds idc 3 (2 + the surge of 1), cloud 2; the scheduler saw the base idc 2.
  const inFlight = (over: Partial<RebalanceInput> = {}) =>
    spilled({
      move: moveOf(1),
      clusters: [cluster('idc', 0, 2, 1), cluster('cloud', 1, 2, 0)],
      ...over,
    });

  it('keeps the surge until the raised replicas are Ready', () => {
    const d = decideRebalance(inFlight());
    expect(d.step).toBe('moving');
    expect(obj(d.counts)).toEqual({ idc: 3, cloud: 2 });
    expect(d.move).toEqual(moveOf(1));
  });

  it('lowers the lower group by as many once they are Ready', () => {
    const d = decideRebalance(
      inFlight({ clusters: [cluster('idc', 0, 3, 1), cluster('cloud', 1, 2, 0)] }),
    );
    expect(d.step).toBe('completed');
    expect(obj(d.counts)).toEqual({ idc: 3, cloud: 1 });
    expect(d.move).toBeUndefined();
    expect(d.lastMoveMs).toBe(NOW);
  });

  it('does not lower when that would leave fewer than `replicas` Ready', () => {
    // A third cluster's replica is not Ready: removing a Ready one in cloud would leave 3 of 4.
    const d = decideRebalance(
      spilled({
        base: m({ idc: 2, cloud: 1, edge: 1 }),
        scheduled: m({ idc: 2, cloud: 1, edge: 1 }),
        move: moveOf(1),
        clusters: [cluster('idc', 0, 3, 0), cluster('cloud', 1, 1, 0), cluster('edge', 1, 0, 0)],
      }),
    );
    expect(d.step).toBe('moving');
    expect(obj(d.counts)).toEqual({ idc: 3, cloud: 1, edge: 1 });
  });

  it('lowers when the replica removed is one that is not Ready anyway', () => {
    const d = decideRebalance(
      inFlight({ clusters: [cluster('idc', 0, 3, 0), cluster('cloud', 1, 1, 0)] }),
    );
    expect(d.step).toBe('completed');
  });

  it('aborts when a member of the move becomes NotReady: back to the placement before it', () => {
    for (const clusters of [
      [cluster('idc', 0, 2, 1, false), cluster('cloud', 1, 2, 0)],
      [cluster('idc', 0, 3, 1), cluster('cloud', 1, 2, 0, false)],
    ]) {
      const d = decideRebalance(inFlight({ clusters }));
      expect(d.step).toBe('aborted');
      expect(obj(d.counts)).toEqual({ idc: 2, cloud: 2 });
      expect(d.move).toBeUndefined();
      expect(d.lastMoveMs).toBe(NOW);
      expect(d.message).toContain('not Ready');
    }
  });

  it('aborts on a scale during the move without losing or doubling replicas', () => {
    // Scaled 4 -> 6: the scheduler put the 2 new ones on the base; the surge is dropped.
    const out = decideRebalance(inFlight({ replicas: 6, scheduled: m({ idc: 3, cloud: 3 }) }));
    expect(out.step).toBe('aborted');
    expect([...out.counts.values()].reduce((a, b) => a + b, 0)).toBe(6);
    // Scaled 4 -> 3: the scheduler removed one from cloud; again exactly the new count.
    const inn = decideRebalance(inFlight({ replicas: 3, scheduled: m({ idc: 2, cloud: 1 }) }));
    expect(inn.step).toBe('aborted');
    expect(obj(inn.counts)).toEqual({ idc: 2, cloud: 1 });
  });

  it('aborts when rebalance is turned off or the groups are reordered', () => {
    expect(decideRebalance(inFlight({ automatic: false })).step).toBe('aborted');
    const swapped = decideRebalance(
      inFlight({ clusters: [cluster('idc', 1, 2, 1), cluster('cloud', 0, 2, 0)] }),
    );
    expect(swapped.step).toBe('aborted');
  });

  it('aborts when the raised replicas are not Ready within the timeout', () => {
    const budget = { ...BUDGET, readyTimeoutMs: 60_000 };
    expect(decideRebalance(inFlight({ budget, move: moveOf(1, NOW - 59_000) })).step).toBe(
      'moving',
    );
    expect(decideRebalance(inFlight({ budget, move: moveOf(1, NOW - 61_000) })).step).toBe(
      'aborted',
    );
  });

  it('finishes a manual move even with automatic rebalance off', () => {
    const d = decideRebalance(
      inFlight({
        automatic: false,
        manual: 'WorkloadRebalancer/now',
        clusters: [cluster('idc', 0, 3, 1), cluster('cloud', 1, 2, 0)],
      }),
    );
    expect(d.step).toBe('completed');
  });
});

describe('repeating moves', () => {
  it('converges on the fresh schedule with never fewer than `replicas` and never more than the surge', () => {
    // 5 replicas: 1 in idc, 4 spilled to two cloud clusters; idc now has room for all.
    const replicas = 5;
    let placed = m({ idc: 1, 'cloud-a': 2, 'cloud-b': 2 });
    let move: Move | undefined;
    let lastMoveMs: number | undefined;
    let now = NOW;
    const budget = { ...BUDGET, maxReplicas: 2, minIntervalMs: 10_000 };
    const steps: string[] = [];
    for (let round = 0; round < 50; round++) {
      const base = baseOf(placed, move);
      // Pods become Ready one round after they are asked for; the idc room is what is left of 8.
      const d = decideRebalance({
        replicas,
        base,
        scheduled: base,
        fresh: m({ idc: 5 }),
        clusters: [
          cluster('idc', 0, placed.get('idc') ?? 0, 8 - (placed.get('idc') ?? 0)),
          cluster('cloud-a', 1, placed.get('cloud-a') ?? 0, 0),
          cluster('cloud-b', 1, placed.get('cloud-b') ?? 0, 0),
        ],
        automatic: true,
        budget,
        ...(move ? { move } : {}),
        ...(lastMoveMs !== undefined ? { lastMoveMs } : {}),
        nowMs: now,
      });
      steps.push(d.step);
      const sum = [...d.counts.values()].reduce((a, b) => a + b, 0);
      expect(sum).toBeGreaterThanOrEqual(replicas);
      expect(sum).toBeLessThanOrEqual(replicas + budget.maxReplicas);
      placed = new Map(d.counts);
      move = d.move;
      lastMoveMs = d.lastMoveMs;
      now += 5000;
      if (d.step === 'balanced') break;
    }
    expect(obj(placed)).toEqual({ idc: 5 });
    expect(steps.filter((s) => s === 'completed')).toHaveLength(2);
    expect(steps).toContain('waiting'); // the interval held the second move back
    expect(steps.at(-1)).toBe('balanced');
  });
});

describe('planMove', () => {
  it('raises where the fresh schedule wants more, within each cluster’s room', () => {
    const plan = planMove(
      m({ a: 1, b: 1, c: 4 }),
      m({ a: 3, b: 3, c: 0 }),
      [cluster('a', 0, 1, 1), cluster('b', 0, 1, 5), cluster('c', 1, 4, 0)],
      3,
    );
    expect(plan?.raise).toEqual([
      { cluster: 'b', replicas: 2 },
      { cluster: 'a', replicas: 1 },
    ]);
    expect(plan?.lower).toEqual([{ cluster: 'c', replicas: 3 }]);
  });

  it('moves from the lowest-priority group first, to the highest first', () => {
    const plan = planMove(
      m({ a: 0, b: 2, c: 2 }),
      m({ a: 2, b: 2, c: 0 }),
      [cluster('a', 0, 0, 9), cluster('b', 1, 2, 0), cluster('c', 2, 2, 0)],
      1,
    );
    expect(plan).toEqual({
      raise: [{ cluster: 'a', replicas: 1 }],
      lower: [{ cluster: 'c', replicas: 1 }],
    });
  });

  it('moves only as many as a Ready donor can give back', () => {
    const plan = planMove(
      m({ a: 0, b: 1, c: 1 }),
      m({ a: 2 }),
      [cluster('a', 0, 0, 9), cluster('b', 1, 1, 0), cluster('c', 1, 1, 0, false)],
      2,
    );
    expect(plan).toEqual({
      raise: [{ cluster: 'a', replicas: 1 }],
      lower: [{ cluster: 'b', replicas: 1 }],
    });
  });
});

describe('baseOf and freshStates', () => {
  it('takes the surge off the binding’s placement', () => {
    expect(obj(baseOf(m({ idc: 3, cloud: 2 }), moveOf(1)))).toEqual({ idc: 2, cloud: 2 });
    expect(obj(baseOf(m({ idc: 3, cloud: 2 }), undefined))).toEqual({ idc: 3, cloud: 2 });
  });

  it('gives each cluster its free room plus what the Ready replicas occupy, nothing placed', () => {
    expect(
      freshStates([
        { name: 'idc', cur: 2, avail: 2, ready: 2 },
        { name: 'cloud', cur: 2, avail: 0, ready: 1, notReady: true },
      ]),
    ).toEqual([
      { name: 'idc', cur: 0, avail: 4 },
      { name: 'cloud', cur: 0, avail: 1, notReady: true },
    ]);
  });
});
