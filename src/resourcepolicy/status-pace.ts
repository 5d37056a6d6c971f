/**
 * How often a policy's status is written (pure). During a burst of pods every pass changes the
 * counts, and one status patch per pass was about one more API write per pod. Counts are
 * therefore written at most once per window per policy: a change right after a write waits for
 * the window's end, and the pass run then writes the counts of that moment, so every change in
 * between lands in that one write and the last state is always written. Anything else in the
 * status (observedGeneration, conditions, wait suspensions) is written at once: the webhook
 * reads observedGeneration, users read conditions, and a new leader reads the suspensions.
 * In memory only: after a restart or a change of leader, the first pass writes.
 */
import type { ResourcePolicyStatus } from '../api/resourcepolicy.js';
import { stableJson } from '../util/stable-json.js';

export const STATUS_WINDOW_MS = 1000;

/** The status without its counts (what a burst of pods changes) and without timestamps. */
function withoutCounts(s: ResourcePolicyStatus | undefined): string {
  return stableJson({
    observedGeneration: s?.observedGeneration,
    units: s?.units?.map((u) => ({
      index: u.index,
      resource: u.resource,
      max: u.max,
      maxResources: u.maxResources,
      waitSuspendedUntil: u.waitSuspendedUntil,
    })),
    conditions: s?.conditions?.map((c) => ({ ...c, lastTransitionTime: '' })),
  });
}

/** Whether `next` differs from `prev` in more than counts: such a change is written at once. */
export function beyondCounts(
  prev: ResourcePolicyStatus | undefined,
  next: ResourcePolicyStatus,
): boolean {
  return prev === undefined || withoutCounts(prev) !== withoutCounts(next);
}

export type PaceVerdict =
  | { readonly write: true }
  | {
      readonly write: false;
      /** Decide again (and write then) after this. */ readonly inMs: number;
    };

export class StatusPacer {
  /** Per policy (uid): when its status was last written. */
  private readonly lastMs = new Map<string, number>();

  constructor(private readonly windowMs = STATUS_WINDOW_MS) {}

  /**
   * A changed status of policy `key` is ready: write it now, or wait for the window's end. A
   * write is counted from the moment it is allowed.
   */
  offer(key: string, nowMs: number, urgent: boolean): PaceVerdict {
    const last = this.lastMs.get(key);
    if (!urgent && last !== undefined && nowMs - last < this.windowMs)
      return { write: false, inMs: last + this.windowMs - nowMs };
    this.lastMs.set(key, nowMs);
    // Policies gone long ago must not pile up.
    if (this.lastMs.size > 10_000)
      for (const [k, t] of this.lastMs) if (nowMs - t >= this.windowMs) this.lastMs.delete(k);
    return { write: true };
  }
}
