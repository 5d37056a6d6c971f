/**
 * Rebalance and the ResourceBinding (pure): reading the move in flight and the budget's timers
 * from `spec.rebalancing`, writing them back, the manual request the binding serves, the
 * scheduler result with the move applied, and the Rebalancing condition and Event of a step.
 */
import type { ConditionInput } from '../api/conditions.js';
import {
  ResourceBindingConditionReasons as R,
  ResourceBindingConditionTypes,
  type ManualRebalanceState,
  type RebalanceState,
} from '../api/fleet.js';
import { POLICY_DEFAULTS, type RebalanceBehavior } from '../api/policy.js';
import type { ClusterGroup, ClusterResult, ScheduleResult } from '../scheduler/index.js';
import type { EventSpec } from './binding-status.js';
import { TemplateEventReasons } from './binding-status.js';
import type { Move, RebalanceBudget, RebalanceDecision } from './rebalance.js';

/**
 * Set on a ResourceBinding by the WorkloadRebalancer controller: `<rebalancer name>/<uid>`. The
 * binding serves each value once and records the outcome in `spec.rebalancing.manual`.
 */
export const REBALANCE_REQUEST_ANNOTATION = 'fleet.spillway.dev/rebalance-request';

const ms = (t: string | undefined): number | undefined => {
  if (t === undefined) return undefined;
  const v = Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
};
const iso = (v: number): string => new Date(v).toISOString();

export interface StoredRebalance {
  move?: Move;
  lastMoveMs?: number;
  freeSinceMs?: number;
  manual?: ManualRebalanceState;
}

/** The state a binding carries (unknown or half-written fields read as absent). */
export function storedRebalance(s: RebalanceState | undefined): StoredRebalance {
  const out: StoredRebalance = {};
  const started = ms(s?.move?.startedAt);
  if (s?.move && started !== undefined && s.move.raise.length > 0 && s.move.lower.length > 0)
    out.move = {
      raise: s.move.raise.map((x) => ({ cluster: x.name, replicas: x.replicas })),
      lower: s.move.lower.map((x) => ({ cluster: x.name, replicas: x.replicas })),
      startedAtMs: started,
      trigger: s.move.trigger,
    };
  const last = ms(s?.lastMoveTime);
  if (last !== undefined) out.lastMoveMs = last;
  const since = ms(s?.capacityFreeSince);
  if (since !== undefined) out.freeSinceMs = since;
  if (s?.manual) out.manual = s.manual;
  return out;
}

/**
 * The manual request to serve now: a new annotation value starts one; a request still Running
 * goes on. Returns the state to keep and the request being served (undefined: none).
 */
export function manualRequest(
  annotation: string | undefined,
  stored: ManualRebalanceState | undefined,
): { manual?: ManualRebalanceState; serving?: string } {
  if (annotation && annotation !== stored?.request)
    return { manual: { request: annotation, phase: 'Running' }, serving: annotation };
  if (stored?.phase === 'Running') return { manual: stored, serving: stored.request };
  return stored ? { manual: stored } : {};
}

/** The manual request's state after this reconcile's decision. */
export function manualAfter(
  manual: ManualRebalanceState | undefined,
  d: RebalanceDecision,
): ManualRebalanceState | undefined {
  if (manual?.phase !== 'Running') return manual;
  if (d.step === 'balanced')
    return { request: manual.request, phase: 'Succeeded', message: d.message };
  if (d.step === 'aborted') return { request: manual.request, phase: 'Failed', message: d.message };
  return manual;
}

/** What the binding keeps: absent fields are dropped, nothing at all is undefined. */
export function rebalanceStateOf(
  d: RebalanceDecision,
  manual: ManualRebalanceState | undefined,
): RebalanceState | undefined {
  const s: RebalanceState = {};
  if (d.move)
    s.move = {
      raise: d.move.raise.map((x) => ({ name: x.cluster, replicas: x.replicas })),
      lower: d.move.lower.map((x) => ({ name: x.cluster, replicas: x.replicas })),
      startedAt: iso(d.move.startedAtMs),
      trigger: d.move.trigger,
    };
  if (d.lastMoveMs !== undefined) s.lastMoveTime = iso(d.lastMoveMs);
  if (d.freeSinceMs !== undefined) s.capacityFreeSince = iso(d.freeSinceMs);
  if (manual) s.manual = manual;
  return Object.keys(s).length > 0 ? s : undefined;
}

/** The policy's budget with its defaults; the ready timeout is the policy's spill-over timeout. */
export function budgetOf(
  r: RebalanceBehavior | undefined,
  spilloverAfterSeconds: number,
): RebalanceBudget {
  return {
    maxReplicas: Math.max(1, r?.budget?.maxReplicas ?? POLICY_DEFAULTS.rebalanceMaxReplicas),
    minIntervalMs:
      (r?.budget?.minIntervalSeconds ?? POLICY_DEFAULTS.rebalanceMinIntervalSeconds) * 1000,
    stabilizationMs:
      (r?.stabilizationWindowSeconds ?? POLICY_DEFAULTS.rebalanceStabilizationWindowSeconds) * 1000,
    readyTimeoutMs: spilloverAfterSeconds * 1000,
  };
}

/** Counts per cluster of a scheduler result. */
export function countsOf(result: ScheduleResult): Map<string, number> {
  return new Map(result.clusters.map((c) => [c.cluster, c.replicas]));
}

/**
 * The scheduler's result with the decision's counts: each changed cluster's reason says what
 * the move did. Clusters keep group order, then name, as the scheduler gives them.
 */
export function withRebalance(
  result: ScheduleResult,
  d: RebalanceDecision,
  groups: readonly ClusterGroup[],
): ScheduleResult {
  // Nothing moved (rebalance off, balanced, waiting): the scheduler's result as it is.
  if (
    result.clusters.every((c) => (d.counts.get(c.cluster) ?? 0) === c.replicas) &&
    [...d.counts].every(([c, n]) => n === 0 || result.clusters.some((r) => r.cluster === c))
  )
    return result;
  const groupOf = new Map<string, { name: string; index: number }>();
  groups.forEach((g, index) => {
    for (const c of g.clusters) if (!groupOf.has(c)) groupOf.set(c, { name: g.name, index });
  });
  const byName = new Map(result.clusters.map((c) => [c.cluster, c]));
  const names = new Set([
    ...byName.keys(),
    ...[...d.counts].filter(([, n]) => n > 0).map(([c]) => c),
  ]);
  const clusters: ClusterResult[] = [];
  for (const name of names) {
    const old = byName.get(name);
    const replicas = d.counts.get(name) ?? 0;
    const before = old?.replicas ?? 0;
    if (replicas === before && old) {
      clusters.push(old);
      continue;
    }
    const g = groupOf.get(name);
    const note = `rebalance: ${replicas > before ? '+' : ''}${replicas - before} (${d.step === 'completed' ? 'moved home' : 'moving home'})`;
    const reason = old?.reason ? `${old.reason}; ${note}` : g ? `group ${g.name}: ${note}` : note;
    clusters.push({
      cluster: name,
      ...(g ? { group: g.name } : {}),
      replicas,
      waiting: Math.min(old?.waiting ?? 0, replicas),
      reason,
    });
  }
  const rank = (c: ClusterResult) => groupOf.get(c.cluster)?.index ?? Infinity;
  clusters.sort((a, b) => rank(a) - rank(b) || (a.cluster < b.cluster ? -1 : 1));
  return { ...result, clusters };
}

/** The Rebalancing condition for a decision (none when rebalance is off). */
export function rebalancingCondition(d: RebalanceDecision): ConditionInput | undefined {
  const type = ResourceBindingConditionTypes.Rebalancing;
  const Rb = R.Rebalancing;
  switch (d.step) {
    case 'off':
      return undefined;
    case 'started':
    case 'moving':
    case 'completed':
      return { type, status: 'True', reason: Rb.MovingHome, message: d.message };
    case 'aborted':
      return { type, status: 'False', reason: Rb.MoveAborted, message: d.message };
    case 'waiting':
      return { type, status: 'False', reason: Rb.Waiting, message: d.message };
    case 'balanced':
      return { type, status: 'False', reason: Rb.Balanced, message: d.message };
  }
}

/** The Event of a move step on the hub template (none while a move waits or goes on). */
export function rebalanceEvent(d: RebalanceDecision): EventSpec | undefined {
  const E = TemplateEventReasons;
  if (d.step === 'started')
    return { type: 'Normal', reason: E.RebalanceStarted, message: d.message };
  if (d.step === 'completed')
    return { type: 'Normal', reason: E.RebalanceCompleted, message: d.message };
  if (d.step === 'aborted')
    return { type: 'Warning', reason: E.RebalanceAborted, message: d.message };
  return undefined;
}
