/**
 * The webhook's decision (pure): does a pod being created get the scheduling gate? Yes when a
 * valid ResourcePolicy of its namespace selects it, it is not bound already (a pod created with
 * nodeName skips the scheduler, and the API rejects gates on it), it is not a DaemonSet's pod
 * (pinned to its node: units cannot move it) and it lacks the gate.
 */
import { GATE } from './constants.js';
import { policyFor, type SelectorHolder } from './select.js';
import { isDaemonSetPod, type PolicyPod } from './types.js';

export interface JsonPatchOp {
  op: 'add';
  path: string;
  value: unknown;
}

export interface GateDecision {
  /** The JSON patch to return, empty when the pod is left alone. */
  patch: JsonPatchOp[];
  /** The policy that selected the pod, if any. */
  policy?: string;
}

export function gateDecision(
  pod: PolicyPod,
  namespace: string,
  policies: Iterable<SelectorHolder>,
): GateDecision {
  if (pod.spec?.nodeName || isDaemonSetPod(pod)) return { patch: [] };
  const policy = policyFor(policies, namespace, pod.metadata?.labels);
  if (!policy) return { patch: [] };
  const gates = pod.spec?.schedulingGates;
  if (gates?.some((g) => g.name === GATE)) return { patch: [], policy: policy.name };
  const patch: JsonPatchOp[] = gates
    ? [{ op: 'add', path: '/spec/schedulingGates/-', value: { name: GATE } }]
    : [{ op: 'add', path: '/spec/schedulingGates', value: [{ name: GATE }] }];
  return { patch, policy: policy.name };
}
