import { describe, expect, it } from '@jest/globals';
import { cluster, counts, duplicated, entry, groups, run } from './helpers.js';

describe('Duplicated', () => {
  it('gives every cluster of the group the full count', () => {
    const r = run({
      groups: groups({ all: ['x', 'y', 'z'] }),
      replicas: 3,
      scheduling: duplicated,
      clusters: [cluster('x', 0, 9), cluster('y', 3, 0), cluster('z', 1, 9)],
    });
    expect(counts(r)).toEqual({ x: 3, y: 3, z: 3 });
    expect(entry(r, 'x').reason).toBe('group all: full copy of 3 (Duplicated)');
  });

  it('selects the first group with a usable cluster', () => {
    const input = {
      groups: groups({ a: ['a1', 'a2'], b: ['b1'] }),
      replicas: 1,
      scheduling: duplicated,
    };
    const healthy = run({
      ...input,
      clusters: [cluster('a1', 0, 1), cluster('a2', 0, 1), cluster('b1', 0, 1)],
    });
    expect(counts(healthy)).toEqual({ a1: 1, a2: 1 });
    const down = run({
      ...input,
      clusters: [
        cluster('a1', 1, 1, { failed: true }),
        cluster('a2', 1, 1, { failed: true }),
        cluster('b1', 0, 1),
      ],
    });
    expect(counts(down)).toEqual({ b1: 1 });
    expect(entry(down, 'a1').reason).toContain('not Ready past its toleration');
  });

  it('removes copies from clusters outside the placement', () => {
    const r = run({
      groups: groups({ a: ['x'] }),
      replicas: 2,
      scheduling: duplicated,
      clusters: [cluster('x', 2, 0), cluster('gone', 2, 0)],
    });
    expect(counts(r)).toEqual({ x: 2 });
    expect(entry(r, 'gone').reason).toBe('removed: cluster is outside the placement');
  });

  it('counts new replicas beyond a cluster’s room as waiting, and asks for nodes', () => {
    const r = run({
      groups: groups({ a: ['x', 'y'] }),
      replicas: 4,
      ecsProvision: true,
      scheduling: duplicated,
      clusters: [cluster('x', 1, 1, { canProvision: true }), cluster('y', 0, 9)],
    });
    expect(entry(r, 'x').waiting).toBe(2);
    expect(entry(r, 'y').waiting).toBe(0);
    expect(r.provision).toEqual([{ cluster: 'x', replicas: 2 }]);
  });

  it('keeps failed copies when there is no healthy cluster, and reports nothing unplaced', () => {
    const r = run({
      groups: groups({ a: ['x'] }),
      replicas: 2,
      scheduling: duplicated,
      clusters: [cluster('x', 2, 0, { failed: true })],
    });
    expect(counts(r)).toEqual({ x: 2 });
    expect(r.unplaced).toBe(0);
  });

  it('reports the replicas unplaced when the placement names no cluster it knows', () => {
    const r = run({
      groups: groups({ a: ['nowhere'] }),
      replicas: 2,
      scheduling: duplicated,
      clusters: [],
    });
    expect(r.unplaced).toBe(2);
    expect(r.clusters).toEqual([]);
  });
});
