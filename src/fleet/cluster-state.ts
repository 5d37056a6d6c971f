/**
 * What the scheduler is told about one member cluster for one binding, from facts gathered by
 * whoever asks: the binding reconciler (from its member caches) and `kubectl amc plan` (from a
 * one-off read of the same objects). One function, so a plan is the controller's own answer.
 */
import type { ResourceBinding } from '../api/fleet.js';
import type { ClusterState, ScheduleResult } from '../scheduler/index.js';
import type { PendingCount } from './pending-pods.js';

export interface ClusterFacts {
  readonly name: string;
  /** Replicas the binding gives the cluster now (its base share). */
  readonly cur: number;
  /** A MemberCluster of that name exists and is not being deleted. */
  readonly registered: boolean;
  /** The member answers and is Ready now. */
  readonly ready: boolean;
  readonly notReadySeconds: number;
  /** MemberCluster `spec.provisioning.enabled`. */
  readonly canProvision: boolean;
  /** The policy's `autoScaling.ecsProvision`. */
  readonly ecsProvision: boolean;
  /** The template's replicas (a kind without pods always fits: this is its room). */
  readonly replicas: number;
  /**
   * For a kind with pods on a member whose caches are filled and that is Ready: the estimator's
   * answer for the pod template, the workload's pods not placed yet, and its replicas that have
   * no pod at all past the spill-over timeout. Absent otherwise: no room, nothing stuck.
   */
  readonly capacity?: {
    readonly maxReplicas: number;
    readonly pending: PendingCount;
    readonly podless: number;
  };
  /** The template's kind has pods (a pod template). */
  readonly hasPods: boolean;
  readonly spilloverMs: number;
  /** The member's ProvisioningRequest for this binding was refused. */
  readonly requestFailed: boolean;
  /** Ready replicas of the member's copy, when its kind and status say. */
  readonly copyReady?: number;
}

export function clusterState(f: ClusterFacts): ClusterState {
  // A kind without pods needs no capacity: one copy always fits.
  let avail = f.hasPods ? 0 : f.replicas;
  let stuck = 0;
  if (f.capacity) {
    // Our own pods not placed yet will take capacity the estimator still counts as free.
    avail = Math.max(0, f.capacity.maxReplicas - f.capacity.pending.pending);
    // Replicas that cannot even get a pod (ReplicaFailure, e.g. a missing PriorityClass) are
    // as stuck as unschedulable ones.
    stuck =
      f.spilloverMs > 0
        ? Math.min(f.cur, f.capacity.pending.unschedulableFor + f.capacity.podless)
        : 0;
  }
  const state: ClusterState = {
    name: f.name,
    cur: f.cur,
    avail,
    canProvision: f.canProvision,
    // A member that is not registered any more (or is being removed) is failed at once.
    failed: !f.registered,
    notReady: !f.ready,
    notReadySeconds: f.notReadySeconds,
    // A cluster that can provision keeps its waiting replicas while nodes are on the way; once
    // its autoscaler refused, they follow the spill-over timeout like any others.
    stuck: f.canProvision && f.ecsProvision && !f.requestFailed ? 0 : stuck,
  };
  if (f.copyReady !== undefined) return { ...state, ready: Math.min(f.cur, f.copyReady) };
  return state;
}

/** The scheduling result a binding records (its spec clusters, waiting from spec or status). */
export function previousResult(b: ResourceBinding | undefined): ScheduleResult | undefined {
  if (!b?.spec.clusters) return undefined;
  // Bindings written before the spec carried it have it only in their status.
  const waitingOf = new Map(
    (b.status?.aggregatedStatus ?? []).map((s) => [s.clusterName, s.waitingForCapacity ?? 0]),
  );
  for (const c of b.spec.clusters)
    if (c.waitingForCapacity !== undefined) waitingOf.set(c.name, c.waitingForCapacity);
  const clusters = b.spec.clusters.map((c) => ({
    cluster: c.name,
    replicas: c.replicas ?? 0,
    waiting: waitingOf.get(c.name) ?? 0,
    reason: c.reason ?? '',
    ...(c.affinityName ? { group: c.affinityName } : {}),
  }));
  return { clusters, waiting: b.status?.waitingForCapacity ?? 0, unplaced: 0, provision: [] };
}
