import { describe, expect, it } from '@jest/globals';
import { DEFAULT_TOLERATION_SECONDS } from '../../../src/scheduler/index.js';
import { cluster, counts, duplicated, entry, groups, run } from './helpers.js';

describe('cluster failover', () => {
  const two = groups({ a: ['a1', 'a2'], b: ['b1'] });

  it('moves a failed cluster’s replicas to the others by the scale-out rule', () => {
    const r = run({
      groups: two,
      replicas: 6,
      clusters: [cluster('a1', 4, 0, { failed: true }), cluster('a2', 2, 1), cluster('b1', 0, 9)],
    });
    expect(counts(r)).toEqual({ a2: 3, b1: 3 });
    expect(entry(r, 'a1').replicas).toBe(0);
    expect(entry(r, 'a1').reason).toContain('4 moved away: cluster not Ready past its toleration');
  });

  it('waits out the toleration before moving anything', () => {
    const at = (notReadySeconds: number, tolerationSeconds?: number): Record<string, number> =>
      counts(
        run({
          groups: two,
          replicas: 2,
          tolerationSeconds,
          clusters: [cluster('a1', 2, 0, { notReadySeconds }), cluster('b1', 0, 9)],
        }),
      );
    expect(at(DEFAULT_TOLERATION_SECONDS)).toEqual({ a1: 2 });
    expect(at(DEFAULT_TOLERATION_SECONDS + 1)).toEqual({ b1: 2 });
    expect(at(31, 30)).toEqual({ b1: 2 });
    expect(at(30, 30)).toEqual({ a1: 2 });
  });

  it('gives a failed cluster no new replicas, however much room it reports', () => {
    const r = run({
      groups: two,
      replicas: 3,
      clusters: [cluster('a1', 0, 50, { failed: true }), cluster('a2', 0, 1), cluster('b1', 0, 9)],
    });
    expect(counts(r)).toEqual({ a2: 1, b1: 2 });
  });

  it('leaves the replicas where they are when no healthy cluster exists', () => {
    const r = run({
      groups: two,
      replicas: 5,
      clusters: [cluster('a1', 3, 0, { failed: true }), cluster('b1', 0, 9, { failed: true })],
    });
    expect(counts(r)).toEqual({ a1: 3 });
    expect(r.unplaced).toBe(2);
  });

  it('combines with scale-in: what failed is simply not needed any more', () => {
    const r = run({
      groups: two,
      replicas: 2,
      clusters: [cluster('a1', 3, 0, { failed: true }), cluster('a2', 2, 0), cluster('b1', 1, 0)],
    });
    expect(counts(r)).toEqual({ a2: 2 });
  });
});

describe('stuck replicas (unschedulable past their timeout)', () => {
  it('move to the next group when their group is one cluster', () => {
    const r = run({
      groups: groups({ a: ['a1'], b: ['b1'] }),
      replicas: 3,
      clusters: [cluster('a1', 3, 5, { stuck: 2, ready: 1 }), cluster('b1', 0, 9)],
    });
    expect(counts(r)).toEqual({ a1: 1, b1: 2 });
    expect(entry(r, 'a1').reason).toBe(
      'group a: kept 1; 2 moved away: unschedulable past their timeout',
    );
  });

  it('go to another cluster of the same group when it has room', () => {
    const r = run({
      groups: groups({ a: ['a1', 'a2'], b: ['b1'] }),
      replicas: 3,
      clusters: [cluster('a1', 3, 5, { stuck: 2 }), cluster('a2', 0, 1), cluster('b1', 0, 9)],
    });
    expect(counts(r)).toEqual({ a1: 1, a2: 1, b1: 1 });
  });

  it('stay and keep waiting when no other cluster can take them', () => {
    const r = run({
      groups: groups({ a: ['a1'], b: ['b1'] }),
      replicas: 4,
      ecsProvision: true,
      clusters: [
        cluster('a1', 2, 0),
        cluster('b1', 2, 0, { stuck: 2, ready: 0, canProvision: true }),
      ],
    });
    expect(counts(r)).toEqual({ a1: 2, b1: 2 });
    expect(entry(r, 'b1').waiting).toBe(2);
    expect(r.provision).toEqual([{ cluster: 'b1', replicas: 2 }]);
  });

  it('prefer a provisionable cluster over going back where they were stuck', () => {
    const r = run({
      groups: groups({ a: ['a1'], b: ['b1', 'b2'] }),
      replicas: 2,
      clusters: [
        cluster('a1', 0, 0),
        cluster('b1', 2, 0, { stuck: 2, canProvision: true }),
        cluster('b2', 0, 0, { canProvision: true }),
      ],
    });
    expect(counts(r)).toEqual({ b2: 2 });
  });
});

describe('clusters outside the placement', () => {
  it('lose their replicas, which are rescheduled in group order', () => {
    const r = run({
      groups: groups({ a: ['a1'], b: ['b1'] }),
      replicas: 4,
      clusters: [cluster('old', 3, 9), cluster('a1', 1, 2), cluster('b1', 0, 9)],
    });
    expect(counts(r)).toEqual({ a1: 3, b1: 1 });
    expect(entry(r, 'old')).toEqual({
      cluster: 'old',
      replicas: 0,
      waiting: 0,
      reason: '3 rescheduled: cluster is outside the placement',
    });
  });

  it('ignores group members the caller has no state for', () => {
    const r = run({
      groups: groups({ a: ['ghost', 'a1'] }),
      replicas: 2,
      clusters: [cluster('a1', 0, 5)],
    });
    expect(counts(r)).toEqual({ a1: 2 });
    expect(r.clusters.map((c) => c.cluster)).toEqual(['a1']);
  });

  it('counts a cluster named by two groups in the first', () => {
    const r = run({
      groups: groups({ a: ['x'], b: ['x', 'y'] }),
      replicas: 3,
      clusters: [cluster('x', 0, 2), cluster('y', 0, 9)],
    });
    expect(counts(r)).toEqual({ x: 2, y: 1 });
    expect(entry(r, 'x').group).toBe('a');
  });
});

describe('a cluster that is not Ready now (within its toleration)', () => {
  const g = groups({ idc: ['idc'], cloud: ['bj'] });

  it('gets no new replicas, even with room, and keeps what it holds', () => {
    const r = run({
      replicas: 6,
      groups: g,
      clusters: [
        cluster('idc', 2, 10, { notReady: true, notReadySeconds: 5 }),
        cluster('bj', 0, 10),
      ],
    });
    expect(counts(r)).toEqual({ idc: 2, bj: 4 });
    expect(r.waiting).toBe(0);
  });

  it('never takes overflow: it waits in a Ready group instead, and nobody is asked for nodes', () => {
    const r = run({
      replicas: 3,
      groups: g,
      clusters: [cluster('idc', 0, 1), cluster('bj', 0, 0, { notReady: true, canProvision: true })],
      ecsProvision: true,
    });
    expect(counts(r)).toEqual({ idc: 3 });
    expect(r.waiting).toBe(2);
    expect(r.provision).toEqual([]);
  });

  it('gets no new Duplicated copy; the next group is chosen when it is the only one', () => {
    const r = run({
      replicas: 2,
      scheduling: duplicated,
      groups: g,
      clusters: [cluster('idc', 0, 5, { notReady: true }), cluster('bj', 0, 5)],
    });
    expect(counts(r)).toEqual({ bj: 2 });
  });

  it('keeps its Duplicated copy while within its toleration', () => {
    const r = run({
      replicas: 2,
      scheduling: duplicated,
      groups: g,
      clusters: [
        cluster('idc', 2, 5, { notReady: true, notReadySeconds: 10 }),
        cluster('bj', 0, 5),
      ],
    });
    expect(counts(r)).toEqual({ idc: 2 });
  });
});
