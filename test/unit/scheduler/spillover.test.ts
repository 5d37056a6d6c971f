import { describe, expect, it } from '@jest/globals';
import {
  aggregated,
  cases,
  cluster,
  counts,
  dynamic,
  entry,
  groups,
  run,
  states,
  weighted,
} from './helpers.js';

describe('scale-out across ordered groups', () => {
  const three = groups({ a: ['a1', 'a2'], b: ['b1'], c: ['c1'] });
  cases(three, dynamic, [
    [
      'fills the first group to its room, then passes the rest on',
      5,
      { a1: [0, 2], a2: [0, 1], b1: [0, 10], c1: [0, 10] },
      { a1: 2, a2: 1, b1: 2 },
    ],
    [
      'gives lower groups nothing while a higher one has room',
      3,
      { a1: [0, 9], a2: [0, 9], b1: [0, 10], c1: [0, 10] },
      { a1: 2, a2: 1 },
    ],
    [
      'skips a group without room',
      4,
      { a1: [0, 0], a2: [0, 0], b1: [0, 0], c1: [0, 7] },
      { c1: 4 },
    ],
    [
      'scales out by the difference only (6 - 3 held): a takes its 1, b the other 2',
      6,
      { a1: [2, 1], a2: [0, 0], b1: [1, 5], c1: [0, 5] },
      { a1: 3, b1: 3 },
    ],
  ]);

  it('says what each cluster kept and took', () => {
    const r = run({ groups: three, replicas: 6, clusters: states({ a1: [2, 1], b1: [1, 5] }) });
    expect(entry(r, 'a1').reason).toBe('group a: kept 2; took 1 of 1 available');
    expect(entry(r, 'b1').reason).toBe('group b: kept 1; took 2 of 5 available');
  });
});

describe('Divided/Weighted, dynamic weight = available replicas', () => {
  cases(groups({ g: ['x', 'y', 'z'], next: ['w'] }), dynamic, [
    [
      'splits in proportion to each cluster’s room',
      6,
      { x: [0, 6], y: [0, 3], z: [0, 0] },
      { x: 4, y: 2 },
    ],
    [
      'gives remainders to the largest remainder, then by cluster name',
      5,
      { z: [0, 4], y: [0, 4], x: [0, 4] },
      { x: 2, y: 2, z: 1 },
    ],
    [
      'never gives a cluster more than its room, and spills the rest',
      9,
      { x: [0, 1], y: [0, 2], z: [0, 3], w: [0, 9] },
      { x: 1, y: 2, z: 3, w: 3 },
    ],
  ]);
});

describe('Divided/Weighted, static weights', () => {
  const one = groups({ g: ['x', 'y', 'z'] });
  const roomy = { x: [0, 50], y: [0, 50], z: [0, 50] } as const;
  describe('splits by the staticWeightList', () => {
    const rules = [
      { clusterNames: ['x'], weight: 2 },
      { clusterNames: ['y', 'z'], weight: 1 },
    ];
    cases(one, weighted(rules), [['2:1:1', 8, roomy, { x: 4, y: 2, z: 2 }]]);
  });
  describe('fills a capped cluster and re-splits the rest by weight', () => {
    const rules = [{ clusterNames: ['x', 'y', 'z'], weight: 1 }];
    cases(one, weighted(rules), [
      ['x capped at 1', 9, { ...roomy, x: [0, 1] }, { x: 1, y: 4, z: 4 }],
    ]);
  });
  describe('gives no new replicas to a cluster no rule weighs', () => {
    cases(one, weighted([{ clusterNames: ['x', 'y'], weight: 1 }]), [
      ['z unweighted', 4, roomy, { x: 2, y: 2 }],
    ]);
  });
  describe('takes the largest weight when rules overlap', () => {
    const rules = [
      { clusterNames: ['x', 'y'], weight: 1 },
      { clusterNames: ['x'], weight: 3 },
    ];
    cases(one, weighted(rules), [['x weighs 3', 8, roomy, { x: 6, y: 2 }]]);
  });
  describe('treats rules that weigh no usable cluster as equal weights', () => {
    cases(one, weighted([{ clusterNames: ['elsewhere'], weight: 5 }]), [
      ['stale rule', 6, roomy, { x: 2, y: 2, z: 2 }],
    ]);
    cases(one, weighted([]), [['empty list', 3, roomy, { x: 1, y: 1, z: 1 }]]);
  });
});

describe('Divided/Aggregated', () => {
  cases(groups({ g: ['x', 'y', 'z'] }), aggregated, [
    [
      // Karmada: largest rooms first, cut where they cover 6 (y 5 + x 3), Webster over 5:3.
      'uses as few clusters as possible, largest room first, Webster over their rooms',
      6,
      { x: [0, 3], y: [0, 5], z: [0, 2] },
      { y: 4, x: 2 },
    ],
    [
      'grows a cluster that already holds replicas before opening another',
      4,
      { x: [0, 9], y: [1, 3], z: [0, 9] },
      { y: 4 },
    ],
  ]);
  cases(groups({ a: ['x'], b: ['y', 'z'] }), aggregated, [
    [
      'still spills to the next group in order',
      5,
      { x: [0, 2], y: [0, 1], z: [0, 4] },
      { x: 2, z: 3 },
    ],
  ]);

  it('puts all overflow on one cluster', () => {
    const r = run({
      groups: groups({ g: ['x', 'y'] }),
      replicas: 5,
      clusters: states({ x: [0, 0], y: [2, 0] }),
      scheduling: aggregated,
    });
    expect(counts(r)).toEqual({ y: 5 });
    expect(entry(r, 'y').waiting).toBe(3);
  });
});

describe('overflow: no group has room', () => {
  const two = groups({ a: ['a1'], b: ['b1', 'b2', 'b3'] });

  it('goes to the lowest-priority group, to the clusters that can provision nodes', () => {
    const r = run({
      groups: two,
      replicas: 5,
      ecsProvision: true,
      clusters: [
        cluster('a1', 0, 1, { canProvision: true }),
        cluster('b1', 0, 0),
        cluster('b2', 0, 0, { canProvision: true }),
        cluster('b3', 0, 0, { canProvision: true }),
      ],
    });
    expect(counts(r)).toEqual({ a1: 1, b2: 2, b3: 2 });
    expect(r.waiting).toBe(4);
    expect(r.provision).toEqual([
      { cluster: 'b2', replicas: 2 },
      { cluster: 'b3', replicas: 2 },
    ]);
    expect(entry(r, 'a1').waiting).toBe(0);
  });

  it('spreads evenly over the lowest group when none can provision', () => {
    const r = run({
      groups: two,
      replicas: 7,
      ecsProvision: true,
      clusters: [
        cluster('a1', 0, 0),
        cluster('b1', 0, 0),
        cluster('b2', 0, 0),
        cluster('b3', 0, 0),
      ],
    });
    expect(counts(r)).toEqual({ b1: 3, b2: 2, b3: 2 });
    expect(r.waiting).toBe(7);
    expect(r.provision).toEqual([]);
  });

  it('follows static weights among the provisionable clusters', () => {
    const r = run({
      groups: two,
      replicas: 4,
      scheduling: weighted([
        { clusterNames: ['b2'], weight: 3 },
        { clusterNames: ['a1', 'b1', 'b3'], weight: 1 },
      ]),
      clusters: [
        cluster('a1', 0, 0),
        cluster('b1', 0, 0),
        cluster('b2', 0, 0, { canProvision: true }),
        cluster('b3', 0, 0, { canProvision: true }),
      ],
    });
    expect(counts(r)).toEqual({ b2: 3, b3: 1 });
  });

  it('moves up a group when the lowest one has no usable cluster', () => {
    const r = run({
      groups: two,
      replicas: 2,
      clusters: [
        cluster('a1', 0, 0),
        cluster('b1', 0, 0, { failed: true }),
        cluster('b2', 0, 0, { failed: true }),
      ],
    });
    expect(counts(r)).toEqual({ a1: 2 });
    expect(entry(r, 'a1').waiting).toBe(2);
  });

  it('reports replicas as unplaced only when no cluster is usable', () => {
    const r = run({
      groups: two,
      replicas: 3,
      clusters: [cluster('a1', 0, 5, { failed: true })],
    });
    expect(counts(r)).toEqual({});
    expect(r.unplaced).toBe(3);
  });
});

describe('determinism', () => {
  it('does not depend on the order clusters are listed in', () => {
    const clusters = [cluster('m', 0, 3), cluster('k', 1, 3), cluster('q', 0, 3)];
    const a = run({ groups: groups({ g: ['m', 'k', 'q'] }), replicas: 5, clusters });
    const b = run({
      groups: groups({ g: ['q', 'm', 'k'] }),
      replicas: 5,
      clusters: [...clusters].reverse(),
    });
    expect(b).toEqual(a);
    expect(a.clusters.map((c) => c.cluster)).toEqual(['k', 'm', 'q']);
  });
});
