/**
 * The status a policy reports (pure): per unit what it holds, a one-line summary for kubectl,
 * the pods still gated, and conditions (Ready, Warnings, Conflict) that keep their
 * lastTransitionTime while their status does not change.
 */
import type { Condition, ConditionStatus } from '../api/meta.js';
import type { ResourcePolicyStatus, UnitStatus } from '../api/resourcepolicy.js';
import { formatQuantity, toUnits } from '../estimator/resources.js';
import type { UnitTally } from './counting.js';
import type { Unit } from './spec.js';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** New conditions, carrying over lastTransitionTime when the status is unchanged. */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number,
  nowIso: string,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return {
      ...c,
      observedGeneration: generation,
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : nowIso,
    };
  });
}

export function unitStatuses(
  units: readonly Unit[],
  tallies: readonly UnitTally[],
  suspendedUntil: readonly (number | undefined)[],
): UnitStatus[] {
  return units.map((u, i) => {
    const t = tallies[i];
    const s: UnitStatus = { index: i, resource: u.resource, pods: t?.pods ?? 0 };
    if (t?.unbound) s.waitingPods = t.unbound;
    if (t?.terminating) s.terminatingPods = t.terminating;
    if (u.max !== undefined) s.max = u.max;
    if (t && t.resources.size > 0) {
      s.resources = Object.fromEntries(
        [...t.resources]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, milli]) => [name, formatQuantity(name, toUnits(name, milli))]),
      );
    }
    const until = suspendedUntil[i];
    if (until !== undefined)
      s.waitSuspendedUntil = new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return s;
  });
}

/** "2/2,1,0": pods per unit, with /max where a unit has one. */
export function summary(statuses: readonly UnitStatus[]): string {
  return statuses.map((s) => (s.max !== undefined ? `${s.pods}/${s.max}` : `${s.pods}`)).join(',');
}

export function buildStatus(args: {
  previous: ResourcePolicyStatus | undefined;
  generation: number;
  units: readonly Unit[];
  tallies: readonly UnitTally[];
  suspendedUntil: readonly (number | undefined)[];
  gated: number;
  conditions: readonly ConditionInput[];
  nowIso: string;
}): ResourcePolicyStatus {
  const units = unitStatuses(args.units, args.tallies, args.suspendedUntil);
  return {
    observedGeneration: args.generation,
    gatedPods: args.gated,
    summary: summary(units),
    units,
    conditions: mergeConditions(
      args.previous?.conditions,
      args.conditions,
      args.generation,
      args.nowIso,
    ),
  };
}

/** Whether writing `next` would change anything but timestamps: skips no-op status writes. */
export function statusChanged(
  prev: ResourcePolicyStatus | undefined,
  next: ResourcePolicyStatus,
): boolean {
  const strip = (s: ResourcePolicyStatus | undefined) =>
    JSON.stringify({
      ...s,
      conditions: s?.conditions?.map((c) => ({ ...c, lastTransitionTime: '' })),
    });
  return strip(prev) !== strip(next);
}
