/**
 * A member's free room for one workload as the scheduler should see it: the estimator's answer
 * minus what other bindings placed there and whose pods are not bound yet (placement-ledger.ts).
 * The binding reconciler asks `free` while it gathers cluster states and calls `placed` as soon
 * as it has a schedule, before any await, so bindings reconciled concurrently see each other.
 */
import type { LabelSelector } from '../api/meta.js';
import type { PodTemplateInput } from '../estimator/index.js';
import { effectiveRequests } from '../estimator/requests.js';
import type { MemberConnection } from './member-connection.js';
import { PlacementLedger, PODS, replicasTaken, type PerReplica } from './placement-ledger.js';

/** How a workload's pods are found in a member. */
interface WorkloadPods {
  readonly namespace: string;
  readonly selector: LabelSelector;
}

/** What one replica of the pod template requests, in milli-units, and one pod. */
function perReplicaOf(podTemplate: PodTemplateInput): PerReplica {
  const out = new Map<string, number>([[PODS, 1]]);
  for (const [r, milli] of effectiveRequests(podTemplate.spec)) out.set(r, Number(milli));
  return out;
}

export class ReservedRoom {
  private readonly ledger = new PlacementLedger<WorkloadPods>();

  /** Replicas of `podTemplate` that fit in the member besides what others have reserved there. */
  free(
    member: string,
    conn: Pick<MemberConnection, 'estimator' | 'bound'>,
    key: string,
    podTemplate: PodTemplateInput,
  ): number {
    const reserved = this.ledger.reservedBesides(member, key, (w) =>
      conn.bound.count(w.namespace, w.selector),
    );
    const fits = conn.estimator.maxReplicas(podTemplate);
    return Math.max(0, fits - replicasTaken(reserved, perReplicaOf(podTemplate)));
  }

  /**
   * The binding now places these replicas, by member. A workload without pods, or whose pods
   * cannot be told apart (no selector), reserves nothing.
   */
  placed(
    key: string,
    targets: readonly { name: string; replicas?: number }[],
    podTemplate: PodTemplateInput | undefined,
    namespace: string,
    selector: LabelSelector | undefined,
  ): void {
    if (!podTemplate || !selector) {
      this.ledger.forget(key);
      return;
    }
    this.ledger.record(
      key,
      new Map(targets.map((t) => [t.name, t.replicas ?? 0])),
      perReplicaOf(podTemplate),
      { namespace, selector },
    );
  }

  forget(key: string): void {
    this.ledger.forget(key);
  }
}
