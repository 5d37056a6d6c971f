import { describe, expect, it } from '@jest/globals';
import type { Candidates } from '../../../src/estimator/node-index.js';
import { NodeIndex } from '../../../src/estimator/node-index.js';
import type { NodeSelectorTermInput } from '../../../src/estimator/types.js';

interface N {
  name: string;
  labels: Map<string, string>;
}
const mk = (name: string, labels: Record<string, string>): N => ({
  name,
  labels: new Map(Object.entries(labels)),
});

function names(c: Candidates<N>): string[] {
  const out = new Set<string>();
  for (const s of c.sets) for (const n of s) out.add(n.name);
  return [...out].sort();
}

function build(): { index: NodeIndex<N>; nodes: N[] } {
  const index = new NodeIndex<N>();
  const nodes = [
    mk('a1', { pool: 'a', zone: 'z1' }),
    mk('a2', { pool: 'a', zone: 'z2' }),
    mk('b1', { pool: 'b', zone: 'z1', gpu: '8' }),
    mk('c1', { pool: 'c', zone: 'z1' }),
    mk('c2', { pool: 'c', zone: 'z2' }),
    mk('c3', { pool: 'c', zone: 'z3' }),
  ];
  nodes.forEach((n) => index.add(n));
  return { index, nodes };
}

const terms = (...t: NodeSelectorTermInput[]) => t;

describe('NodeIndex.candidates', () => {
  it('falls back to all nodes when nothing narrows', () => {
    const { index } = build();
    expect(names(index.candidates([], undefined, undefined))).toHaveLength(6);
    const notIn = terms({ matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['a'] }] });
    expect(index.candidates([], notIn, undefined).size).toBe(6);
  });

  it('uses the smallest nodeSelector entry', () => {
    const { index } = build();
    const c = index.candidates(
      [
        ['zone', 'z1'],
        ['pool', 'b'],
      ],
      undefined,
      undefined,
    );
    expect(names(c)).toEqual(['b1']);
    expect(index.candidates([['pool', 'nope']], undefined, undefined).size).toBe(0);
  });

  it('narrows by In (union of values), Exists and Gt/Lt keys, and matchFields names', () => {
    const { index } = build();
    const inAB = terms({ matchExpressions: [{ key: 'pool', operator: 'In', values: ['a', 'b'] }] });
    expect(names(index.candidates([], inAB, undefined))).toEqual(['a1', 'a2', 'b1']);
    const gpu = terms({ matchExpressions: [{ key: 'gpu', operator: 'Gt', values: ['4'] }] });
    expect(names(index.candidates([], gpu, undefined))).toEqual(['b1']);
    const byName = terms({
      matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c2'] }],
    });
    expect(names(index.candidates([], byName, undefined))).toEqual(['c2']);
  });

  it('takes the union over ORed terms and goes wide if one term is unbounded', () => {
    const { index } = build();
    const two = terms(
      { matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }] },
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] },
    );
    const c = index.candidates([], two, undefined);
    expect(c.overlap).toBe(true);
    expect(names(c)).toEqual(['a1', 'a2', 'b1', 'c1']);
    const wide = terms(two[0] ?? {}, {
      matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }],
    });
    expect(index.candidates([], wide, undefined).size).toBe(6);
    expect(index.candidates([], terms({}), undefined).size).toBe(0); // empty term: nothing
  });

  it('narrows by node names and picks the smallest restriction overall', () => {
    const { index } = build();
    const c = index.candidates([['pool', 'c']], undefined, new Set(['c1', 'x']));
    expect(names(c)).toEqual(['c1']);
  });

  it('follows relabels and removals', () => {
    const { index, nodes } = build();
    const c3 = nodes[5] as N;
    const before = c3.labels;
    c3.labels = new Map([
      ['pool', 'a'],
      ['zone', 'z3'],
    ]);
    index.relabel(c3, before);
    expect(names(index.candidates([['pool', 'a']], undefined, undefined))).toEqual([
      'a1',
      'a2',
      'c3',
    ]);
    expect(names(index.candidates([['pool', 'c']], undefined, undefined))).toEqual(['c1', 'c2']);
    index.remove(c3);
    expect(names(index.candidates([['zone', 'z3']], undefined, undefined))).toEqual([]);
    expect(index.size).toBe(5);
  });
});
