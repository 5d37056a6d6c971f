import { describe, expect, it } from '@jest/globals';
import type { ClusterState, ScheduleResult } from '../../../src/scheduler/index.js';
import { aggregated, cluster, counts, entry, groups, run, weighted } from './helpers.js';

describe('scale-in', () => {
  const two = groups({ a: ['a1'], b: ['b1', 'b2'] });

  it('removes from the lowest-priority group first', () => {
    const r = run({
      groups: two,
      replicas: 5,
      clusters: [cluster('a1', 3, 9), cluster('b1', 2, 9), cluster('b2', 1, 9)],
    });
    expect(counts(r)).toEqual({ a1: 3, b1: 1, b2: 1 });
    expect(entry(r, 'b1').reason).toBe(
      'group b: kept 1; removed 1 (scale-in takes from the lowest-priority group first)',
    );
  });

  it('moves on to the next group up only when the lower one is empty', () => {
    const r = run({
      groups: two,
      replicas: 2,
      clusters: [cluster('a1', 3, 0), cluster('b1', 2, 0), cluster('b2', 1, 0)],
    });
    expect(counts(r)).toEqual({ a1: 2 });
  });

  it('takes not-ready replicas first inside a group, even from the smaller cluster', () => {
    const r = run({
      groups: two,
      replicas: 6,
      clusters: [cluster('a1', 1, 0), cluster('b1', 5, 0), cluster('b2', 2, 0, { ready: 0 })],
    });
    expect(counts(r)).toEqual({ a1: 1, b1: 5 });
    expect(entry(r, 'b2').reason).toContain('2 of them not ready');
  });

  it('then, with dynamic weights, takes from each cluster in proportion to what it holds', () => {
    const clusters = [cluster('a1', 1, 0), cluster('b1', 5, 0), cluster('b2', 2, 0)];
    // Group b keeps 4 of 7: 4×5/7 = 2.86 and 4×2/7 = 1.14; the spare unit goes to b1.
    expect(counts(run({ groups: two, replicas: 5, clusters }))).toEqual({ a1: 1, b1: 3, b2: 1 });
    expect(counts(run({ groups: two, replicas: 4, clusters }))).toEqual({ a1: 1, b1: 2, b2: 1 });
    // Equal holdings: the later name gives back first.
    const even = [cluster('b1', 2, 0), cluster('b2', 2, 0)];
    expect(counts(run({ groups: two, replicas: 3, clusters: even }))).toEqual({ b1: 2, b2: 1 });
  });

  it('scales to zero', () => {
    const r = run({
      groups: two,
      replicas: 0,
      clusters: [cluster('a1', 3, 0), cluster('b1', 2, 0)],
    });
    expect(counts(r)).toEqual({});
    expect(r.clusters.map((c) => c.replicas)).toEqual([0, 0]);
  });

  // Karmada's Aggregated scale-down: the clusters holding most, cut where they cover what the
  // group keeps (b2 4 + b1 2 >= 5), then Webster over what those hold (4:2 -> 3:2).
  it('keeps Aggregated on the clusters holding most, divided by Webster over what they hold', () => {
    const r = run({
      groups: two,
      replicas: 7,
      scheduling: aggregated,
      clusters: [cluster('a1', 2, 0), cluster('b1', 2, 0), cluster('b2', 4, 0)],
    });
    expect(counts(r)).toEqual({ a1: 2, b2: 3, b1: 2 });
    expect(
      counts(
        run({
          groups: two,
          replicas: 5,
          scheduling: aggregated,
          clusters: [cluster('a1', 2, 0), cluster('b1', 2, 0), cluster('b2', 4, 0)],
        }),
      ),
    ).toEqual({ a1: 2, b2: 3 });
  });

  it('lets waiting replicas go first and stops counting them as waiting', () => {
    const placement = { groups: groups({ g: ['x', 'y'] }), ecsProvision: true };
    const before = run({
      ...placement,
      replicas: 5,
      clusters: [cluster('x', 2, 0), cluster('y', 0, 0, { canProvision: true })],
    });
    expect(entry(before, 'y').waiting).toBe(3);
    const after = run({
      ...placement,
      replicas: 3,
      previous: before,
      clusters: [cluster('x', 2, 0), cluster('y', 3, 0, { ready: 0, canProvision: true })],
    });
    expect(counts(after)).toEqual({ x: 2, y: 1 });
    expect(entry(after, 'y').waiting).toBe(1);
    expect(after.provision).toEqual([{ cluster: 'y', replicas: 1 }]);
  });
});

/** Runs a sequence of replica counts, each step starting from the previous step's result. */
function scaleThrough(
  input: Omit<Parameters<typeof run>[0], 'replicas' | 'clusters'>,
  names: readonly string[],
  steps: readonly number[],
): Record<string, number>[] {
  let prev: ScheduleResult | undefined;
  return steps.map((replicas) => {
    const clusters: ClusterState[] = names.map((n) =>
      cluster(n, prev?.clusters.find((c) => c.cluster === n)?.replicas ?? 0, 100),
    );
    prev = run({ ...input, replicas, clusters, ...(prev ? { previous: prev } : {}) });
    return counts(prev);
  });
}

describe('scale-in keeps the division', () => {
  it('holds static weights 1:3 through 8 -> 4 -> 12 (issue: it gave 2/6, 2/2, 4/8)', () => {
    const scheduling = weighted([
      { clusterNames: ['a'], weight: 1 },
      { clusterNames: ['b'], weight: 3 },
    ]);
    expect(
      scaleThrough({ groups: groups({ g: ['a', 'b'] }), scheduling }, ['a', 'b'], [8, 4, 12]),
    ).toEqual([
      { a: 2, b: 6 },
      { a: 1, b: 3 },
      { a: 3, b: 9 },
    ]);
  });

  it('lets scale-out bring a bent static split back toward the weights', () => {
    // b could take only 3 of 8 earlier; now it has room, and 4 more all go to b.
    const r = run({
      groups: groups({ g: ['a', 'b'] }),
      scheduling: weighted([
        { clusterNames: ['a'], weight: 1 },
        { clusterNames: ['b'], weight: 3 },
      ]),
      replicas: 12,
      clusters: [cluster('a', 5, 100), cluster('b', 3, 100)],
    });
    expect(counts(r)).toEqual({ a: 5, b: 7 });
  });

  it('lets a cluster the static weights no longer name give back first', () => {
    const r = run({
      groups: groups({ g: ['a', 'b', 'old'] }),
      scheduling: weighted([
        { clusterNames: ['a'], weight: 1 },
        { clusterNames: ['b'], weight: 1 },
      ]),
      replicas: 4,
      clusters: [cluster('a', 2, 0), cluster('b', 2, 0), cluster('old', 3, 0)],
    });
    expect(counts(r)).toEqual({ a: 2, b: 2 });
  });

  it('keeps replicas where they are when the weighted clusters hold too few', () => {
    // Weights 1:3, but b holds only 1: b keeps its 1 and a keeps the rest.
    const r = run({
      groups: groups({ g: ['a', 'b'] }),
      scheduling: weighted([
        { clusterNames: ['a'], weight: 1 },
        { clusterNames: ['b'], weight: 3 },
      ]),
      replicas: 4,
      clusters: [cluster('a', 6, 0), cluster('b', 1, 0)],
    });
    expect(counts(r)).toEqual({ a: 3, b: 1 });
  });

  it('scales dynamic weights down in proportion to what each cluster holds (as Karmada)', () => {
    const r = run({
      groups: groups({ g: ['a', 'b', 'c'] }),
      replicas: 6,
      clusters: [cluster('a', 2, 0), cluster('b', 4, 0), cluster('c', 6, 0)],
    });
    expect(counts(r)).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('still empties the lowest group first, whatever the weights', () => {
    const r = run({
      groups: groups({ top: ['a'], low: ['b', 'c'] }),
      scheduling: weighted([
        { clusterNames: ['a'], weight: 1 },
        { clusterNames: ['b', 'c'], weight: 5 },
      ]),
      replicas: 3,
      clusters: [cluster('a', 3, 0), cluster('b', 2, 0), cluster('c', 2, 0)],
    });
    expect(counts(r)).toEqual({ a: 3 });
  });
});

describe('sticky', () => {
  it('never moves running replicas when higher-priority room frees up', () => {
    const r = run({
      groups: groups({ a: ['a1'], b: ['b1'] }),
      replicas: 4,
      clusters: [cluster('a1', 2, 10), cluster('b1', 2, 0)],
    });
    expect(counts(r)).toEqual({ a1: 2, b1: 2 });
  });

  it('keeps the split when only the estimates changed', () => {
    const r = run({
      groups: groups({ g: ['x', 'y'] }),
      replicas: 6,
      clusters: [cluster('x', 1, 50), cluster('y', 5, 0)],
    });
    expect(counts(r)).toEqual({ x: 1, y: 5 });
  });
});
