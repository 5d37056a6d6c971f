import { describe, expect, it } from '@jest/globals';
import {
  formatQuantity,
  ResourceTable,
  toUnits,
  VectorPool,
} from '../../../src/estimator/resources.js';

describe('toUnits (kube-scheduler units)', () => {
  it('keeps cpu in milli-units and rounds everything else up to whole units', () => {
    expect(toUnits('cpu', 1500n)).toBe(1500);
    expect(toUnits('memory', 100n)).toBe(1); // "100m" bytes costs one byte, as upstream
    expect(toUnits('memory', 1073741824000n)).toBe(1073741824);
    expect(toUnits('nvidia.com/gpu', 2000n)).toBe(2);
    expect(toUnits('pods', 110000n)).toBe(110);
  });

  it('stays exact for the largest machines and clamps what no machine has', () => {
    const tib24 = 24n * (1n << 40n);
    expect(toUnits('memory', tib24 * 1000n)).toBe(Number(tib24));
    expect(toUnits('memory', 10n ** 30n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toUnits('cpu', -5n)).toBe(0);
  });

  it('formats back to quantities', () => {
    expect(formatQuantity('cpu', 1500n)).toBe('1500m');
    expect(formatQuantity('memory', 42)).toBe('42');
  });
});

describe('ResourceTable and VectorPool', () => {
  it('gives pods id 0 and stable ids to new names', () => {
    const t = new ResourceTable();
    expect(t.id('pods')).toBe(0);
    const gpu = t.id('nvidia.com/gpu');
    expect(t.id('nvidia.com/gpu')).toBe(gpu);
    expect(t.name(gpu)).toBe('nvidia.com/gpu');
  });

  it('builds sorted vectors without zero amounts', () => {
    const t = new ResourceTable();
    t.id('memory');
    const v = t.vector(
      new Map([
        ['cpu', 500n],
        ['memory', 2000n],
        ['x', 0n],
      ]),
    );
    expect(v).toEqual({ ids: [1, 2], amounts: [2, 500] });
  });

  it('shares equal vectors and drops them when the last user releases', () => {
    const pool = new VectorPool();
    const a = pool.acquire({ ids: [1, 2], amounts: [5, 6] });
    const b = pool.acquire({ ids: [1, 2], amounts: [5, 6] });
    const other = pool.acquire({ ids: [1], amounts: [5] });
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    expect(pool.size).toBe(2);
    pool.release(a);
    expect(pool.size).toBe(2);
    pool.release(b);
    expect(pool.size).toBe(1);
  });
});
