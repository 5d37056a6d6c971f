/**
 * Which unit of a policy a pod counts in. A pod the controller sent to a unit counts there, by
 * the annotations the controller put on it: from the moment of the decision (so capacity and
 * max are reserved before a node takes it) and after, even when units overlap and its node
 * belongs to an earlier unit too. A pod without that record (created before the policy or
 * while the controller was down), or whose node is no longer part of the recorded unit (units
 * edited), counts in the first unit whose nodes include its node (nodeSelector, and virtual or
 * not by the unit's kind) and whose podLabels and podAnnotations it carries.
 */
import {
  ANNOTATION_POLICY,
  ANNOTATION_UNIT,
  VIRTUAL_NODE_LABEL,
  VIRTUAL_NODE_TYPE_LABEL,
  VIRTUAL_NODE_VALUE,
} from './constants.js';
import { selectorMatches } from './select.js';
import type { Policy, Unit } from './spec.js';
import type { NodeLabelsOf, PolicyPod } from './types.js';

type Labels = { readonly [key: string]: string };

export function isVirtualNode(labels: Labels): boolean {
  return labels[VIRTUAL_NODE_LABEL] === VIRTUAL_NODE_VALUE;
}

/** Whether a node with these labels belongs to the unit. */
export function nodeInUnit(unit: Unit, labels: Labels): boolean {
  if (!selectorMatches(unit.nodeSelector, labels)) return false;
  if (!unit.virtual) return !isVirtualNode(labels);
  if (!isVirtualNode(labels)) return false;
  // The same rule as the affinity patch.ts gives pods: not the other kind of virtual node.
  return labels[VIRTUAL_NODE_TYPE_LABEL] !== (unit.resource === 'acs' ? 'eci' : 'acs');
}

/** The pod carries the labels and annotations the unit puts on its pods. */
export function carriesUnitMarks(unit: Unit, pod: PolicyPod): boolean {
  return (
    selectorMatches(unit.podLabels, pod.metadata?.labels) &&
    selectorMatches(unit.podAnnotations, pod.metadata?.annotations)
  );
}

/** The unit index the controller recorded on the pod for this policy, if any. */
export function assignedUnit(policy: Policy, pod: PolicyPod): number | undefined {
  const a = pod.metadata?.annotations;
  if (a?.[ANNOTATION_POLICY] !== policy.name) return undefined;
  const raw = a[ANNOTATION_UNIT];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const index = Number(raw);
  return index < policy.units.length ? index : undefined;
}

/** The unit the pod counts in, or undefined (not placed yet, or outside every unit). */
export function unitOf(
  policy: Policy,
  pod: PolicyPod,
  nodeLabels: NodeLabelsOf,
): number | undefined {
  const nodeName = pod.spec?.nodeName;
  const labels = nodeName ? nodeLabels(nodeName) : undefined;
  if (labels) {
    const recorded = assignedUnit(policy, pod);
    const r = recorded === undefined ? undefined : policy.units[recorded];
    if (r && nodeInUnit(r, labels) && carriesUnitMarks(r, pod)) return r.index;
    for (const unit of policy.units) {
      if (nodeInUnit(unit, labels) && carriesUnitMarks(unit, pod)) return unit.index;
    }
    return undefined;
  }
  // Not bound, or bound to a node we no longer see: trust what the controller recorded.
  return assignedUnit(policy, pod);
}
