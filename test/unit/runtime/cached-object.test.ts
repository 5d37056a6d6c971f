import { describe, expect, it } from '@jest/globals';
import { dropFieldSets } from '../../../src/runtime/cached-object.js';
import { takeOverUnfinished } from '../../../src/fleet/adoption.js';
import { FIELD_MANAGER } from '../../../src/fleet/ownership.js';

const fieldSets = { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': {} } } };

function deployment(managedFields?: Record<string, unknown>[]) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'u1',
      resourceVersion: '7',
      ...(managedFields ? { managedFields } : {}),
    },
    spec: { replicas: 2 },
    status: { readyReplicas: 2 },
  };
}

describe('dropFieldSets (what a watched cache keeps of an object)', () => {
  it('keeps who wrote what and drops the field sets', () => {
    const obj = deployment([
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2026-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: fieldSets,
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:status': {} },
      },
    ]);
    dropFieldSets(obj);
    expect(obj.metadata.managedFields).toEqual([
      { manager: 'kubectl-client-side-apply', operation: 'Update' },
      { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' },
    ]);
    expect(JSON.stringify(obj)).not.toContain('f:spec');
  });

  it('leaves every other field as it was', () => {
    const obj = deployment([{ manager: 'm', operation: 'Apply', fieldsV1: fieldSets }]);
    const before = structuredClone(obj);
    dropFieldSets(obj);
    expect({ ...obj, metadata: { ...obj.metadata, managedFields: undefined } }).toEqual({
      ...before,
      metadata: { ...before.metadata, managedFields: undefined },
    });
  });

  it('accepts objects without managedFields or metadata', () => {
    const bare = deployment();
    dropFieldSets(bare);
    expect(bare).toEqual(deployment());
    const none: { metadata?: { managedFields?: unknown } } = {};
    dropFieldSets(none);
    expect(none).toEqual({});
  });

  it('still shows an adoption left half done (the reader of the member copy caches)', () => {
    const halfDone = deployment([
      { manager: FIELD_MANAGER, operation: 'Update', fieldsV1: fieldSets },
    ]);
    const done = deployment([{ manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: fieldSets }]);
    dropFieldSets(halfDone);
    dropFieldSets(done);
    expect(takeOverUnfinished(halfDone)).toBe(true);
    expect(takeOverUnfinished(done)).toBe(false);
  });
});
