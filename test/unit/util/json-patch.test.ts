import { describe, expect, it } from '@jest/globals';
import { PatchError, applyPatch, getAt, parsePointer } from '../../../src/util/json-patch.js';

const doc = {
  metadata: { labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { containers: [{ name: 'a', args: ['x'] }], 'a~b': 1 },
};

describe('JSON pointers', () => {
  it('unescapes ~1 to / and ~0 to ~ in keys', () => {
    expect(parsePointer('/metadata/labels/app.kubernetes.io~1name')).toEqual([
      'metadata',
      'labels',
      'app.kubernetes.io/name',
    ]);
    expect(getAt(doc, '/spec/a~0b')).toBe(1);
    expect(getAt(doc, '/spec/containers/0/name')).toBe('a');
    expect(getAt(doc, '/spec/containers/1/name')).toBeUndefined();
    expect(getAt(doc, '/spec/missing/x')).toBeUndefined();
  });

  it('rejects a pointer without a leading / or with a bad escape', () => {
    expect(() => parsePointer('spec/x')).toThrow("does not start with '/'");
    expect(() => parsePointer('/spec/a~2')).toThrow("'~' must be followed by 0 or 1");
  });
});

describe('JSON patch add, remove, replace', () => {
  it('adds a field to an existing object and inserts into or appends to a list', () => {
    const out = applyPatch(doc, [
      { op: 'add', path: '/spec/nodeSelector', value: { gpu: 'a10' } },
      { op: 'add', path: '/spec/containers/0/args/0', value: 'first' },
      { op: 'add', path: '/spec/containers/0/args/-', value: 'last' },
    ]);
    expect(out.spec).toMatchObject({
      nodeSelector: { gpu: 'a10' },
      containers: [{ args: ['first', 'x', 'last'] }],
    });
  });

  it('replaces and removes existing fields and list items', () => {
    const out = applyPatch(doc, [
      { op: 'replace', path: '/spec/containers/0/name', value: 'b' },
      { op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' },
      { op: 'remove', path: '/spec/containers/0/args/0' },
    ]);
    expect(out).toEqual({
      metadata: { labels: {} },
      spec: { containers: [{ name: 'b', args: [] }], 'a~b': 1 },
    });
  });

  it('never changes its input', () => {
    const before = structuredClone(doc);
    applyPatch(doc, [{ op: 'replace', path: '/spec/containers/0/name', value: 'z' }]);
    expect(doc).toEqual(before);
  });

  it.each([
    [{ op: 'replace' as const, path: '/spec/replicas', value: 3 }, '/spec has no field "replicas"'],
    [{ op: 'remove' as const, path: '/spec/nope' }, '/spec has no field "nope"'],
    [{ op: 'add' as const, path: '/spec/a/b', value: 1 }, '/spec has no field "a"'],
    [{ op: 'add' as const, path: '/spec/containers/5', value: {} }, 'index 5 is out of range'],
    [{ op: 'replace' as const, path: '/spec/containers/x', value: 1 }, '"x" is not an index'],
    [{ op: 'add' as const, path: '/spec/a~0b/c', value: 1 }, '/spec/a~b is not an object'],
    [{ op: 'add' as const, path: '/spec/x' }, 'value is missing'],
  ])('refuses %o, saying what is missing', (op, message) => {
    expect(() => applyPatch(doc, [op])).toThrow(PatchError);
    expect(() => applyPatch(doc, [op])).toThrow(message);
  });
});
