/**
 * metav1.Condition bookkeeping shared by every controller (pure), after apimachinery's
 * meta.SetStatusCondition: a condition is updated in place so the list keeps its order, and
 * lastTransitionTime moves only when the status changes.
 */
import type { Condition, ConditionStatus } from './meta.js';

/** A condition as a controller decides it; the helper adds the times. */
export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** RFC 3339 at whole seconds, as metav1.Time is serialized (what the API server gives back). */
export function metaTime(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `list` with `next` set: replaced where it was (same type) or appended. */
export function setStatusCondition(
  list: readonly Condition[] | undefined,
  next: ConditionInput,
  now: Date,
): Condition[] {
  const conditions = [...(list ?? [])];
  const i = conditions.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? conditions[i] : undefined;
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : metaTime(now),
  };
  if (next.observedGeneration !== undefined) condition.observedGeneration = next.observedGeneration;
  if (i >= 0) conditions[i] = condition;
  else conditions.push(condition);
  return conditions;
}

/** Every condition of `next` set on `list`, in order. */
export function setStatusConditions(
  list: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: Date,
): Condition[] {
  return next.reduce<Condition[]>((acc, c) => setStatusCondition(acc, c, now), [...(list ?? [])]);
}

export function findCondition(
  list: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/** Whether two lists differ in anything but lastTransitionTime (skips no-op status writes). */
export function conditionsChanged(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const strip = (l: readonly Condition[] | undefined) =>
    JSON.stringify((l ?? []).map((c) => ({ ...c, lastTransitionTime: '' })));
  return strip(a) !== strip(b);
}
