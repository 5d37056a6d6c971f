/**
 * Unit counts for max and maxResources: per unit, the policy's pods counted there, per
 * matchLabelKeys group, with ignorePreviousPod and ignoreTerminatingPod applied; plus what the
 * decisions need besides (pods sent to a unit and not yet bound, terminating pods).
 */
import { effectiveRequests } from '../estimator/requests.js';
import { unitOf } from './membership.js';
import type { Policy } from './spec.js';
import { isTerminal, isTerminating, timeMs, type NodeLabelsOf, type PolicyPod } from './types.js';

export type Amounts = Map<string, bigint>;

export interface UnitTally {
  /** Counted pods, all groups together. */
  pods: number;
  byGroup: Map<string, number>;
  resourcesByGroup: Map<string, Amounts>;
  /** Summed requests of the counted pods, all groups. */
  resources: Amounts;
  /** Non-terminating pods in the unit that no node has taken yet (they hold capacity). */
  unbound: number;
  /** The policy's pods in the unit that are terminating, counted or not. */
  terminating: number;
}

/** Sentinel group of a pod missing one of matchLabelKeys: never scheduled, never counted. */
export const MISSING_GROUP = undefined;

/** The pod's group: the values of matchLabelKeys, or '' without them; undefined if one lacks. */
export function groupKey(
  policy: Policy,
  labels: { readonly [key: string]: string } | undefined,
): string | undefined {
  const values: string[] = [];
  for (const key of policy.matchLabelKeys) {
    const v = labels?.[key];
    if (v === undefined) return MISSING_GROUP;
    values.push(v);
  }
  return JSON.stringify(values);
}

/** Requests per pod spec object: counting runs on every pass and admission, parsing is costly. */
const requestsOf = new WeakMap<object, ReadonlyMap<string, bigint>>();

/** The pod's effective requests in exact milli-units (the Kubernetes rule). Do not modify. */
export function podRequests(pod: PolicyPod): ReadonlyMap<string, bigint> {
  const spec = pod.spec;
  if (!spec) return effectiveRequests(spec);
  let req = requestsOf.get(spec);
  if (!req) requestsOf.set(spec, (req = effectiveRequests(spec)));
  return req;
}

export function addAmounts(into: Amounts, add: ReadonlyMap<string, bigint>): void {
  for (const [k, v] of add) into.set(k, (into.get(k) ?? 0n) + v);
}

export function emptyTally(): UnitTally {
  return {
    pods: 0,
    byGroup: new Map(),
    resourcesByGroup: new Map(),
    resources: new Map(),
    unbound: 0,
    terminating: 0,
  };
}

/** Whether the pod is counted against max under the policy's ignore rules. */
export function isCounted(policy: Policy, pod: PolicyPod): boolean {
  if (isTerminal(pod)) return false;
  if (policy.ignoreTerminatingPod && isTerminating(pod)) return false;
  if (policy.ignorePreviousPod) {
    const created = timeMs(pod.metadata?.creationTimestamp);
    if (!Number.isNaN(created) && !Number.isNaN(policy.createdMs) && created < policy.createdMs)
      return false;
  }
  return true;
}

/** Adds one pod, already known to be in `tally`'s unit, to it. */
export function addToTally(policy: Policy, tally: UnitTally, pod: PolicyPod): void {
  if (isTerminal(pod)) return;
  const terminating = isTerminating(pod);
  if (terminating) tally.terminating++;
  else if (!pod.spec?.nodeName) tally.unbound++;
  if (!isCounted(policy, pod)) return;
  const group = groupKey(policy, pod.metadata?.labels);
  if (group === MISSING_GROUP) return;
  const req = podRequests(pod);
  tally.pods++;
  tally.byGroup.set(group, (tally.byGroup.get(group) ?? 0) + 1);
  addAmounts(tally.resources, req);
  let g = tally.resourcesByGroup.get(group);
  if (!g) tally.resourcesByGroup.set(group, (g = new Map()));
  addAmounts(g, req);
}

/** One tally per unit, in unit order, over the pods the policy selects. */
export function tallyUnits(
  policy: Policy,
  pods: Iterable<PolicyPod>,
  nodeLabels: NodeLabelsOf,
): UnitTally[] {
  const tallies = policy.units.map(() => emptyTally());
  for (const pod of pods) {
    const unit = unitOf(policy, pod, nodeLabels);
    const tally = unit === undefined ? undefined : tallies[unit];
    if (tally) addToTally(policy, tally, pod);
  }
  return tallies;
}
