/**
 * Karmada's division table tests, ported: same inputs, same expected outputs. Each block names
 * the Karmada file (github.com/karmada-io/karmada) it comes from. Karmada's member1..member4 are
 * m1..m4 here. Where Spillway deliberately differs (Karmada reports "unschedulable" when a group
 * has too little room; Spillway places the rest as waiting), the case asserts Spillway's answer
 * and says so; docs/scheduling.md lists the differences.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fnv1a32, tieBreakFromUid, webster } from '../../../src/scheduler/webster.js';
import type { ClusterState, ReplicaScheduling } from '../../../src/scheduler/index.js';
import {
  aggregated,
  cluster,
  counts,
  duplicated,
  dynamic,
  groups,
  run,
  weighted,
} from './helpers.js';
import { propertyRuns } from './runs.js';

/** The Webster property against the direct loop (`make fuzz`: SPILLWAY_PROPERTY_RUNS). */
const KARMADA_RUNS = propertyRuns(300);

/** Karmada's test UIDs (pkg/util/helper/binding_test.go). */
const EVEN_UID = '4858ca61-3ff8-4095-8267-f3d059d8074c';
const ODD_UID = 'd43fdeeb-d750-4e2b-bee3-64eb94534f4c';

/** Webster over named parties, the shape of Karmada's AllocateWebsterSeats (names sorted). */
function allocate(
  seats: number,
  votes: Record<string, number>,
  init: Record<string, number> = {},
  laterFirst = false,
): Record<string, number> {
  const names = [...new Set([...Object.keys(votes), ...Object.keys(init)])].sort();
  const r = webster(
    seats,
    names.map((n) => votes[n] ?? 0),
    { init: names.map((n) => init[n] ?? 0), laterFirst },
  );
  return Object.fromEntries(names.map((n, k) => [n, r.seats[k] ?? 0]));
}

describe('pkg/util/helper/webstermethod_test.go: AllocateWebsterSeats', () => {
  it('ExampleAllocateWebsterSeats: 4 seats over 1200:900:400', () => {
    expect(allocate(4, { Alpha: 1200, Beta: 900, Gamma: 400 })).toEqual({
      Alpha: 2,
      Beta: 1,
      Gamma: 1,
    });
  });
  // The classic Wikipedia example, seat by seat.
  const classic = { PartyA: 100000, PartyB: 80000, PartyC: 30000, PartyD: 20000 };
  it.each([
    [1, [1, 0, 0, 0]],
    [2, [1, 1, 0, 0]],
    [3, [2, 1, 0, 0]],
    [4, [2, 1, 1, 0]],
    [5, [2, 2, 1, 0]],
    [6, [2, 2, 1, 1]],
    [7, [3, 2, 1, 1]],
    [8, [3, 3, 1, 1]],
  ])('classic example, round %i', (seats, want) => {
    expect(Object.values(allocate(seats, classic))).toEqual(want);
  });
  it('empty party votes, and newSeats 0: nothing to hand out', () => {
    expect(allocate(1, {})).toEqual({});
    expect(allocate(0, {})).toEqual({});
    expect(allocate(0, { PartyA: 100, PartyB: 200 })).toEqual({ PartyA: 0, PartyB: 0 });
  });
  it('equal priority: fewer seats wins (3/(2*1+1) = 1/(2*0+1))', () => {
    expect(allocate(1, { PartyA: 3, PartyB: 1 }, { PartyA: 1, PartyB: 0 })).toEqual({
      PartyA: 1,
      PartyB: 1,
    });
  });
  it('equal priority and seats: by name, ascending unless the tie-break says descending', () => {
    expect(allocate(1, { PartyA: 1, PartyB: 1 })).toEqual({ PartyA: 1, PartyB: 0 });
    expect(allocate(1, { PartyA: 1, PartyB: 1 }, {}, true)).toEqual({ PartyA: 0, PartyB: 1 });
  });
  it('non-initial allocation: a new party joins, only new parties get new seats', () => {
    expect(allocate(2, { NewParty1: 1, NewParty2: 1 }, { OldParty: 0 })).toEqual({
      NewParty1: 1,
      NewParty2: 1,
      OldParty: 0,
    });
  });
  it('non-initial allocation: new and old parties compete for new seats', () => {
    expect(allocate(2, { OldParty: 1, NewParty: 1 }, { OldParty: 1 })).toEqual({
      NewParty: 2,
      OldParty: 1,
    });
  });
  it('non-initial allocation: a party with seats but no votes gets no new seats', () => {
    expect(allocate(2, { PartyA: 100 }, { PartyB: 3 })).toEqual({ PartyA: 2, PartyB: 3 });
  });
});

describe('pkg/util/helper/binding_test.go: Dispenser.AllocateByWeight and its UID tie-break', () => {
  const w123 = { A: 1, B: 2, C: 3 };
  const init123 = { A: 1, B: 2, C: 3 };
  it.each([
    ['Scale up 6 replicas', 6, { A: 2, B: 4, C: 6 }],
    ['Scale up 3 replicas', 3, { A: 2, B: 3, C: 4 }],
    ['Scale up 2 replicas', 2, { A: 1, B: 3, C: 4 }],
  ])('%s', (_, seats, want) => {
    expect(allocate(seats, w123, init123)).toEqual(want);
  });
  it.each([
    [1, { A: 1, B: 0 }],
    [2, { A: 1, B: 1 }],
    [3, { A: 2, B: 1 }],
  ])('HA scenario with weight 2:1: assign %i', (seats, want) => {
    expect(allocate(seats, { A: 2, B: 1 })).toEqual(want);
  });
  it('brand new assign 5 and 6 replicas over 170:110:60', () => {
    expect(allocate(5, { A: 170, B: 110, C: 60 })).toEqual({ A: 2, B: 2, C: 1 });
    expect(allocate(6, { A: 170, B: 110, C: 60 })).toEqual({ A: 3, B: 2, C: 1 });
  });
  it('the UID picks the name order: odd hash descending, even (or no UID) ascending', () => {
    expect(fnv1a32(ODD_UID) & 1).toBe(1);
    expect(fnv1a32(EVEN_UID) & 1).toBe(0);
    expect(fnv1a32('')).toBe(0x811c9dc5); // FNV-1a offset basis
    expect(allocate(5, { A: 1, B: 1 }, {}, tieBreakFromUid(ODD_UID))).toEqual({ A: 2, B: 3 });
    expect(allocate(5, { A: 1, B: 1 }, {}, tieBreakFromUid(EVEN_UID))).toEqual({ A: 3, B: 2 });
    expect(tieBreakFromUid(undefined)).toBe(false);
    expect(tieBreakFromUid('')).toBe(false);
  });
  it('the scheduler applies the template UID tie-break (brand new 5 replicas, 1:1)', () => {
    const input = {
      groups: groups({ g: ['A', 'B'] }),
      replicas: 5,
      scheduling: weighted([]),
      clusters: [cluster('A', 0, 10), cluster('B', 0, 10)],
    };
    expect(counts(run({ ...input, uid: ODD_UID }))).toEqual({ A: 2, B: 3 });
    expect(counts(run({ ...input, uid: EVEN_UID }))).toEqual({ A: 3, B: 2 });
    expect(counts(run(input))).toEqual({ A: 3, B: 2 });
  });
  // TestDispenseReplicasByTargetClusters: the cluster list's replicas are the weights.
  it.each([
    ['1 cluster, 5 replicas, 10 sum', 10, [5], [10]],
    ['3 cluster, 1:1:1, 12 sum', 12, [5, 5, 5], [4, 4, 4]],
    [
      '3 cluster, 1:1:1, 10 sum (Karmada accepts any permutation; ascending names)',
      10,
      [5, 5, 5],
      [4, 3, 3],
    ],
    ['3 cluster, 1:2:3, 13 sum', 13, [1, 2, 3], [2, 4, 7]],
  ])('%s', (_, seats, votes, want) => {
    expect(webster(seats, votes).seats).toEqual(want);
  });
  it('empty clusters', () => {
    expect(webster(10, [])).toEqual({ seats: [], rest: 10 });
  });
});

const ONE = groups({ g: ['m1', 'm2', 'm3'] });

/** One group m1..m3 holding `cur` with `avail` room each. */
function states(cur: readonly number[], avail: readonly number[]): ClusterState[] {
  return avail.map((a, k) => cluster(`m${k + 1}`, cur[k] ?? 0, a));
}

function place(
  scheduling: ReplicaScheduling,
  replicas: number,
  cur: readonly number[],
  avail: readonly number[],
): Record<string, number> {
  return counts(run({ groups: ONE, replicas, scheduling, clusters: states(cur, avail) }));
}

describe('pkg/scheduler/core/division_algorithm_test.go: dynamicDivideReplicas', () => {
  it.each([
    ['replica 12, dynamic weight 18:12:6', dynamic, [18, 12, 6], { m1: 6, m2: 4, m3: 2 }],
    ['replica 12, dynamic weight 20:12:6', dynamic, [20, 12, 6], { m1: 6, m2: 4, m3: 2 }],
    ['replica 12, dynamic weight 6:12:6', dynamic, [6, 12, 6], { m1: 3, m2: 6, m3: 3 }],
    ['replica 12, aggregated 6:12:6', aggregated, [6, 12, 6], { m2: 12 }],
    ['replica 12, aggregated 6:6:6', aggregated, [6, 6, 6], { m1: 6, m2: 6 }],
  ])('%s', (_, scheduling, avail, want) => {
    expect(place(scheduling, 12, [], avail)).toEqual(want);
  });
});

describe('pkg/scheduler/core/assignment_test.go', () => {
  describe('assignByStaticWeightStrategy (rooms large enough: Karmada ignores room)', () => {
    const roomy = [100, 100, 100];
    const w321 = weighted([
      { clusterNames: ['m1'], weight: 3 },
      { clusterNames: ['m2'], weight: 2 },
      { clusterNames: ['m3'], weight: 1 },
    ]);
    it.each([
      ['replica 12, weight 3:2:1', w321, 12, { m1: 6, m2: 4, m3: 2 }],
      ['replica 12, default weight', weighted([]), 12, { m1: 4, m2: 4, m3: 4 }],
      ['replica 13, weight 3:2:1', w321, 13, { m1: 7, m2: 4, m3: 2 }],
      ['replica 14, weight 3:2:1', w321, 14, { m1: 7, m2: 5, m3: 2 }],
    ])('%s', (_, scheduling, replicas, want) => {
      expect(place(scheduling, replicas, [], roomy)).toEqual(want);
    });
    const two = (scheduling: ReplicaScheduling, replicas: number): Record<string, number> =>
      counts(
        run({
          groups: groups({ g: ['m1', 'm2'] }),
          replicas,
          scheduling,
          clusters: [cluster('m1', 0, 100), cluster('m2', 0, 100)],
        }),
      );
    it('insufficient replica assignment should get 0 replica', () => {
      const s = weighted([
        { clusterNames: ['m1'], weight: 1 },
        { clusterNames: ['m2'], weight: 1 },
      ]);
      expect(two(s, 0)).toEqual({});
    });
    it('selected cluster without weight should be ignored', () => {
      expect(two(weighted([{ clusterNames: ['m1'], weight: 1 }]), 2)).toEqual({ m1: 2 });
    });
    it('cluster with multiple weights takes the largest', () => {
      const s = weighted([
        { clusterNames: ['m1'], weight: 1 },
        { clusterNames: ['m2'], weight: 1 },
        { clusterNames: ['m1'], weight: 2 },
      ]);
      expect(two(s, 3)).toEqual({ m1: 2, m2: 1 });
    });
    it('scaling a Karmada static split up and down lands on Karmada full recompute', () => {
      // Karmada recomputes static weights from zero on every change; Spillway keeps running
      // replicas, and from a Webster split the two agree (Webster is house-monotone).
      let cur = [0, 0, 0];
      for (const replicas of [12, 13, 14, 5, 1, 9, 14, 12]) {
        const got = place(w321, replicas, cur, roomy);
        const want = allocate(replicas, { m1: 3, m2: 2, m3: 1 });
        expect(got).toEqual(Object.fromEntries(Object.entries(want).filter(([, v]) => v > 0)));
        cur = ['m1', 'm2', 'm3'].map((n) => got[n] ?? 0);
      }
    });
  });

  describe('assignByDynamicStrategy (Test_dynamicScale)', () => {
    it.each([
      [
        'replica 12 -> 6, dynamic weighted 1:1:1',
        dynamic,
        6,
        [2, 4, 6],
        [1, 1, 1],
        { m1: 1, m2: 2, m3: 3 },
      ],
      [
        'replica 12 -> 24, dynamic weighted 10:10:10',
        dynamic,
        24,
        [2, 4, 6],
        [10, 10, 10],
        { m1: 6, m2: 8, m3: 10 },
      ],
      ['replica 12 -> 6, aggregated 1:1:1', aggregated, 6, [4, 8], [1, 1, 1], { m2: 6 }],
      ['replica 12 -> 8, aggregated 100:100', aggregated, 8, [4, 8], [100, 100], { m2: 8 }],
      [
        'replica 12 -> 24, aggregated 4:6:8',
        aggregated,
        24,
        [4, 8],
        [4, 6, 8],
        { m1: 7, m2: 12, m3: 5 },
      ],
      [
        'replica 12 -> 24, aggregated 6:6:20',
        aggregated,
        24,
        [4, 8],
        [6, 6, 20],
        { m1: 10, m2: 14 },
      ],
    ])('%s', (_, scheduling, replicas, cur, avail, want) => {
      const clusters = states(cur, avail);
      expect(counts(run({ groups: ONE, replicas, scheduling, clusters }))).toEqual(want);
    });
    it('replica 12 -> 24, aggregated 4:8:12, with cluster2 disappeared and cluster4 appeared', () => {
      const r = run({
        groups: groups({ g: ['m1', 'm3', 'm4'] }),
        replicas: 24,
        scheduling: aggregated,
        clusters: [
          cluster('m1', 4, 4),
          cluster('m2', 8, 0),
          cluster('m3', 0, 8),
          cluster('m4', 0, 12),
        ],
      });
      expect(counts(r)).toEqual({ m1: 7, m3: 7, m4: 10 });
    });
    it('replica 12 -> 24, dynamic 1:1:1: Karmada is unschedulable; Spillway places 9 waiting', () => {
      const r = run({ groups: ONE, replicas: 24, clusters: states([2, 4, 6], [1, 1, 1]) });
      expect(counts(r)).toEqual({ m1: 6, m2: 8, m3: 10 });
      expect(r.waiting).toBe(9);
    });
    it('replica 12 -> 24, aggregated 1:1:1: Karmada is unschedulable; Spillway waits on m2', () => {
      const r = run({
        groups: ONE,
        replicas: 24,
        scheduling: aggregated,
        clusters: states([4, 8], [1, 1, 1]),
      });
      // 3 fit (one each); the 9 left wait on one cluster, the one holding most.
      expect(counts(r)).toEqual({ m1: 5, m2: 18, m3: 1 });
      expect(r.waiting).toBe(9);
    });
  });

  describe('dynamicScaleUp', () => {
    it.each([
      ['replica 12, dynamic weight 6:8:10', dynamic, [6, 8, 10], { m1: 3, m2: 4, m3: 5 }],
      ['replica 12, dynamic weight 8:8:10', dynamic, [8, 8, 10], { m1: 4, m2: 4, m3: 4 }],
      ['replica 12, aggregated 6:8:10', aggregated, [6, 8, 10], { m2: 5, m3: 7 }],
      ['replica 12, aggregated 12:8:10', aggregated, [12, 8, 10], { m1: 12 }],
    ])('%s', (_, scheduling, avail, want) => {
      expect(place(scheduling, 12, [], avail)).toEqual(want);
    });
    it('replica 12, dynamic weight 3:3:3: Karmada is unschedulable; Spillway places 3 waiting', () => {
      const r = run({ groups: ONE, replicas: 12, clusters: states([], [3, 3, 3]) });
      expect(counts(r)).toEqual({ m1: 4, m2: 4, m3: 4 });
      expect(r.waiting).toBe(3);
    });
    it('replica 12, aggregated 3:3:3: Karmada is unschedulable; Spillway waits on one cluster', () => {
      const r = run({
        groups: ONE,
        replicas: 12,
        scheduling: aggregated,
        clusters: states([], [3, 3, 3]),
      });
      expect(counts(r)).toEqual({ m1: 6, m2: 3, m3: 3 });
      expect(r.waiting).toBe(3);
    });
    it('replica 12, dynamic weight 3:3, with cluster3 disappeared and cluster2 appeared', () => {
      const r = run({
        groups: groups({ g: ['m1', 'm2'] }),
        replicas: 12,
        clusters: [cluster('m1', 6, 3), cluster('m2', 0, 3), cluster('m3', 6, 0)],
      });
      expect(counts(r)).toEqual({ m1: 9, m2: 3 });
    });
  });

  describe('assignByDuplicatedStrategy', () => {
    it('test with multiple cluster', () => {
      const r = run({
        groups: groups({ g: ['m1', 'm2'] }),
        replicas: 2,
        scheduling: duplicated,
        clusters: [cluster('m1', 0, 5), cluster('m2', 0, 5)],
      });
      expect(counts(r)).toEqual({ m1: 2, m2: 2 });
    });
    it('the target cluster is null', () => {
      const r = run({
        groups: groups({ g: [] }),
        replicas: 2,
        scheduling: duplicated,
        clusters: [],
      });
      expect(r.clusters).toEqual([]);
    });
    it('replicas is null', () => {
      const r = run({
        groups: groups({ g: ['m1', 'm2'] }),
        replicas: 0,
        scheduling: duplicated,
        clusters: [cluster('m1', 0, 5), cluster('m2', 0, 5)],
      });
      expect(counts(r)).toEqual({});
    });
  });
});

describe('webster: the fast path equals handing out seats one at a time', () => {
  /** Karmada's loop, literally: one seat at a time to the highest priority (exact compare). */
  function naive(
    count: number,
    votes: readonly number[],
    init: readonly number[],
    caps: readonly number[],
    laterFirst: boolean,
  ): number[] {
    const seats = [...init];
    for (let left = count; left > 0; left--) {
      let best = -1;
      for (let k = 0; k < votes.length; k++) {
        const v = votes[k] ?? 0;
        const s = seats[k] ?? 0;
        if (v === 0 || s >= (caps[k] ?? 0)) continue;
        if (best < 0) {
          best = k;
          continue;
        }
        const bv = votes[best] ?? 0;
        const bs = seats[best] ?? 0;
        const c = v * (2 * bs + 1) - bv * (2 * s + 1);
        if (c > 0 || (c === 0 && (s < bs || (s === bs && laterFirst)))) best = k;
      }
      if (best < 0) break;
      seats[best] = (seats[best] ?? 0) + 1;
    }
    return seats;
  }

  it('for random votes, initial seats, caps and counts well past the direct loop', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            votes: fc.integer({ min: 0, max: 5000 }),
            init: fc.integer({ min: 0, max: 50 }),
            cap: fc.integer({ min: 0, max: 3000 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 0, max: 3000 }),
        fc.boolean(),
        (parties, count, laterFirst) => {
          const votes = parties.map((p) => p.votes);
          const init = parties.map((p) => p.init);
          const caps = parties.map((p) => p.init + p.cap);
          const got = webster(count, votes, { init, caps, laterFirst });
          expect(got.seats).toEqual(naive(count, votes, init, caps, laterFirst));
          expect(got.rest).toBe(count - (sum(got.seats) - sum(init)));
        },
      ),
      KARMADA_RUNS,
    );
  });

  it('hands out 2^31 - 1 seats at once, exactly', () => {
    const max = 2 ** 31 - 1;
    const { seats, rest } = webster(max, [max, max - 1, 1]);
    expect(rest).toBe(0);
    expect(sum(seats)).toBe(max);
    // Exact shares are about 2^30, 2^30 - 1 and 0.5: the third cluster gets its half seat rounded.
    expect(seats[2]).toBeLessThanOrEqual(1);
  });
});

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
