import { describe, expect, it } from '@jest/globals';
import { parseMilli, QuantityError } from '../../src/util/quantity.js';

describe('parseMilli', () => {
  it.each([
    ['1', 1000n],
    ['500m', 500n],
    ['0.5', 500n],
    ['1Gi', 1073741824000n],
    ['2k', 2000000n],
    ['1e3', 1000000n],
    ['100n', 1n],
    ['1.5Mi', 1572864000n],
    [4, 4000n],
  ])('%s -> %s milli', (input, expected) => {
    expect(parseMilli(input)).toBe(expected);
  });

  it('rejects garbage with a message naming the input', () => {
    expect(() => parseMilli('12 GB')).toThrow(QuantityError);
    expect(() => parseMilli('12 GB')).toThrow('"12 GB"');
  });
});
