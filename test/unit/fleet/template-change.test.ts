import { describe, expect, it } from '@jest/globals';
import { TemplateChanges, type WatchedTemplate } from '../../../src/fleet/template-change.js';

const web = (): WatchedTemplate => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    uid: 'u1',
    name: 'web',
    namespace: 'test',
    resourceVersion: '10',
    generation: 1,
    labels: { app: 'web' },
    annotations: { team: 'a' },
  },
  spec: { replicas: 2 },
});

/** A watch event of `web()` changed by `edit`, after the first add. */
function passes(edit: (t: WatchedTemplate & { metadata: Record<string, unknown> }) => void) {
  const changes = new TemplateChanges();
  expect(changes.changed(web(), 'add')).toBe(true);
  const t = web() as WatchedTemplate & { metadata: Record<string, unknown> };
  t.metadata.resourceVersion = '11';
  edit(t);
  return changes.changed(t, 'update');
}

describe('TemplateChanges', () => {
  it.each([
    ['its status', (t: WatchedTemplate) => (t.status = { replicas: 2, readyReplicas: 1 })],
    [
      'the placement annotation',
      (t: WatchedTemplate) =>
        (t.metadata = {
          ...t.metadata,
          annotations: { team: 'a', 'fleet.spillway.dev/placement': 'idc: 2' },
        }),
    ],
    [
      'its finalizers',
      (t: WatchedTemplate & { metadata: Record<string, unknown> }) =>
        (t.metadata.finalizers = ['fleet.spillway.dev/cleanup']),
    ],
    [
      'its managedFields',
      (t: WatchedTemplate & { metadata: Record<string, unknown> }) =>
        (t.metadata.managedFields = [{ manager: 'spillway' }]),
    ],
  ])('an update of only %s (the controller writes those) is not re-queued', (_n, edit) => {
    expect(passes(edit)).toBe(false);
  });

  it.each([
    ['the spec', (t: WatchedTemplate) => (t.spec = { replicas: 3 })],
    [
      'the generation',
      (t: WatchedTemplate & { metadata: Record<string, unknown> }) => (t.metadata.generation = 2),
    ],
    [
      'a label (policy selectors match labels)',
      (t: WatchedTemplate & { metadata: Record<string, unknown> }) =>
        (t.metadata.labels = { app: 'web', tier: 'x' }),
    ],
    [
      'another annotation (e.g. adopt-existing)',
      (t: WatchedTemplate & { metadata: Record<string, unknown> }) =>
        (t.metadata.annotations = { team: 'a', 'fleet.spillway.dev/adopt-existing': 'true' }),
    ],
    [
      'the deletion timestamp',
      (t: WatchedTemplate & { metadata: Record<string, unknown> }) =>
        (t.metadata.deletionTimestamp = '2026-01-01T00:00:00Z'),
    ],
    // A kind without a generation (a ConfigMap template): its data is what changes.
    ['top-level data', (t: WatchedTemplate) => (t.data = { key: 'v2' })],
  ])('an update of %s is re-queued', (_n, edit) => {
    expect(passes(edit)).toBe(true);
  });

  it('adds, deletes and resyncs always pass; a delete forgets the template', () => {
    const changes = new TemplateChanges();
    expect(changes.changed(web(), 'add')).toBe(true);
    expect(changes.changed(web(), 'resync')).toBe(true);
    expect(changes.changed(web(), 'update')).toBe(false);
    expect(changes.size).toBe(1);
    expect(changes.changed(web(), 'delete')).toBe(true);
    expect(changes.size).toBe(0);
    // Re-created under the same name and uid is unknown again: its first update passes.
    expect(changes.changed(web(), 'update')).toBe(true);
  });
});
