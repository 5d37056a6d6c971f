import { describe, expect, it } from '@jest/globals';
import { applyMergePatch, statusPatchChanges } from '../../../src/fleet/status-change.js';

const condition = (status: string, at: string, message = 'm') => ({
  type: 'Ready',
  status,
  reason: 'R',
  message,
  lastTransitionTime: at,
});

describe('status patches that change nothing are not sent', () => {
  it('merges as RFC 7386 says: objects merge, null removes, arrays replace', () => {
    expect(
      applyMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { c: null, x: 1 }, e: [3] }),
    ).toEqual({
      a: 1,
      b: { d: 3, x: 1 },
      e: [3],
    });
  });

  it('ignores a patch that only moves times', () => {
    const current = {
      lastScheduledTime: '2026-01-01T00:00:00Z',
      readyReplicas: 3,
      conditions: [condition('True', '2026-01-01T00:00:00Z')],
    };
    const patch = {
      lastScheduledTime: '2026-01-01T00:05:00Z',
      readyReplicas: 3,
      conditions: [condition('True', '2026-01-01T00:05:00Z')],
    };
    expect(statusPatchChanges(current, patch)).toBe(false);
  });

  it('sees a changed value, condition or message', () => {
    const current = { readyReplicas: 3, conditions: [condition('True', 't')] };
    expect(statusPatchChanges(current, { readyReplicas: 2 })).toBe(true);
    expect(statusPatchChanges(current, { conditions: [condition('False', 't')] })).toBe(true);
    expect(statusPatchChanges(current, { conditions: [condition('True', 't', 'other')] })).toBe(
      true,
    );
    expect(statusPatchChanges(current, { placement: 'a: 1' })).toBe(true);
    expect(statusPatchChanges(undefined, { readyReplicas: 1 })).toBe(true);
  });

  it('sees a field removed with null, and a list replaced', () => {
    expect(statusPatchChanges({ readyReplicas: 3 }, { readyReplicas: null })).toBe(true);
    expect(statusPatchChanges({ items: [{ a: 1 }, { a: 2 }] }, { items: [{ a: 1 }] })).toBe(true);
  });

  it('takes a zero, an empty list or a false for an absent field, as built-in kinds store them', () => {
    expect(statusPatchChanges({ replicas: 3 }, { replicas: 3, unavailableReplicas: 0 })).toBe(
      false,
    );
    expect(statusPatchChanges({}, { conditions: [], message: '', paused: false })).toBe(false);
  });

  it('ignores the key order the API server returns', () => {
    expect(statusPatchChanges({ b: 1, a: { d: 1, c: 2 } }, { a: { c: 2, d: 1 }, b: 1 })).toBe(
      false,
    );
  });
});
