import { describe, expect, it } from '@jest/globals';
import type { NodeLabels } from '../../../src/estimator/affinity.js';
import {
  fieldRequirementMatches,
  labelRequirementMatches,
  nodeSelectorMatches,
  parseInt64,
  requiredAffinityMatches,
  requiredTerms,
  termMatches,
} from '../../../src/estimator/affinity.js';
import type { NodeSelectorRequirementInput } from '../../../src/estimator/types.js';

const labels = new Map([
  ['zone', 'a'],
  ['gen', '5'],
  ['pool', 'gpu'],
]);
const n: NodeLabels = { name: 'node-1', labels };
const m = (operator: string, key: string, values?: string[]): boolean =>
  labelRequirementMatches({ key, operator, ...(values ? { values } : {}) }, labels);

describe('labelRequirementMatches', () => {
  it('In: the label is present with one of the values', () => {
    expect(m('In', 'zone', ['a', 'b'])).toBe(true);
    expect(m('In', 'zone', ['b'])).toBe(false);
    expect(m('In', 'missing', ['a'])).toBe(false);
  });

  it('NotIn: the label is absent or has none of the values', () => {
    expect(m('NotIn', 'zone', ['b'])).toBe(true);
    expect(m('NotIn', 'zone', ['a'])).toBe(false);
    expect(m('NotIn', 'missing', ['a'])).toBe(true);
  });

  it('Exists and DoesNotExist look at the key only', () => {
    expect(m('Exists', 'zone')).toBe(true);
    expect(m('Exists', 'missing')).toBe(false);
    expect(m('DoesNotExist', 'missing')).toBe(true);
    expect(m('DoesNotExist', 'zone')).toBe(false);
  });

  it('Gt and Lt compare the label as an integer', () => {
    expect(m('Gt', 'gen', ['4'])).toBe(true);
    expect(m('Gt', 'gen', ['5'])).toBe(false);
    expect(m('Lt', 'gen', ['6'])).toBe(true);
    expect(m('Lt', 'gen', ['5'])).toBe(false);
    expect(m('Gt', 'gen', ['-10'])).toBe(true);
    expect(m('Gt', 'zone', ['1'])).toBe(false); // "a" is not an integer
    expect(m('Lt', 'missing', ['10'])).toBe(false);
  });

  it('a malformed requirement matches nothing', () => {
    expect(m('In', 'zone', [])).toBe(false);
    expect(m('NotIn', 'zone', [])).toBe(false);
    expect(m('Exists', 'zone', ['a'])).toBe(false);
    expect(m('Gt', 'gen', ['1', '2'])).toBe(false);
    expect(m('Gt', 'gen', ['1.5'])).toBe(false);
    expect(m('Equals', 'zone', ['a'])).toBe(false);
  });
});

describe('parseInt64', () => {
  it('accepts what strconv.ParseInt(s, 10, 64) accepts', () => {
    expect(parseInt64('+7')).toBe(7n);
    expect(parseInt64('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(parseInt64('9223372036854775808')).toBeUndefined();
    expect(parseInt64('0x10')).toBeUndefined();
    expect(parseInt64('')).toBeUndefined();
  });
});

describe('fieldRequirementMatches', () => {
  const f = (r: NodeSelectorRequirementInput) => fieldRequirementMatches(r, 'node-1');
  it('matches metadata.name with In / NotIn and one value', () => {
    expect(f({ key: 'metadata.name', operator: 'In', values: ['node-1'] })).toBe(true);
    expect(f({ key: 'metadata.name', operator: 'In', values: ['node-2'] })).toBe(false);
    expect(f({ key: 'metadata.name', operator: 'NotIn', values: ['node-2'] })).toBe(true);
    expect(f({ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] })).toBe(false);
  });
  it('rejects other fields, operators and value counts', () => {
    expect(f({ key: 'metadata.uid', operator: 'In', values: ['node-1'] })).toBe(false);
    expect(f({ key: 'metadata.name', operator: 'Exists' })).toBe(false);
    expect(f({ key: 'metadata.name', operator: 'In', values: ['node-1', 'node-2'] })).toBe(false);
  });
});

describe('terms', () => {
  const zoneA = { key: 'zone', operator: 'In', values: ['a'] };
  const zoneB = { key: 'zone', operator: 'In', values: ['b'] };
  const gpu = { key: 'pool', operator: 'Exists' };
  const named = { key: 'metadata.name', operator: 'In', values: ['node-1'] };

  it('ANDs the requirements of a term, matchExpressions and matchFields alike', () => {
    expect(termMatches({ matchExpressions: [zoneA, gpu] }, n)).toBe(true);
    expect(termMatches({ matchExpressions: [zoneB, gpu] }, n)).toBe(false);
    expect(termMatches({ matchExpressions: [zoneA], matchFields: [named] }, n)).toBe(true);
    expect(
      termMatches({ matchExpressions: [zoneA], matchFields: [{ ...named, values: ['x'] }] }, n),
    ).toBe(false);
  });

  it('an empty term matches nothing', () => {
    expect(termMatches({}, n)).toBe(false);
    expect(termMatches({ matchExpressions: [], matchFields: [] }, n)).toBe(false);
  });

  it('ORs the terms; no affinity matches all, an empty term list none', () => {
    expect(requiredAffinityMatches([{ matchExpressions: [zoneB] }], n)).toBe(false);
    expect(
      requiredAffinityMatches([{ matchExpressions: [zoneB] }, { matchExpressions: [zoneA] }], n),
    ).toBe(true);
    expect(requiredAffinityMatches(undefined, n)).toBe(true);
    expect(requiredAffinityMatches([], n)).toBe(false);
  });

  it('reads only the required part of a pod spec', () => {
    expect(requiredTerms({})).toBeUndefined();
    expect(requiredTerms({ affinity: { nodeAffinity: {} } })).toBeUndefined();
    const terms = [{ matchExpressions: [zoneA] }];
    const spec = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms },
        },
      },
    };
    expect(requiredTerms(spec)).toBe(terms);
  });
});

describe('nodeSelectorMatches', () => {
  it('needs every key to be present with the same value', () => {
    expect(nodeSelectorMatches([], labels)).toBe(true);
    expect(
      nodeSelectorMatches(
        [
          ['zone', 'a'],
          ['pool', 'gpu'],
        ],
        labels,
      ),
    ).toBe(true);
    expect(
      nodeSelectorMatches(
        [
          ['zone', 'a'],
          ['pool', 'cpu'],
        ],
        labels,
      ),
    ).toBe(false);
    expect(nodeSelectorMatches([['constructor', '']], labels)).toBe(false);
  });
});
