import { describe, expect, it } from '@jest/globals';
import { mapBounded } from '../../src/util/bounded.js';

describe('bounded parallel map', () => {
  it('keeps the order of its input and never runs more than the bound at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });

  it('returns nothing for nothing', async () => {
    expect(await mapBounded([], 4, async (n: number) => n)).toEqual([]);
  });
});
