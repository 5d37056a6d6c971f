/**
 * The pod and node fields the decision code reads, as minimal structural types that
 * @kubernetes/client-node's V1Pod and V1Node satisfy, so decision code stays free of it.
 */
import type { PodSpecInput, TolerationInput } from '../estimator/types.js';

export interface PodMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  /** Dates arrive as Date from the client, as strings in plain JSON: both are read. */
  readonly creationTimestamp?: Date | string;
  readonly deletionTimestamp?: Date | string;
  readonly labels?: { readonly [key: string]: string };
  readonly annotations?: { readonly [key: string]: string };
  readonly ownerReferences?: readonly {
    readonly kind: string;
    readonly uid?: string;
    readonly controller?: boolean;
  }[];
  readonly finalizers?: readonly string[];
}

export interface PolicyPodSpec extends PodSpecInput {
  readonly schedulingGates?: readonly { readonly name: string }[];
  readonly tolerations?: readonly TolerationInput[];
  readonly priority?: number;
}

export interface PodConditionInput {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
}

export interface PolicyPod {
  readonly metadata?: PodMeta;
  readonly spec?: PolicyPodSpec;
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly PodConditionInput[];
    readonly nominatedNodeName?: string;
  };
}

/** Labels of a node by name; undefined for a node not (or no longer) known. */
export type NodeLabelsOf = (nodeName: string) => { readonly [key: string]: string } | undefined;

/** Timestamps as milliseconds since the epoch; NaN when absent or malformed. */
export function timeMs(t: Date | string | undefined): number {
  if (t === undefined) return NaN;
  return t instanceof Date ? t.getTime() : Date.parse(t);
}

export function podName(pod: PolicyPod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function isTerminal(pod: PolicyPod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isTerminating(pod: PolicyPod): boolean {
  return pod.metadata?.deletionTimestamp != null;
}

export function hasGate(pod: PolicyPod, gate: string): boolean {
  return pod.spec?.schedulingGates?.some((g) => g.name === gate) ?? false;
}

/** A pod some controller (ReplicaSet, StatefulSet, Job, ...) recreates when it is deleted. */
export function hasControllerOwner(pod: PolicyPod): boolean {
  return pod.metadata?.ownerReferences?.some((o) => o.controller === true) ?? false;
}

/**
 * A pod of a DaemonSet: the DaemonSet controller pins it to one node (required node affinity on
 * metadata.name), so no unit can move it. Policies leave such pods alone: never gated, never
 * counted, never given a deletion cost.
 */
export function isDaemonSetPod(pod: PolicyPod): boolean {
  return (
    pod.metadata?.ownerReferences?.some((o) => o.controller === true && o.kind === 'DaemonSet') ??
    false
  );
}

/** The uid of the pod's controller (ReplicaSet, Job, StatefulSet...), if it has one. */
export function controllerUid(pod: PolicyPod): string | undefined {
  return pod.metadata?.ownerReferences?.find((o) => o.controller === true)?.uid;
}

/**
 * kube-scheduler tried the pod and found no node for it (PodScheduled=False, Unschedulable),
 * and is not about to preempt for it (no nominated node).
 */
export function isUnschedulable(pod: PolicyPod): boolean {
  if (pod.spec?.nodeName || pod.status?.nominatedNodeName) return false;
  return (
    pod.status?.conditions?.some(
      (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
    ) ?? false
  );
}
