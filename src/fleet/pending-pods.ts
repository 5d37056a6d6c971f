/**
 * Pods a member's scheduler has not placed yet, kept compactly (namespace, labels, and since
 * when they are unschedulable): enough to say how many of a workload's replicas wait for
 * capacity and for how long, without holding whole pod objects.
 */
import type { LabelSelector } from '../api/meta.js';
import { matchesSelector } from './labels.js';

export interface PodLike {
  metadata?: {
    uid?: string;
    namespace?: string;
    name?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: unknown;
  };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      lastTransitionTime?: Date | string;
    }[];
  };
}

interface PendingPod {
  namespace: string;
  labels: Record<string, string>;
  /** ms since epoch when it was found unschedulable; undefined while not (yet) judged. */
  unschedulableSince?: number;
}

export interface PendingCount {
  /** Unbound, non-terminating pods of the workload. */
  pending: number;
  /** Of those, judged unschedulable by the member's scheduler. */
  unschedulable: number;
  /** Of those, unschedulable for at least the given age. */
  unschedulableFor: number;
}

export class PendingPods {
  private readonly pods = new Map<string, PendingPod>();

  private static key(p: PodLike): string {
    return p.metadata?.uid ?? `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
  }

  upsert(p: PodLike): void {
    const key = PendingPods.key(p);
    const phase = p.status?.phase;
    if (
      p.spec?.nodeName ||
      p.metadata?.deletionTimestamp ||
      phase === 'Succeeded' ||
      phase === 'Failed'
    ) {
      this.pods.delete(key);
      return;
    }
    const cond = (p.status?.conditions ?? []).find(
      (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
    );
    const entry: PendingPod = {
      namespace: p.metadata?.namespace ?? '',
      labels: { ...(p.metadata?.labels ?? {}) },
    };
    if (cond)
      entry.unschedulableSince = cond.lastTransitionTime
        ? new Date(cond.lastTransitionTime).getTime()
        : Date.now();
    this.pods.set(key, entry);
  }

  remove(p: PodLike): void {
    this.pods.delete(PendingPods.key(p));
  }

  reset(pods: readonly PodLike[]): void {
    this.pods.clear();
    for (const p of pods) this.upsert(p);
  }

  count(namespace: string, selector: LabelSelector, minAgeMs: number, nowMs: number): PendingCount {
    const out: PendingCount = { pending: 0, unschedulable: 0, unschedulableFor: 0 };
    for (const p of this.pods.values()) {
      if (p.namespace !== namespace || !matchesSelector(p.labels, selector)) continue;
      out.pending++;
      if (p.unschedulableSince !== undefined) {
        out.unschedulable++;
        if (nowMs - p.unschedulableSince >= minAgeMs) out.unschedulableFor++;
      }
    }
    return out;
  }

  get size(): number {
    return this.pods.size;
  }
}
