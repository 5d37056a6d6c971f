/**
 * Pods kube-scheduler cannot place in the unit they were sent to (issue: inter-pod
 * anti-affinity, topology spread, host ports, anything the room estimate does not model). ACK
 * decides inside its scheduler and simply tries the next unit; beside kube-scheduler, a pod
 * whose gate is lifted can no longer be changed back, so the pod goes back through the unit
 * choice by being recreated by its owner, and the unit is remembered as refusing pods of that
 * owner until something there changes (see Refusal).
 */
import { ANNOTATION_POLICY, ANNOTATION_WAITING } from './constants.js';
import { assignedUnit } from './membership.js';
import type { Policy } from './spec.js';
import {
  controllerUid,
  hasControllerOwner,
  isTerminal,
  isTerminating,
  isUnschedulable,
  type PolicyPod,
} from './types.js';

export type StuckVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'move'; readonly unit: number }
  | { readonly kind: 'keep'; readonly unit: number; readonly why: string };

export function stuckVerdict(policy: Policy, pod: PolicyPod): StuckVerdict {
  if (isTerminal(pod) || isTerminating(pod) || !isUnschedulable(pod)) return { kind: 'none' };
  const unit = assignedUnit(policy, pod);
  if (unit === undefined) return { kind: 'none' };
  // A pod sent to wait for nodes is expected to be unschedulable: its timeout applies instead.
  if (pod.metadata?.annotations?.[ANNOTATION_WAITING] === 'true') return { kind: 'none' };
  if (unit === policy.units.length - 1)
    return { kind: 'keep', unit, why: 'it is in the last unit' };
  if (!hasControllerOwner(pod))
    return { kind: 'keep', unit, why: 'it has no controller owner to recreate it' };
  return { kind: 'move', unit };
}

/**
 * A unit kube-scheduler could not place a pod of `owner` in. While it holds, new pods of that
 * owner treat the unit as full. It ends when the unit's node count changes, when fewer pods of
 * the owner run there than when it was recorded (room freed), or at `untilMs`.
 */
export interface Refusal {
  readonly unit: number;
  readonly owner: string;
  readonly untilMs: number;
  readonly ownerPodsInUnit: number;
  readonly unitNodes: number;
}

/** Longest a refusal lasts without any visible change (capped by the policy's timeout). */
export const REFUSAL_MAX_MS = 10 * 60_000;

export function refusalHolds(
  r: Refusal,
  nowMs: number,
  ownerPodsInUnit: number,
  unitNodes: number,
): boolean {
  return nowMs < r.untilMs && ownerPodsInUnit >= r.ownerPodsInUnit && unitNodes === r.unitNodes;
}

export { controllerUid };

/**
 * A pod sent to a unit by a policy that is gone (deleted, or invalid now) and that cannot be
 * scheduled with the unit's constraints it still carries: recreated by its owner, it is
 * scheduled as if the policy had never existed.
 */
export function strandedByGonePolicy(pod: PolicyPod, validPolicies: ReadonlySet<string>): boolean {
  const name = pod.metadata?.annotations?.[ANNOTATION_POLICY];
  if (name === undefined || validPolicies.has(name)) return false;
  if (isTerminal(pod) || isTerminating(pod)) return false;
  return isUnschedulable(pod) && hasControllerOwner(pod);
}
