import { describe, expect, it } from '@jest/globals';
import {
  conditionsChanged,
  setStatusCondition,
  setStatusConditions,
} from '../../../src/api/conditions.js';

const t1 = new Date('2026-01-01T00:00:00Z');
const t2 = new Date('2026-01-01T01:00:00Z');

describe('setStatusCondition', () => {
  it('moves lastTransitionTime only when the status changes', () => {
    const a = setStatusCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Ok', message: 'fine', observedGeneration: 1 },
      t1,
    );
    const b = setStatusCondition(
      a,
      { type: 'Ready', status: 'True', reason: 'Ok', message: 'still fine', observedGeneration: 2 },
      t2,
    );
    expect(b[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(b[0]?.message).toBe('still fine');
    expect(b[0]?.observedGeneration).toBe(2);
    const c = setStatusCondition(
      b,
      { type: 'Ready', status: 'False', reason: 'Down', message: 'gone' },
      t2,
    );
    expect(c).toHaveLength(1);
    expect(c[0]?.lastTransitionTime).toBe('2026-01-01T01:00:00Z');
  });

  it('updates in place, so the order of the list stays stable', () => {
    const list = setStatusConditions(
      undefined,
      [
        { type: 'A', status: 'True', reason: 'R', message: '' },
        { type: 'B', status: 'True', reason: 'R', message: '' },
        { type: 'C', status: 'True', reason: 'R', message: '' },
      ],
      t1,
    );
    const next = setStatusCondition(
      list,
      { type: 'A', status: 'False', reason: 'X', message: 'x' },
      t2,
    );
    expect(next.map((c) => c.type)).toEqual(['A', 'B', 'C']);
    expect(list[0]?.status).toBe('True'); // the input is not mutated
  });

  it('tells a real change from a timestamp-only one', () => {
    const a = setStatusCondition(
      undefined,
      { type: 'A', status: 'True', reason: 'R', message: 'm' },
      t1,
    );
    const b = setStatusCondition(
      undefined,
      { type: 'A', status: 'True', reason: 'R', message: 'm' },
      t2,
    );
    expect(conditionsChanged(a, b)).toBe(false);
    const c = setStatusCondition(
      a,
      { type: 'A', status: 'True', reason: 'R', message: 'other' },
      t2,
    );
    expect(conditionsChanged(a, c)).toBe(true);
  });
});
