import { describe, expect, it } from '@jest/globals';
import { matchingPolicies, policyFor } from '../../../src/resourcepolicy/select.js';

const p = (name: string, selector: Record<string, string>, createdMs = 0, namespace = 'ns') => ({
  name,
  namespace,
  selector,
  createdMs,
});

describe('policyFor', () => {
  it('selects pods of its namespace carrying all selector labels; empty selects all', () => {
    const all = p('all', {});
    const web = p('web', { app: 'web' });
    expect(policyFor([all, web], 'ns', { app: 'web', x: 'y' })?.name).toBe('web');
    expect(policyFor([all, web], 'ns', { app: 'db' })?.name).toBe('all');
    expect(policyFor([web], 'other', { app: 'web' })).toBeUndefined();
    expect(policyFor([web], 'ns', undefined)).toBeUndefined();
  });

  it('prefers the most specific selector, then the oldest, then the name', () => {
    const a = p('a', { app: 'web' }, 20);
    const b = p('b', { app: 'web' }, 10);
    const c = p('c', { app: 'web', tier: 'x' }, 30);
    const d = p('d', { app: 'web' }, 10);
    expect(
      matchingPolicies([a, b, c, d], 'ns', { app: 'web', tier: 'x' }).map((x) => x.name),
    ).toEqual(['c', 'b', 'd', 'a']);
  });
});
