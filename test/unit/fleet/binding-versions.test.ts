import { describe, expect, it } from '@jest/globals';
import { BindingVersions } from '../../../src/fleet/binding-versions.js';

const at = (resourceVersion: string) => ({ metadata: { resourceVersion } });

describe('BindingVersions (when the binding cache may stand in for a read)', () => {
  it('trusts the cache only at the version last written or read', () => {
    const v = new BindingVersions();
    expect(v.current('ns', 'web-deployment', at('5'))).toBe(false); // never seen: read it
    v.saw('ns', 'web-deployment', at('5'));
    expect(v.current('ns', 'web-deployment', at('5'))).toBe(true);
    // Our next write returned 7: a cache still at 5 is one write behind.
    v.saw('ns', 'web-deployment', at('7'));
    expect(v.current('ns', 'web-deployment', at('5'))).toBe(false);
    expect(v.current('ns', 'web-deployment', at('7'))).toBe(true);
    // Someone else wrote 9: the cache shows a version we did not see, so it is read.
    expect(v.current('ns', 'web-deployment', at('9'))).toBe(false);
  });

  it('keeps bindings apart by namespace and name', () => {
    const v = new BindingVersions();
    v.saw('a', 'web-deployment', at('5'));
    expect(v.current('b', 'web-deployment', at('5'))).toBe(false);
    expect(v.current('a', 'api-deployment', at('5'))).toBe(false);
  });

  it('forgets a binding found gone or deleted, and never trusts an object without a version', () => {
    const v = new BindingVersions();
    v.saw('ns', 'web-deployment', at('5'));
    v.saw('ns', 'web-deployment', undefined);
    expect(v.current('ns', 'web-deployment', at('5'))).toBe(false);
    expect(v.size).toBe(0);
    v.saw('ns', 'web-deployment', { metadata: {} });
    expect(v.current('ns', 'web-deployment', { metadata: {} })).toBe(false);
    expect(v.current('ns', 'web-deployment', undefined)).toBe(false);
  });
});
