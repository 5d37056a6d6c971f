/**
 * A member's free room for one workload as the scheduler should see it: the estimator's answer
 * with the replicas other bindings placed there, whose pods are not bound yet, held back
 * (placement-ledger.ts). The binding reconciler asks `free` while it gathers cluster states and
 * calls `placed` as soon as it has a schedule, before any await, so bindings reconciled
 * concurrently see each other.
 */
import type { LabelSelector } from '../api/meta.js';
import type { PodTemplateInput } from '../estimator/index.js';
import type { MemberConnection } from './member-connection.js';
import { PlacementLedger } from './placement-ledger.js';

/** How a workload's pods are found in a member, and what one of them requests. */
interface WorkloadPods {
  readonly namespace: string;
  readonly selector: LabelSelector;
  readonly podTemplate: PodTemplateInput;
}

type Caches = Pick<MemberConnection, 'estimator' | 'settled'>;

const selectsNothingApart = (s: LabelSelector) =>
  Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

export class ReservedRoom {
  constructor(private readonly ledger = new PlacementLedger<WorkloadPods>()) {}

  /** Replicas of `podTemplate` that fit in the member besides what others have reserved there. */
  free(
    member: string,
    conn: Caches,
    key: string,
    podTemplate: PodTemplateInput,
    nowMs: number,
  ): number {
    const waiting = this.ledger.waitingBesides(
      member,
      key,
      (w) => conn.settled.count(w.namespace, w.selector),
      nowMs,
    );
    if (waiting.length === 0) return conn.estimator.maxReplicas(podTemplate);
    return conn.estimator.maxReplicasBeside(
      podTemplate,
      waiting.map((w) => ({ template: w.ref.podTemplate, replicas: w.replicas })),
    );
  }

  /**
   * The binding now places these replicas, by member. A workload without pods, or whose pods
   * cannot be told apart (no selector, or an empty one, as for a CronJob), reserves nothing.
   */
  placed(
    key: string,
    targets: readonly { name: string; replicas?: number }[],
    podTemplate: PodTemplateInput | undefined,
    namespace: string,
    selector: LabelSelector | undefined,
    nowMs: number,
  ): void {
    if (!podTemplate || !selector || selectsNothingApart(selector)) {
      this.ledger.forget(key);
      return;
    }
    this.ledger.record(
      key,
      new Map(targets.map((t) => [t.name, t.replicas ?? 0])),
      { namespace, selector, podTemplate },
      nowMs,
    );
  }

  forget(key: string): void {
    this.ledger.forget(key);
  }

  /** Reservations held (one per binding and member), for tests. */
  get size(): number {
    return this.ledger.size;
  }
}
