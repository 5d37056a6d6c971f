/**
 * Whether a pod's own constraints rule a unit out, whatever its free capacity: the unit has
 * nodes, but the pod's nodeSelector, required node affinity or tolerations (with what the unit
 * adds) match none of them. Told apart from "no room" so that a pod that can never run in any
 * unit says so, instead of waiting for room that would not help it.
 */
import {
  nodeSelectorMatches,
  requiredAffinityMatches,
  requiredTerms,
} from '../estimator/affinity.js';
import { untoleratedTaint } from '../estimator/tolerations.js';
import type { TaintInput } from '../estimator/types.js';
import { nodeInUnit } from './membership.js';
import { specInUnit } from './patch.js';
import type { Unit } from './spec.js';
import type { PolicyPod } from './types.js';

export interface UnitNode {
  readonly name: string;
  readonly labels: { readonly [key: string]: string };
  readonly taints: readonly TaintInput[];
}

/** How many nodes the unit has, and on how many of them the pod may run at all. */
export function unitEligibility(
  pod: PolicyPod,
  unit: Unit,
  nodes: Iterable<UnitNode>,
): { unitNodes: number; eligibleNodes: number } {
  const spec = specInUnit(pod.spec, unit);
  const selector = Object.entries(spec.nodeSelector);
  const terms = requiredTerms(spec);
  let unitNodes = 0;
  let eligibleNodes = 0;
  for (const n of nodes) {
    if (!nodeInUnit(unit, n.labels)) continue;
    unitNodes++;
    const labels = new Map(Object.entries(n.labels));
    if (!nodeSelectorMatches(selector, labels)) continue;
    if (!requiredAffinityMatches(terms, { name: n.name, labels })) continue;
    if (untoleratedTaint(n.taints, spec.tolerations)) continue;
    eligibleNodes++;
  }
  return { unitNodes, eligibleNodes };
}
