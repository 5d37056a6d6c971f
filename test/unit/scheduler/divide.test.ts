import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { divideByWeight, fillInOrder, mulDiv } from '../../../src/scheduler/divide.js';
import { levelDown } from '../../../src/scheduler/scalein.js';
import { propertyRuns } from './runs.js';

const RUNS = propertyRuns(100);

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const free = (n: number): number[] => Array.from({ length: n }, () => Infinity);

describe('divideByWeight', () => {
  it('gives the floors, then the largest remainders', () => {
    // 7 * (5, 3, 2) / 10 = 3.5, 2.1, 1.4: floors 3, 2, 1; the one left goes to the .5.
    expect(divideByWeight(7, [5, 3, 2], free(3))).toEqual({ shares: [4, 2, 1], rest: 0 });
    // 7 * (2, 3, 5) / 10 = 1.4, 2.1, 3.5: the same shares follow their weights.
    expect(divideByWeight(7, [2, 3, 5], free(3)).shares).toEqual([1, 2, 4]);
  });

  it('breaks equal remainders by position', () => {
    expect(divideByWeight(10, [1, 1, 1], free(3)).shares).toEqual([4, 3, 3]);
    expect(divideByWeight(2, [1, 1, 1], free(3)).shares).toEqual([1, 1, 0]);
  });

  it('never goes above a cap and re-splits what a capped entry could not take', () => {
    expect(divideByWeight(10, [1, 1], [2, 100])).toEqual({ shares: [2, 8], rest: 0 });
    expect(divideByWeight(9, [1, 1, 1], [1, 100, 100]).shares).toEqual([1, 4, 4]);
  });

  it('returns what does not fit', () => {
    expect(divideByWeight(10, [1, 1], [2, 3])).toEqual({ shares: [2, 3], rest: 5 });
  });

  it('gives nothing to weight 0 or cap 0', () => {
    expect(divideByWeight(6, [0, 1, 1], [5, 0, 9])).toEqual({ shares: [0, 0, 6], rest: 0 });
  });

  it('stays exact beyond 2^53', () => {
    const big = 2 ** 31 - 1;
    const { shares } = divideByWeight(big, [big, big - 1, 1], free(3));
    expect(sum(shares)).toBe(big);
    expect(mulDiv(big, big, 3)).toEqual({
      q: Number((BigInt(big) * BigInt(big)) / 3n),
      r: Number((BigInt(big) * BigInt(big)) % 3n),
    });
  });

  it('places min(total, reachable caps), within caps, each share within 1 of its exact share', () => {
    const entry = fc.record({
      w: fc.integer({ min: 0, max: 20 }),
      cap: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.array(entry, { maxLength: 8 }),
        (total, es) => {
          const { shares, rest } = divideByWeight(
            total,
            es.map((e) => e.w),
            es.map((e) => e.cap),
          );
          const reachable = sum(es.map((e) => (e.w > 0 ? e.cap : 0)));
          expect(sum(shares)).toBe(Math.min(total, reachable));
          expect(rest).toBe(total - sum(shares));
          es.forEach((e, i) => expect(shares[i]).toBeLessThanOrEqual(e.w > 0 ? e.cap : 0));
          const weights = sum(es.map((e) => e.w));
          if (weights > 0 && es.every((e) => e.cap >= total)) {
            es.forEach((e, i) =>
              expect(Math.abs((shares[i] ?? 0) - (total * e.w) / weights)).toBeLessThan(1),
            );
          }
        },
      ),
      RUNS,
    );
  });
});

describe('fillInOrder', () => {
  it('fills each entry to its cap before the next', () => {
    expect(fillInOrder(5, [2, 2, 2])).toEqual({ shares: [2, 2, 1], rest: 0 });
    expect(fillInOrder(9, [2, 3])).toEqual({ shares: [2, 3], rest: 4 });
  });
});

/** Oracle: remove one at a time from the largest, ties from the later entry. */
function naiveLevelDown(values: readonly number[], k: number): number[] {
  const left = [...values];
  for (let n = 0; n < k; n++) {
    let best = left.length - 1;
    for (let i = left.length - 1; i >= 0; i--) if ((left[i] ?? 0) > (left[best] ?? 0)) best = i;
    left[best] = (left[best] ?? 0) - 1;
  }
  return values.map((v, i) => v - (left[i] ?? 0));
}

describe('levelDown', () => {
  it('takes from the largest, ties from the later entry', () => {
    expect(levelDown([5, 3, 1], 3)).toEqual([2, 1, 0]);
    expect(levelDown([2, 2], 1)).toEqual([0, 1]);
    expect(levelDown([4, 1], 5)).toEqual([4, 1]);
  });

  it('equals removing one at a time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 7 }),
        fc.nat(),
        (values, seed) => {
          const k = sum(values) === 0 ? 0 : seed % (sum(values) + 1);
          expect(levelDown(values, k)).toEqual(naiveLevelDown(values, k));
        },
      ),
      RUNS,
    );
  });
});
