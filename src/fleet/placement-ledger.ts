/**
 * Room promised but not yet visible (pure). The estimator sees a member's free room through its
 * node and pod caches, so replicas a binding has just placed there take room only once their
 * pods are bound, seconds later. Without this ledger, workloads reconciled one after the other in
 * that window each see the same free room, more replicas land in the member than fit, and the
 * excess waits for the spill-over timeout before it moves on.
 *
 * Per member, each binding's entry says how many replicas it placed there and what one replica
 * requests. The reservation is what is placed minus what is seen (the workload's pods bound in
 * the member, counted by the caller); an entry whose pods are all seen is released, and a new
 * placement replaces the binding's entries.
 */

/** What one replica requests, by resource, in any unit used consistently (the pod count aside). */
export type PerReplica = ReadonlyMap<string, number>;

/** Requests held back by reservations, by resource, and `pods`: the replicas held back. */
export type Reserved = ReadonlyMap<string, number>;

export const PODS = 'pods';

interface Entry<R> {
  readonly replicas: number;
  readonly perReplica: PerReplica;
  /** Whatever the caller needs to count the workload's pods (namespace, selector). */
  readonly ref: R;
}

export class PlacementLedger<R> {
  private readonly byMember = new Map<string, Map<string, Entry<R>>>();

  /**
   * The binding `key` now places these replicas in these members, and none anywhere else.
   * Called as soon as the placement is decided, before any await, so a binding reconciled
   * concurrently already sees it.
   */
  record(key: string, placed: ReadonlyMap<string, number>, perReplica: PerReplica, ref: R): void {
    for (const [member, entries] of this.byMember)
      if (!placed.has(member)) this.drop(member, entries, key);
    for (const [member, replicas] of placed) {
      let entries = this.byMember.get(member);
      if (replicas <= 0) {
        if (entries) this.drop(member, entries, key);
        continue;
      }
      if (!entries) this.byMember.set(member, (entries = new Map()));
      entries.set(key, { replicas, perReplica, ref });
    }
  }

  /** The binding is gone (or places nothing with pods): its reservations go too. */
  forget(key: string): void {
    for (const [member, entries] of this.byMember) this.drop(member, entries, key);
  }

  /**
   * What bindings other than `key` hold back in `member`: for each, its replicas placed there
   * minus those `seen` (pods bound in the member), times its requests. Entries fully seen are
   * released here, so the ledger only ever holds placements still on their way.
   */
  reservedBesides(member: string, key: string, seen: (ref: R) => number): Reserved {
    const out = new Map<string, number>();
    const entries = this.byMember.get(member);
    if (!entries) return out;
    for (const [other, e] of entries) {
      const waiting = e.replicas - seen(e.ref);
      if (waiting <= 0) {
        this.drop(member, entries, other);
        continue;
      }
      if (other === key) continue;
      out.set(PODS, (out.get(PODS) ?? 0) + waiting);
      for (const [r, amount] of e.perReplica)
        if (r !== PODS) out.set(r, (out.get(r) ?? 0) + waiting * amount);
    }
    return out;
  }

  /** Entries held, for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const entries of this.byMember.values()) n += entries.size;
    return n;
  }

  private drop(member: string, entries: Map<string, Entry<R>>, key: string): void {
    entries.delete(key);
    if (entries.size === 0) this.byMember.delete(member);
  }
}

/**
 * How many replicas of a workload requesting `perReplica` the reserved requests take from a
 * member's free room: the most any one resource (or the pod count) accounts for. Summed over the
 * member, not per node, so it can be off by a node's leftovers; it never counts a resource the
 * workload does not request.
 */
export function replicasTaken(reserved: Reserved, perReplica: PerReplica): number {
  let taken = reserved.get(PODS) ?? 0;
  for (const [r, amount] of perReplica) {
    if (r === PODS || amount <= 0) continue;
    taken = Math.max(taken, Math.ceil((reserved.get(r) ?? 0) / amount));
  }
  return taken;
}
