import { describe, expect, it } from '@jest/globals';
import { AppliedCache, hashOf } from '../../../src/fleet/applied-cache.js';

const body = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'a',
    labels: { 'app.kubernetes.io/managed-by': 'spillway' },
    annotations: { 'fleet.spillway.dev/binding': 'a/web-deployment' },
  },
  spec: { replicas: 3 },
};
/** What the member's API server holds after the apply, with fields other writers added. */
const live = {
  metadata: {
    uid: 'u1',
    generation: 2,
    labels: { ...body.metadata.labels, extra: 'x' },
    annotations: { ...body.metadata.annotations, 'deployment.kubernetes.io/revision': '1' },
  },
};

function remembered(): AppliedCache {
  const c = new AppliedCache();
  c.remember('k', 'm1', body, live);
  return c;
}

describe('what was applied last', () => {
  it('hashes equal bodies alike whatever their key order', () => {
    expect(hashOf({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(hashOf({ b: { d: [1, 2], c: 2 }, a: 1 }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
    expect(hashOf({ a: [1, 2] })).not.toBe(hashOf({ a: [2, 1] }));
  });

  it('skips the same body on the object the last apply produced', () => {
    expect(remembered().unchanged('k', 'm1', structuredClone(body), live)).toBe(true);
  });

  it('applies what was never applied, or to another target', () => {
    expect(new AppliedCache().unchanged('k', 'm1', body, live)).toBe(false);
    expect(remembered().unchanged('k', 'm2', body, live)).toBe(false);
  });

  it('applies a changed body', () => {
    const next = { ...body, spec: { replicas: 4 } };
    expect(remembered().unchanged('k', 'm1', next, live)).toBe(false);
  });

  it('applies again when the object was deleted, re-created or edited', () => {
    const c = remembered();
    expect(c.unchanged('k', 'm1', body, undefined)).toBe(false);
    expect(c.unchanged('k', 'm1', body, { metadata: { ...live.metadata, uid: 'u2' } })).toBe(false);
    expect(c.unchanged('k', 'm1', body, { metadata: { ...live.metadata, generation: 3 } })).toBe(
      false,
    );
    const unlabelled = { metadata: { ...live.metadata, labels: { extra: 'x' } } };
    expect(c.unchanged('k', 'm1', body, unlabelled)).toBe(false);
    const annotationChanged = {
      metadata: {
        ...live.metadata,
        annotations: { 'fleet.spillway.dev/binding': 'a/other' },
      },
    };
    expect(c.unchanged('k', 'm1', body, annotationChanged)).toBe(false);
  });

  it('applies again when a finalizer it sets is gone', () => {
    const c = new AppliedCache();
    const withFinalizer = { metadata: { name: 'rb', finalizers: ['f'] }, spec: {} };
    c.remember('k', 'binding', withFinalizer, {
      metadata: { uid: 'b', generation: 1, finalizers: ['f'] },
    });
    expect(
      c.unchanged('k', 'binding', withFinalizer, {
        metadata: { uid: 'b', generation: 1, finalizers: ['f'] },
      }),
    ).toBe(true);
    expect(
      c.unchanged('k', 'binding', withFinalizer, { metadata: { uid: 'b', generation: 1 } }),
    ).toBe(false);
  });

  it('forgets one target or a whole template', () => {
    const c = remembered();
    c.remember('k', 'm2', body, live);
    c.forget('k', 'm1');
    expect(c.unchanged('k', 'm1', body, live)).toBe(false);
    expect(c.unchanged('k', 'm2', body, live)).toBe(true);
    c.forget('k');
    expect(c.unchanged('k', 'm2', body, live)).toBe(false);
  });

  it('remembers nothing from an apply that returned no object', () => {
    const c = remembered();
    c.remember('k', 'm1', body, undefined);
    expect(c.unchanged('k', 'm1', body, live)).toBe(false);
  });
});
