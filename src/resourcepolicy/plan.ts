/**
 * One pass over one policy, as a list of actions (no I/O): time out pods that waited too long,
 * decide each gated pod in creation order against counts that include every earlier decision of
 * the pass (so two pods never take the last place of a unit), and keep deletion costs in step
 * with the unit each pod counts in. The controller runs one pass per policy at a time.
 */
import {
  chooseUnit,
  type AssignReason,
  type Decision,
  type HoldReason,
  type UnitRoom,
} from './choose.js';
import { addToTally, podRequests, tallyUnits, type UnitTally } from './counting.js';
import { DELETION_COST, GATE } from './constants.js';
import { deletionCost } from './deletion-cost.js';
import { unitOf } from './membership.js';
import { assignmentPatch, type PodPatch } from './patch.js';
import type { Policy, Unit } from './spec.js';
import { timeoutVerdict } from './timeout.js';
import { REFUSAL_MAX_MS, refusalHolds, stuckVerdict, type Refusal } from './stuck.js';
import {
  controllerUid,
  hasGate,
  isTerminal,
  isTerminating,
  timeMs,
  type NodeLabelsOf,
  type PolicyPod,
} from './types.js';

export interface PlanInput {
  readonly policy: Policy;
  /** The pods this policy selects (it won every conflict for them), in any state. */
  readonly pods: readonly PolicyPod[];
  readonly nodeLabels: NodeLabelsOf;
  /** Capacity of a unit's nodes for a pod (from the estimator). */
  readonly room: (unit: Unit, pod: PolicyPod) => UnitRoom;
  readonly nowMs: number;
  /** Per unit: waiting there is suspended until this time (ms), after a timeout. */
  readonly waitSuspendedUntil: readonly (number | undefined)[];
  /** Units that lately refused pods of an owner (from earlier passes). */
  readonly refusals?: readonly Refusal[];
  /** Nodes in a unit now (a refusal ends when that changes). */
  readonly unitNodeCount?: (unit: Unit) => number;
  /**
   * Pods the webhook admitted straight into a unit that the watch has not shown yet: counted
   * in their unit. One of them may be a create that failed, so a gated pod whose decision
   * they change waits (no decision, no Event), and the pods after it with it, oldest first:
   * its place must not go to a later pod. They are seen, or their reservation expires, within
   * moments. A gated pod whose decision is the same with and without them is decided.
   */
  readonly reserved?: readonly PolicyPod[];
}

export type Action =
  | {
      readonly kind: 'assign';
      readonly pod: PolicyPod;
      readonly unit: number;
      readonly reason: AssignReason;
      readonly message: string;
      readonly patch: PodPatch;
    }
  | {
      readonly kind: 'hold';
      readonly pod: PolicyPod;
      readonly reason: HoldReason;
      readonly message: string;
    }
  | {
      readonly kind: 'timeout';
      readonly pod: PolicyPod;
      readonly unit: number;
      readonly message: string;
    }
  | {
      /** kube-scheduler cannot place the pod in its unit: recreate it for the unit choice. */
      readonly kind: 'move';
      readonly pod: PolicyPod;
      readonly unit: number;
      readonly message: string;
    }
  | { readonly kind: 'deletionCost'; readonly pod: PolicyPod; readonly cost: string };

export interface Plan {
  readonly actions: Action[];
  /** Counts after the pass, as if every action had taken effect. */
  readonly tallies: UnitTally[];
  readonly waitSuspendedUntil: (number | undefined)[];
  /** Refusals that still hold, and the ones this pass learned. */
  readonly refusals: Refusal[];
  /** Pods still behind the gate after the pass. */
  readonly gated: number;
  /**
   * Placed pods outside every unit: bound to a node no unit contains, or released without a
   * unit (created while the controller was down, or while no valid policy selected them).
   */
  readonly outsideUnits: number;
  /** Earliest time a waiting pod times out, to look again then. */
  readonly nextCheckMs?: number;
}

function byCreation(a: PolicyPod, b: PolicyPod): number {
  const ta = timeMs(a.metadata?.creationTimestamp);
  const tb = timeMs(b.metadata?.creationTimestamp);
  if (ta !== tb && !Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The pod as it will be once the assignment patch applied: what later decisions count. */
function applied(pod: PolicyPod, patch: PodPatch): PolicyPod {
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      labels: { ...(pod.metadata?.labels ?? {}), ...(patch.metadata.labels ?? {}) },
      annotations: { ...(pod.metadata?.annotations ?? {}), ...patch.metadata.annotations },
    },
    spec: { ...pod.spec, ...(patch.spec ?? {}) },
  };
}

function sameDecision(a: Decision, b: Decision): boolean {
  if (a.kind === 'assign' && b.kind === 'assign') return a.unit === b.unit && a.reason === b.reason;
  return a.kind === 'hold' && b.kind === 'hold' && a.reason === b.reason;
}

export function planPolicy(input: PlanInput): Plan {
  const { policy, nodeLabels, nowMs } = input;
  const actions: Action[] = [];
  const suspended = policy.units.map((_, i) => {
    const until = input.waitSuspendedUntil[i];
    return until !== undefined && until > nowMs ? until : undefined;
  });
  let nextCheckMs: number | undefined;
  const later = (t: number) =>
    (nextCheckMs = nextCheckMs === undefined ? t : Math.min(nextCheckMs, t));

  // 1. Timeouts and pods kube-scheduler cannot place first: a deleted pod frees its place for
  // the pods decided below.
  const live: PolicyPod[] = [];
  const stuck: { pod: PolicyPod; unit: number }[] = [];
  for (const pod of input.pods) {
    const v = timeoutVerdict(policy, pod, nowMs);
    if (v.kind === 'delete') {
      const until = nowMs + policy.timeoutMs;
      suspended[v.unit] = Math.max(suspended[v.unit] ?? 0, until);
      actions.push({
        kind: 'timeout',
        pod,
        unit: v.unit,
        message: `waited ${Math.round(v.waitedMs / 1000)}s in unit ${v.unit} without a node; deleted so that its owner recreates it for the next unit`,
      });
      continue;
    }
    if (v.kind === 'pending') later(v.dueMs);
    const s = stuckVerdict(policy, pod);
    if (s.kind === 'move') {
      stuck.push({ pod, unit: s.unit });
      actions.push({
        kind: 'move',
        pod,
        unit: s.unit,
        message: `kube-scheduler cannot place it in unit ${s.unit}; deleted so that its owner recreates it and the new pod is sent on`,
      });
      continue;
    }
    if (s.kind === 'keep')
      actions.push({
        kind: 'hold',
        pod,
        reason: 'UnschedulableInUnit',
        message: `kube-scheduler cannot place it in unit ${s.unit}; it stays there because ${s.why}`,
      });
    live.push(pod);
  }
  for (const until of suspended) if (until !== undefined) later(until);

  // 2. Gated pods, oldest first, each against counts that include the decisions before it.
  const tallies = tallyUnits(policy, live, nodeLabels);
  const reserved = input.reserved ?? [];
  // The same counts without the held places: where a decision differs, a held place decides.
  const bare = reserved.length > 0 ? tallyUnits(policy, live, nodeLabels) : undefined;
  for (const r of reserved) {
    const unit = unitOf(policy, r, nodeLabels);
    const tally = unit === undefined ? undefined : tallies[unit];
    if (tally) addToTally(policy, tally, r);
  }
  const gated = live
    .filter((p) => hasGate(p, GATE) && !isTerminal(p) && !isTerminating(p))
    .sort(byCreation);
  const waitSuspended = suspended.map((u) => u !== undefined);

  // Refusals: units kube-scheduler could not place pods of an owner in.
  const ownerPods = new Map<string, number>();
  for (const pod of live) {
    const owner = controllerUid(pod);
    if (!owner || !pod.spec?.nodeName || isTerminal(pod) || isTerminating(pod)) continue;
    const unit = unitOf(policy, pod, nodeLabels);
    if (unit === undefined) continue;
    const key = `${unit}/${owner}`;
    ownerPods.set(key, (ownerPods.get(key) ?? 0) + 1);
  }
  const nodesIn = (i: number): number => {
    const unit = policy.units[i];
    return unit && input.unitNodeCount ? input.unitNodeCount(unit) : 0;
  };
  const refusals = new Map<string, Refusal>();
  for (const r of input.refusals ?? []) {
    if (r.unit >= policy.units.length) continue;
    const key = `${r.unit}/${r.owner}`;
    if (refusalHolds(r, nowMs, ownerPods.get(key) ?? 0, nodesIn(r.unit))) refusals.set(key, r);
  }
  for (const { pod, unit } of stuck) {
    const owner = controllerUid(pod);
    if (!owner) continue;
    const key = `${unit}/${owner}`;
    refusals.set(key, {
      unit,
      owner,
      untilMs: nowMs + Math.min(policy.timeoutMs, REFUSAL_MAX_MS),
      ownerPodsInUnit: ownerPods.get(key) ?? 0,
      unitNodes: nodesIn(unit),
    });
  }
  const nowIso = new Date(nowMs).toISOString();
  let stillGated = 0;
  const decided = new Set<PolicyPod>();
  let heldBack = false;
  for (const pod of gated) {
    if (heldBack) {
      stillGated++;
      continue;
    }
    const choose = (counts: readonly UnitTally[]) =>
      chooseUnit({
        policy,
        pod,
        requests: podRequests(pod),
        tallies: counts,
        room: (unit) => {
          const owner = controllerUid(pod);
          if (owner && refusals.has(`${unit.index}/${owner}`))
            return { fits: 0, lowerPriorityPods: 0, refused: true };
          return input.room(unit, pod);
        },
        waitSuspended,
      });
    const decision = choose(tallies);
    if (bare && !sameDecision(decision, choose(bare))) {
      heldBack = true;
      stillGated++;
      continue;
    }
    if (decision.kind === 'hold') {
      stillGated++;
      actions.push({ kind: 'hold', pod, reason: decision.reason, message: decision.message });
      continue;
    }
    const unit = policy.units[decision.unit];
    const tally = tallies[decision.unit];
    if (!unit || !tally) continue;
    const patch = assignmentPatch(pod, {
      policy,
      unit,
      nowIso,
      waiting: decision.reason === 'WaitForCapacity',
    });
    addToTally(policy, tally, applied(pod, patch));
    const bareTally = bare?.[decision.unit];
    if (bareTally) addToTally(policy, bareTally, applied(pod, patch));
    decided.add(pod);
    if (decision.reason === 'WaitForCapacity') later(nowMs + policy.timeoutMs);
    actions.push({
      kind: 'assign',
      pod,
      unit: decision.unit,
      reason: decision.reason,
      message: decision.message,
      patch,
    });
  }

  // 3. Deletion costs of placed pods follow the unit they count in.
  let outsideUnits = 0;
  for (const pod of live) {
    if (decided.has(pod) || hasGate(pod, GATE) || isTerminal(pod) || isTerminating(pod)) continue;
    const unit = unitOf(policy, pod, nodeLabels);
    if (unit === undefined) {
      outsideUnits++;
      continue;
    }
    const cost = deletionCost(unit, policy.units.length);
    if (pod.metadata?.annotations?.[DELETION_COST] !== cost)
      actions.push({ kind: 'deletionCost', pod, cost });
  }
  return {
    actions,
    tallies,
    waitSuspendedUntil: suspended,
    refusals: [...refusals.values()],
    gated: stillGated,
    outsideUnits,
    ...(nextCheckMs !== undefined ? { nextCheckMs } : {}),
  };
}
