import { describe, expect, it } from '@jest/globals';
import { MAX_WORKERS, parseWorkers } from '../../../src/cli/workers.js';
import { DEFAULT_FLEET_WORKERS } from '../../../src/fleet/workers.js';

describe('parseWorkers', () => {
  it.each([
    ['1', 1],
    ['8', 8],
    [String(MAX_WORKERS), MAX_WORKERS],
  ])('takes %s', (text, want) => {
    expect(parseWorkers(text)).toBe(want);
  });

  it.each(['0', '-2', '2.5', 'eight', '', ' ', '65', undefined])(
    'refuses %p with a message naming the flag and the range',
    (text) => {
      expect(() => parseWorkers(text)).toThrow(
        /^--workers wants a whole number from 1 to 64, got /,
      );
    },
  );

  it('the fleet default is a valid flag value above the old 2', () => {
    expect(parseWorkers(String(DEFAULT_FLEET_WORKERS))).toBe(DEFAULT_FLEET_WORKERS);
    expect(DEFAULT_FLEET_WORKERS).toBeGreaterThan(2);
  });
});
