/** metav1.Condition bookkeeping: lastTransitionTime changes only when the status does. */
import type { Condition, ConditionStatus } from '../api/meta.js';

export function setCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const old = (conditions ?? []).find((c) => c.type === type);
  const next: Condition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now.toISOString(),
  };
  if (observedGeneration !== undefined) next.observedGeneration = observedGeneration;
  return [...(conditions ?? []).filter((c) => c.type !== type), next];
}
