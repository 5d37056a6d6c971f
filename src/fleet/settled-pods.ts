/**
 * A member's pods its scheduler has dealt with: bound to a node (running or finished), or judged
 * unschedulable, and not terminating. Indexed by namespace and label, so "how many pods of this
 * workload are settled" costs about the number of the workload's pods, not of the member's. The
 * placement ledger asks it when a reservation is released (placement-ledger.ts): a Job's
 * finished pods took their room and gave it back, and unschedulable ones take none (waiting for
 * them is the spill-over's business), so neither is on its way any more.
 */
import type { LabelSelector } from '../api/meta.js';
import { matchesSelector } from './labels.js';
import type { PodLike } from './pending-pods.js';

interface SettledPod {
  readonly labels: Readonly<Record<string, string>>;
  /** The index entries it is in: its namespace, and one per label. */
  readonly keys: readonly string[];
}

const unschedulable = (p: PodLike) =>
  (p.status?.conditions ?? []).some(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );

const nsKey = (ns: string) => ns;
const labelKey = (ns: string, k: string, v: string) => `${ns}\u0000${k}\u0000${v}`;

export class SettledPods {
  private readonly pods = new Map<string, SettledPod>();
  private readonly index = new Map<string, Set<string>>();

  private static key(p: PodLike): string {
    return p.metadata?.uid ?? `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
  }

  upsert(p: PodLike): void {
    const key = SettledPods.key(p);
    this.removeKey(key);
    if (p.metadata?.deletionTimestamp || !(p.spec?.nodeName || unschedulable(p))) return;
    const ns = p.metadata?.namespace ?? '';
    const labels = { ...(p.metadata?.labels ?? {}) };
    const keys = [nsKey(ns), ...Object.entries(labels).map(([k, v]) => labelKey(ns, k, v))];
    for (const k of keys) {
      let set = this.index.get(k);
      if (!set) this.index.set(k, (set = new Set()));
      set.add(key);
    }
    this.pods.set(key, { labels, keys });
  }

  remove(p: PodLike): void {
    this.removeKey(SettledPods.key(p));
  }

  reset(pods: readonly PodLike[]): void {
    this.pods.clear();
    this.index.clear();
    for (const p of pods) this.upsert(p);
  }

  /** Settled pods in `namespace` the selector matches. */
  count(namespace: string, selector: LabelSelector): number {
    // The smallest index entry that every match must be in: a matchLabels pair, else the namespace.
    let candidates = this.index.get(nsKey(namespace));
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
      const set = this.index.get(labelKey(namespace, k, v));
      if (!set) return 0;
      if (!candidates || set.size < candidates.size) candidates = set;
    }
    let n = 0;
    for (const key of candidates ?? []) {
      const pod = this.pods.get(key);
      if (pod && matchesSelector(pod.labels, selector)) n++;
    }
    return n;
  }

  get size(): number {
    return this.pods.size;
  }

  private removeKey(key: string): void {
    const old = this.pods.get(key);
    if (!old) return;
    this.pods.delete(key);
    for (const k of old.keys) {
      const set = this.index.get(k);
      set?.delete(key);
      if (set?.size === 0) this.index.delete(k);
    }
  }
}
