/**
 * The status a policy reports (pure): per unit what it holds, a one-line summary for kubectl,
 * the pods still gated, and conditions (Ready, Warnings, Conflict) that keep their
 * lastTransitionTime while their status does not change.
 */
import { setStatusConditions, type ConditionInput } from '../api/conditions.js';
import type { Condition } from '../api/meta.js';
import type {
  ResourcePolicyStatus,
  ResourcePolicyUnit,
  UnitGroupStatus,
  UnitStatus,
} from '../api/resourcepolicy.js';
import type { Amounts, UnitTally } from './counting.js';
import { stableJson } from '../util/stable-json.js';
import { quantityText } from './quantity-text.js';
import type { Unit } from './spec.js';

export type { ConditionInput };

/**
 * Exactly the conditions of `next` (one that is no longer reported goes), set with the shared
 * helper: in place, lastTransitionTime carried over while the status is unchanged.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number,
  nowIso: string,
): Condition[] {
  const types = new Set(next.map((c) => c.type));
  return setStatusConditions(
    (previous ?? []).filter((c) => types.has(c.type)),
    next.map((c) => ({ ...c, observedGeneration: generation })),
    new Date(nowIso),
  );
}

function resourceText(amounts: Amounts): Record<string, string> {
  return Object.fromEntries(
    [...amounts]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, milli]) => [name, quantityText(name, milli)]),
  );
}

/** A matchLabelKeys group key (JSON of the values) as label key -> value. */
function groupLabels(keys: readonly string[], group: string): Record<string, string> {
  let values: unknown;
  try {
    values = JSON.parse(group);
  } catch {
    values = [];
  }
  const list = Array.isArray(values) ? values : [];
  return Object.fromEntries(keys.map((k, i) => [k, String(list[i] ?? '')]));
}

export interface StatusPolicy {
  readonly units: readonly Unit[];
  readonly matchLabelKeys: readonly string[];
}

export function unitStatuses(
  policy: StatusPolicy,
  tallies: readonly UnitTally[],
  suspendedUntil: readonly (number | undefined)[],
  specUnits: readonly ResourcePolicyUnit[] = [],
): UnitStatus[] {
  return policy.units.map((u, i) => {
    const t = tallies[i];
    const s: UnitStatus = { index: i, resource: u.resource, pods: t?.pods ?? 0 };
    if (t?.unbound) s.waitingPods = t.unbound;
    if (t?.terminating) s.terminatingPods = t.terminating;
    if (u.max !== undefined) s.max = u.max;
    // The limits as the user wrote them in spec (verbatim), next to what is used.
    const written = specUnits[i]?.maxResources;
    if (written && Object.keys(written).length > 0)
      s.maxResources = Object.fromEntries(Object.entries(written).map(([k, v]) => [k, String(v)]));
    if (t && t.resources.size > 0) s.resources = resourceText(t.resources);
    if (policy.matchLabelKeys.length > 0 && t && t.byGroup.size > 0) {
      s.groups = [...t.byGroup]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([group, pods]) => {
          const g: UnitGroupStatus = { labels: groupLabels(policy.matchLabelKeys, group), pods };
          const used = t.resourcesByGroup.get(group);
          if (used && used.size > 0) g.resources = resourceText(used);
          return g;
        });
      s.largestGroupPods = Math.max(...t.byGroup.values());
    }
    const until = suspendedUntil[i];
    if (until !== undefined)
      s.waitSuspendedUntil = new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return s;
  });
}

/**
 * "2/2,1,0": pods per unit, with /max where a unit has one. With matchLabelKeys, max applies
 * per group, so each unit shows its largest group and the summary says so; pods of the policy
 * outside every unit are added at the end.
 */
export function summary(
  statuses: readonly UnitStatus[],
  matchLabelKeys: readonly string[] = [],
  outsideUnits = 0,
): string {
  const perGroup = matchLabelKeys.length > 0;
  const counts = statuses
    .map((s) => {
      const n = perGroup ? (s.largestGroupPods ?? 0) : s.pods;
      return s.max !== undefined ? `${n}/${s.max}` : `${n}`;
    })
    .join(',');
  const parts = [perGroup ? `${counts} per ${matchLabelKeys.join('+')}` : counts];
  if (outsideUnits > 0) parts.push(`${outsideUnits} outside units`);
  return parts.join(', ').slice(0, 256);
}

export function buildStatus(args: {
  previous: ResourcePolicyStatus | undefined;
  generation: number;
  policy: StatusPolicy;
  specUnits?: readonly ResourcePolicyUnit[];
  tallies: readonly UnitTally[];
  suspendedUntil: readonly (number | undefined)[];
  gated: number;
  outsideUnits?: number;
  conditions: readonly ConditionInput[];
  nowIso: string;
}): ResourcePolicyStatus {
  const units = unitStatuses(args.policy, args.tallies, args.suspendedUntil, args.specUnits);
  const outside = args.outsideUnits ?? 0;
  return {
    observedGeneration: args.generation,
    gatedPods: args.gated,
    ...(outside > 0 ? { podsOutsideUnits: outside } : {}),
    summary: summary(units, args.policy.matchLabelKeys, outside),
    units,
    conditions: mergeConditions(
      args.previous?.conditions,
      args.conditions,
      args.generation,
      args.nowIso,
    ),
  };
}

/**
 * Whether writing `next` would change anything but timestamps: skips no-op status writes. The
 * stored status comes back from the API server with its keys sorted, hence the stable text.
 */
export function statusChanged(
  prev: ResourcePolicyStatus | undefined,
  next: ResourcePolicyStatus,
): boolean {
  const strip = (s: ResourcePolicyStatus | undefined) =>
    stableJson({
      ...s,
      conditions: s?.conditions?.map((c) => ({ ...c, lastTransitionTime: '' })),
    });
  return strip(prev) !== strip(next);
}

/**
 * The merge patch that writes `next`. A merge patch keeps the members it does not name, so a
 * top-level member `next` leaves out (podsOutsideUnits back to zero) is removed with null;
 * lists (units, conditions) are replaced whole.
 */
export function statusPatch(
  prev: ResourcePolicyStatus | undefined,
  next: ResourcePolicyStatus,
): { status: Record<string, unknown> } {
  const status: Record<string, unknown> = { ...next };
  for (const key of Object.keys(prev ?? {})) if (!(key in next)) status[key] = null;
  return { status };
}
