/**
 * Rebalance home (pure): which move to make next so that replicas that spilled to a
 * lower-priority group come back to a higher one once it has room, without an outage.
 *
 * A move is make-before-break: the higher group's clusters are raised by at most the budget
 * (the surge), and only once those replicas are Ready are the lower group's clusters lowered by
 * as many. The move in flight is kept in the binding (`spec.rebalancing`), so a restarted
 * controller resumes it or abandons it safely. The reconciler calls `decideRebalance` once per
 * reconcile, after the ordinary scheduler has run on the placement without the move's surge.
 *
 * Replicas move between groups only: inside a group the placement stays sticky, so "balanced"
 * means every group holds what a fresh schedule would give it.
 */
import type { ClusterState } from '../scheduler/index.js';

/** Replicas added to or taken from one cluster by a move. */
export interface Shift {
  readonly cluster: string;
  readonly replicas: number;
}

export interface Move {
  /** Raised first (the surge). */
  readonly raise: readonly Shift[];
  /** Lowered by as many once the raised replicas are Ready. */
  readonly lower: readonly Shift[];
  readonly startedAtMs: number;
  /** "Automatic", or the manual request being served. */
  readonly trigger: string;
}

/** One member cluster as the rebalance decision sees it. */
export interface RebalanceCluster {
  readonly name: string;
  /** Index of its group in priority order (0 is the highest); -1 outside the placement. */
  readonly group: number;
  /** The member is Ready (its API server answers); a move never involves one that is not. */
  readonly memberReady: boolean;
  /** Ready replicas its copy reports (0 when the copy is not up to date with its spec). */
  readonly readyReplicas: number;
  /** How many more replicas fit there now (the estimator). */
  readonly avail: number;
}

export interface RebalanceBudget {
  /** Replicas one step may move (the surge above `replicas`); at least 1. */
  readonly maxReplicas: number;
  /** Time between the end of one step and the start of the next. */
  readonly minIntervalMs: number;
  /** How long a move must have been possible before the first step (automatic only). */
  readonly stabilizationMs: number;
  /** A move whose raised replicas are not Ready within this is aborted; 0: never. */
  readonly readyTimeoutMs: number;
}

export interface RebalanceInput {
  readonly replicas: number;
  /** Counts the scheduler started from: the binding's placement without the move's surge. */
  readonly base: ReadonlyMap<string, number>;
  /** The ordinary (sticky) scheduler's counts for `base`. */
  readonly scheduled: ReadonlyMap<string, number>;
  /** A fresh schedule's counts: where the replicas would go if none were placed yet. */
  readonly fresh: ReadonlyMap<string, number>;
  readonly clusters: readonly RebalanceCluster[];
  /** `rebalance.enabled` on the policy. */
  readonly automatic: boolean;
  /** A one-shot manual request is being served (it ignores `enabled` and the window). */
  readonly manual?: string;
  readonly budget: RebalanceBudget;
  readonly move?: Move;
  readonly lastMoveMs?: number;
  readonly freeSinceMs?: number;
  readonly nowMs: number;
}

export type RebalanceStep =
  /** Rebalance is off and no manual request is pending. */
  | 'off'
  /** Every group holds what a fresh schedule gives it. */
  | 'balanced'
  /** A move is possible but waits (window, interval, readiness, another change first). */
  | 'waiting'
  /** A move started this reconcile (the higher group is raised). */
  | 'started'
  /** The move in flight waits for its raised replicas to be Ready. */
  | 'moving'
  /** The move in flight finished (the lower group is lowered). */
  | 'completed'
  /** The move in flight was dropped; the ordinary rules apply to the placement before it. */
  | 'aborted';

export interface RebalanceDecision {
  readonly step: RebalanceStep;
  /** The placement to write: the scheduler's counts with the move applied. */
  readonly counts: ReadonlyMap<string, number>;
  /** The move to keep in the binding (absent: none in flight). */
  readonly move?: Move;
  readonly lastMoveMs?: number;
  readonly freeSinceMs?: number;
  /** For people: the condition message and the Event. */
  readonly message: string;
  /** Re-check after this long (a window or interval that ends, readiness to watch). */
  readonly requeueMs?: number;
}

/** Default re-check while a move waits for readiness (copy status events also wake it). */
const MOVING_RECHECK_MS = 2000;

const count = (m: ReadonlyMap<string, number>, c: string): number => m.get(c) ?? 0;

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  for (const k of new Set([...a.keys(), ...b.keys()]))
    if (count(a, k) !== count(b, k)) return false;
  return true;
}

function shifted(
  counts: ReadonlyMap<string, number>,
  shifts: readonly Shift[],
  sign: 1 | -1,
): Map<string, number> {
  const out = new Map(counts);
  for (const s of shifts) out.set(s.cluster, count(out, s.cluster) + sign * s.replicas);
  return out;
}

const total = (shifts: readonly Shift[]): number => shifts.reduce((n, s) => n + s.replicas, 0);
const listText = (shifts: readonly Shift[]): string =>
  shifts.map((s) => `${s.cluster} ${s.replicas}`).join(', ');

/** The placement the scheduler should start from: the binding's, without the move's surge. */
export function baseOf(
  placed: ReadonlyMap<string, number>,
  move: Move | undefined,
): Map<string, number> {
  const out = shifted(placed, move?.raise ?? [], -1);
  for (const [k, v] of out) if (v < 0) out.set(k, 0);
  return out;
}

/** Ready replicas once the lowered clusters have shrunk (a scale-in removes unready pods first). */
function readyAfter(
  counts: ReadonlyMap<string, number>,
  clusters: ReadonlyMap<string, RebalanceCluster>,
  lower: readonly Shift[],
): number {
  let sum = 0;
  for (const [name, n] of counts) {
    const cut = lower.find((s) => s.cluster === name)?.replicas ?? 0;
    sum += Math.min(clusters.get(name)?.readyReplicas ?? 0, n - cut);
  }
  return sum;
}

/**
 * The next move: from the lowest-priority group holding more than a fresh schedule gives it to
 * the highest-priority group holding less, at most `maxReplicas`, never above a cluster's room.
 */
export function planMove(
  scheduled: ReadonlyMap<string, number>,
  fresh: ReadonlyMap<string, number>,
  clusters: readonly RebalanceCluster[],
  maxReplicas: number,
): { raise: Shift[]; lower: Shift[] } | undefined {
  const groups = [...new Set(clusters.filter((c) => c.group >= 0).map((c) => c.group))].sort(
    (a, b) => a - b,
  );
  const inGroup = (g: number) =>
    clusters.filter((c) => c.group === g).sort((a, b) => (a.name < b.name ? -1 : 1));
  const sumOf = (m: ReadonlyMap<string, number>, g: number) =>
    inGroup(g).reduce((n, c) => n + count(m, c.name), 0);
  const receiver = groups.find((g) => sumOf(fresh, g) > sumOf(scheduled, g));
  const donor = [...groups].reverse().find((g) => sumOf(scheduled, g) > sumOf(fresh, g));
  if (receiver === undefined || donor === undefined || receiver >= donor) return undefined;
  let k = Math.min(
    maxReplicas,
    sumOf(fresh, receiver) - sumOf(scheduled, receiver),
    sumOf(scheduled, donor) - sumOf(fresh, donor),
  );
  // Raise where the fresh schedule wants more, within the room the estimator reports now.
  const raise: Shift[] = [];
  const takers = inGroup(receiver)
    .filter((c) => c.memberReady)
    .map((c) => ({
      c,
      want: Math.min(c.avail, count(fresh, c.name) - count(scheduled, c.name)),
    }))
    .filter((t) => t.want > 0)
    .sort((a, b) => b.want - a.want);
  for (const t of takers) {
    const n = Math.min(t.want, k - total(raise));
    if (n > 0) raise.push({ cluster: t.c.name, replicas: n });
  }
  k = total(raise);
  if (k === 0) return undefined;
  const lower: Shift[] = [];
  const givers = inGroup(donor)
    .filter((c) => c.memberReady)
    .map((c) => ({ c, extra: count(scheduled, c.name) - count(fresh, c.name) }))
    .filter((g) => g.extra > 0)
    .sort((a, b) => b.extra - a.extra);
  for (const g of givers) {
    const n = Math.min(g.extra, k - total(lower));
    if (n > 0) lower.push({ cluster: g.c.name, replicas: n });
  }
  // A donor that is not Ready cannot be lowered safely: move only what can be taken back.
  const lowered = total(lower);
  if (lowered === 0) return undefined;
  if (lowered < k) {
    let left = lowered;
    const trimmed: Shift[] = [];
    for (const s of raise) {
      const n = Math.min(s.replicas, left);
      if (n > 0) trimmed.push({ cluster: s.cluster, replicas: n });
      left -= n;
    }
    return { raise: trimmed, lower };
  }
  return { raise, lower };
}

/** Why the move in flight cannot go on, or undefined. */
function abortReason(i: RebalanceInput, move: Move, byName: Map<string, RebalanceCluster>): string {
  if (!sameCounts(i.scheduled, i.base))
    return 'the placement changed under it (scale, policy edit or failover)';
  if (!i.automatic && i.manual === undefined) return 'rebalance was turned off';
  for (const s of [...move.raise, ...move.lower]) {
    const c = byName.get(s.cluster);
    if (!c || c.group < 0) return `${s.cluster} is no longer in the placement`;
    if (!c.memberReady) return `member ${s.cluster} is not Ready`;
  }
  const highestDonor = Math.min(...move.lower.map((s) => byName.get(s.cluster)?.group ?? -1));
  if (move.raise.some((s) => (byName.get(s.cluster)?.group ?? Infinity) >= highestDonor))
    return 'the group order changed';
  if (move.lower.some((s) => count(i.base, s.cluster) < s.replicas))
    return 'the lower group no longer holds the replicas to move';
  if (i.budget.readyTimeoutMs > 0 && i.nowMs - move.startedAtMs > i.budget.readyTimeoutMs)
    return `the new replicas were not Ready within ${Math.round(i.budget.readyTimeoutMs / 1000)}s`;
  return '';
}

/**
 * What to do this reconcile: go on with, finish or abort the move in flight, or start the next
 * one when the budget, the readiness of the higher group and the timers allow it.
 */
export function decideRebalance(i: RebalanceInput): RebalanceDecision {
  const byName = new Map(i.clusters.map((c) => [c.name, c]));
  const keep = {
    ...(i.lastMoveMs !== undefined ? { lastMoveMs: i.lastMoveMs } : {}),
    ...(i.freeSinceMs !== undefined ? { freeSinceMs: i.freeSinceMs } : {}),
  };

  if (i.move) {
    const move = i.move;
    const why = abortReason(i, move, byName);
    if (why)
      return {
        step: 'aborted',
        counts: i.scheduled,
        lastMoveMs: i.nowMs,
        message: `move of ${total(move.raise)} replicas (${listText(move.raise)} up, ${listText(move.lower)} down) aborted: ${why}; the placement before it is kept`,
      };
    const surged = shifted(i.scheduled, move.raise, 1);
    const raisedReady = move.raise.every(
      (s) => (byName.get(s.cluster)?.readyReplicas ?? 0) >= count(surged, s.cluster),
    );
    const readyNow = readyAfter(surged, byName, []);
    const safe = readyAfter(surged, byName, move.lower) >= Math.min(i.replicas, readyNow);
    if (raisedReady && safe) {
      return {
        step: 'completed',
        counts: shifted(surged, move.lower, -1),
        lastMoveMs: i.nowMs,
        ...(i.freeSinceMs !== undefined ? { freeSinceMs: i.freeSinceMs } : {}),
        message: `moved ${total(move.raise)} replicas home: ${listText(move.raise)} Ready, ${listText(move.lower)} removed`,
        ...(i.budget.minIntervalMs > 0 ? { requeueMs: i.budget.minIntervalMs } : {}),
      };
    }
    return {
      step: 'moving',
      counts: surged,
      move,
      ...keep,
      message: `moving ${total(move.raise)} replicas home: waiting for ${listText(move.raise)} to be Ready before lowering ${listText(move.lower)}`,
      requeueMs: MOVING_RECHECK_MS,
    };
  }

  if (!i.automatic && i.manual === undefined)
    return { step: 'off', counts: i.scheduled, message: 'rebalance is not enabled' };
  const plan = planMove(i.scheduled, i.fresh, i.clusters, i.budget.maxReplicas);
  if (!plan)
    return {
      step: 'balanced',
      counts: i.scheduled,
      ...(i.lastMoveMs !== undefined ? { lastMoveMs: i.lastMoveMs } : {}),
      message: 'every group holds what a fresh schedule gives it',
    };
  const what = `${total(plan.raise)} replicas can move home (${listText(plan.lower)} to ${listText(plan.raise)})`;
  const waiting = (why: string, requeueMs?: number, freeSinceMs = i.freeSinceMs) => ({
    step: 'waiting' as const,
    counts: i.scheduled,
    ...(i.lastMoveMs !== undefined ? { lastMoveMs: i.lastMoveMs } : {}),
    ...(freeSinceMs !== undefined ? { freeSinceMs } : {}),
    message: `${what}; waiting: ${why}`,
    ...(requeueMs !== undefined ? { requeueMs } : {}),
  });
  // Let the ordinary change (a scale, a failover) land before moving anything on top of it.
  if (!sameCounts(i.scheduled, i.base)) return waiting('the placement is changing', 1000);
  const since = i.freeSinceMs ?? i.nowMs;
  if (i.manual === undefined && i.nowMs - since < i.budget.stabilizationMs)
    return waiting(
      'the higher group must keep its room for the stabilization window',
      since + i.budget.stabilizationMs - i.nowMs,
      since,
    );
  if (i.lastMoveMs !== undefined && i.nowMs - i.lastMoveMs < i.budget.minIntervalMs)
    return waiting(
      'the minimum interval since the last move',
      i.lastMoveMs + i.budget.minIntervalMs - i.nowMs,
      since,
    );
  // Never while the receiving group's replicas are not all Ready: they come first.
  const receiving = byName.get(plan.raise[0]?.cluster ?? '')?.group ?? -1;
  const unready = i.clusters.filter(
    (c) =>
      c.group === receiving &&
      count(i.scheduled, c.name) > 0 &&
      (!c.memberReady || c.readyReplicas < count(i.scheduled, c.name)),
  );
  if (unready.length > 0)
    return waiting(
      `replicas in ${unready.map((c) => c.name).join(', ')} are not all Ready`,
      MOVING_RECHECK_MS,
      since,
    );
  const move: Move = {
    raise: plan.raise,
    lower: plan.lower,
    startedAtMs: i.nowMs,
    trigger: i.manual ?? 'Automatic',
  };
  return {
    step: 'started',
    counts: shifted(i.scheduled, plan.raise, 1),
    move,
    ...(i.lastMoveMs !== undefined ? { lastMoveMs: i.lastMoveMs } : {}),
    freeSinceMs: since,
    message: `moving ${total(plan.raise)} replicas home: ${listText(plan.raise)} raised first; ${listText(plan.lower)} lowered once they are Ready`,
    requeueMs: MOVING_RECHECK_MS,
  };
}

/**
 * The scheduler's input for a fresh schedule: nothing placed yet, and each cluster's room what
 * it has free plus what this workload's Ready replicas occupy there (replicas not Ready may
 * occupy nothing yet, so they are not counted: at worst fewer replicas move).
 */
export function freshStates(states: readonly ClusterState[]): ClusterState[] {
  return states.map((s) => ({
    name: s.name,
    cur: 0,
    avail: s.avail + Math.min(s.cur, s.ready ?? s.cur),
    ...(s.canProvision !== undefined ? { canProvision: s.canProvision } : {}),
    ...(s.failed !== undefined ? { failed: s.failed } : {}),
    ...(s.notReady !== undefined ? { notReady: s.notReady } : {}),
    ...(s.notReadySeconds !== undefined ? { notReadySeconds: s.notReadySeconds } : {}),
  }));
}
