/**
 * Waits that end: a pod sent to wait in a unit without room (for nodes to be added) is deleted
 * once it has waited policy.timeoutMs without a node, so its owner recreates it and the new pod
 * is sent on, since the unit stops taking waiting pods for one more timeout. Never for a pod
 * without a controller owner (nothing would recreate it), nor in the last unit (nowhere to go).
 */
import { ANNOTATION_ASSIGNED_AT, ANNOTATION_WAITING } from './constants.js';
import { waitIsTimed } from './choose.js';
import { assignedUnit } from './membership.js';
import type { Policy } from './spec.js';
import { hasControllerOwner, isTerminal, isTerminating, timeMs, type PolicyPod } from './types.js';

export type TimeoutVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'pending'; readonly unit: number; readonly dueMs: number }
  | { readonly kind: 'delete'; readonly unit: number; readonly waitedMs: number }
  | { readonly kind: 'keep'; readonly unit: number; readonly why: string };

export function timeoutVerdict(policy: Policy, pod: PolicyPod, nowMs: number): TimeoutVerdict {
  if (pod.spec?.nodeName || isTerminal(pod) || isTerminating(pod)) return { kind: 'none' };
  const a = pod.metadata?.annotations;
  if (a?.[ANNOTATION_WAITING] !== 'true' || !waitIsTimed(policy)) return { kind: 'none' };
  const unit = assignedUnit(policy, pod);
  if (unit === undefined) return { kind: 'none' };
  const since = timeMs(a[ANNOTATION_ASSIGNED_AT]);
  if (Number.isNaN(since)) return { kind: 'none' };
  const dueMs = since + policy.timeoutMs;
  if (nowMs < dueMs) return { kind: 'pending', unit, dueMs };
  if (unit === policy.units.length - 1)
    return { kind: 'keep', unit, why: 'it is in the last unit' };
  if (!hasControllerOwner(pod))
    return { kind: 'keep', unit, why: 'it has no controller owner to recreate it' };
  return { kind: 'delete', unit, waitedMs: nowMs - since };
}
