/**
 * Room promised but not yet visible (pure). The estimator sees a member's free room through its
 * node and pod caches, so replicas a binding has just placed there take room only once their
 * pods are bound, seconds later. Without this ledger, workloads reconciled one after the other in
 * that window each see the same free room, more replicas land in the member than fit, and the
 * excess waits for the spill-over timeout before it moves on.
 *
 * Per member, each binding's entry says how many replicas it placed there, since when, and what
 * the caller needs to find its pods. What still waits is what is placed minus what is seen (pods
 * the member's scheduler has dealt with, counted by the caller). An entry is released when all
 * its replicas are seen or a new placement replaces the binding's entries; it stops holding room
 * once it is older than `maxAgeMs`, so pods that never come (refused by a quota, a member
 * controller down) do not hold room for ever.
 */

/** Replicas of one binding still on their way to a member. */
export interface Waiting<R> {
  readonly ref: R;
  readonly replicas: number;
}

interface Entry<R> {
  readonly replicas: number;
  /** When this many replicas were first placed there, ms since epoch. */
  readonly sinceMs: number;
  /** Whatever the caller needs to count the workload's pods (namespace, selector, requests). */
  readonly ref: R;
}

/** Long enough for a member to create and schedule pods under load; see docs/scheduling.md. */
export const DEFAULT_MAX_AGE_MS = 60_000;

export class PlacementLedger<R> {
  private readonly byMember = new Map<string, Map<string, Entry<R>>>();

  constructor(private readonly maxAgeMs = DEFAULT_MAX_AGE_MS) {}

  /**
   * The binding `key` now places these replicas in these members, and none anywhere else.
   * Called as soon as the placement is decided, before any await, so a binding reconciled
   * concurrently already sees it. A member whose count is unchanged keeps its age: a binding
   * re-reconciled every few seconds must not keep its reservation alive for ever.
   */
  record(key: string, placed: ReadonlyMap<string, number>, ref: R, nowMs: number): void {
    for (const [member, entries] of this.byMember)
      if (!placed.has(member)) this.drop(member, entries, key);
    for (const [member, replicas] of placed) {
      let entries = this.byMember.get(member);
      if (replicas <= 0) {
        if (entries) this.drop(member, entries, key);
        continue;
      }
      if (!entries) this.byMember.set(member, (entries = new Map()));
      const old = entries.get(key);
      const sinceMs = old?.replicas === replicas ? old.sinceMs : nowMs;
      entries.set(key, { replicas, sinceMs, ref });
    }
  }

  /** The binding is gone (or places nothing with pods): its reservations go too. */
  forget(key: string): void {
    for (const [member, entries] of this.byMember) this.drop(member, entries, key);
  }

  /**
   * What bindings other than `key` still wait for in `member`: for each, its replicas placed
   * there minus those `seen`. Entries fully seen are released here; entries too old hold
   * nothing (and stay, see below).
   */
  waitingBesides(
    member: string,
    key: string,
    seen: (ref: R) => number,
    nowMs: number,
  ): Waiting<R>[] {
    const out: Waiting<R>[] = [];
    const entries = this.byMember.get(member);
    if (!entries) return out;
    for (const [other, e] of entries) {
      // Expired, it stays (holding nothing) until the placement changes: dropped, the next
      // reconcile of an unchanged placement would record it afresh and hold the room again.
      if (nowMs - e.sinceMs >= this.maxAgeMs) continue;
      const waiting = e.replicas - seen(e.ref);
      if (waiting <= 0) {
        this.drop(member, entries, other);
        continue;
      }
      if (other !== key) out.push({ ref: e.ref, replicas: waiting });
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
