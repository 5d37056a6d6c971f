import { describe, expect, it } from '@jest/globals';
import { aggregated, cluster, counts, entry, groups, run } from './helpers.js';

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

  it('then takes from the cluster holding most, ties from the later name', () => {
    const clusters = [cluster('a1', 1, 0), cluster('b1', 5, 0), cluster('b2', 2, 0)];
    expect(counts(run({ groups: two, replicas: 5, clusters }))).toEqual({ a1: 1, b1: 2, b2: 2 });
    expect(counts(run({ groups: two, replicas: 4, clusters }))).toEqual({ a1: 1, b1: 2, b2: 1 });
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

  it('is the same for Aggregated', () => {
    const r = run({
      groups: two,
      replicas: 3,
      scheduling: aggregated,
      clusters: [cluster('a1', 2, 0), cluster('b1', 1, 0), cluster('b2', 1, 0)],
    });
    expect(counts(r)).toEqual({ a1: 2, b1: 1 });
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
