/**
 * The unit a gated pod goes to, walking the units in order (DESIGN 2, the seed's
 * whenTryNextUnits table):
 *
 * - a unit at max, or whose maxResources the pod would exceed, is passed over (ExceedMax);
 * - a unit whose nodes have room for the pod takes it;
 * - a unit without room keeps the pod waiting there for nodes when the policy allows it
 *   (ExceedMax and TimeoutOrExceedMax with max or maxResources set, or a wait-for-scaling
 *   unit), or passes it on; under LackResourceAndNoTerminating a unit at max or without
 *   room holds the pod behind the gate while the policy's pods in it terminate;
 * - with BeforeNextUnit, a unit without room where lower-priority pods run takes the pod so
 *   that kube-scheduler's preemption frees room there; with AfterAllUnits the first such unit
 *   does, once every unit was tried;
 * - a unit whose nodes the pod's own nodeSelector, affinity or tolerations all exclude is
 *   passed over, and when that is so of every unit the pod is told exactly that.
 *
 * When no unit takes the pod it keeps its gate and is decided again on the next change.
 */
import type { UnitTally } from './counting.js';
import { groupKey, MISSING_GROUP } from './counting.js';
import type { Policy, Unit } from './spec.js';
import type { PolicyPod } from './types.js';

export interface UnitRoom {
  /** How many more pods of this pod's shape the unit's nodes take (bound pods only). */
  readonly fits: number;
  /** Bound pods on the unit's nodes with a lower priority than this pod (preemption victims). */
  readonly lowerPriorityPods: number;
  /** The unit has nodes, but the pod's own constraints exclude every one of them. */
  readonly excludedByPod?: boolean;
  /** kube-scheduler lately could not place a pod of the same owner in the unit. */
  readonly refused?: boolean;
}

export type AssignReason = 'HasRoom' | 'WaitForCapacity' | 'Preempt';
export type HoldReason =
  | 'MissingMatchLabelKey'
  | 'WaitingForTerminatingPods'
  | 'AllUnitsAtMax'
  | 'NoUnitHasRoom'
  | 'PodConstraintsExcludeUnits'
  | 'UnschedulableInUnit';

export type Decision =
  | {
      readonly kind: 'assign';
      readonly unit: number;
      readonly reason: AssignReason;
      readonly message: string;
    }
  | { readonly kind: 'hold'; readonly reason: HoldReason; readonly message: string };

export interface ChooseInput {
  readonly policy: Policy;
  readonly pod: PolicyPod;
  readonly requests: ReadonlyMap<string, bigint>;
  readonly tallies: readonly UnitTally[];
  /** Capacity of each unit's nodes for this pod. */
  readonly room: (unit: Unit) => UnitRoom;
  /** Per unit: true while pods must not wait there (a pod timed out there recently). */
  readonly waitSuspended: readonly boolean[];
}

/** Why the unit turns the pod away before capacity is looked at, if it does. */
export function limitReached(
  unit: Unit,
  tally: UnitTally | undefined,
  group: string,
  requests: ReadonlyMap<string, bigint>,
): string | undefined {
  const count = tally?.byGroup.get(group) ?? 0;
  if (unit.max !== undefined && count >= unit.max) return `at max (${count}/${unit.max})`;
  if (unit.maxResources) {
    const used = tally?.resourcesByGroup.get(group);
    for (const [name, limit] of unit.maxResources) {
      if ((used?.get(name) ?? 0n) + (requests.get(name) ?? 0n) > limit)
        return `maxResources ${name} would be exceeded`;
    }
  }
  return undefined;
}

/** A pod's own nodeSelector fixing a label the unit needs to another value rules the unit out. */
export function selectorConflict(unit: Unit, pod: PolicyPod): string | undefined {
  const own = pod.spec?.nodeSelector ?? {};
  for (const [k, v] of Object.entries(unit.nodeSelector)) {
    if (own[k] !== undefined && own[k] !== v) return k;
  }
  return undefined;
}

/** Whether pods may wait in a unit that has no room (for nodes to be added). */
export function mayWait(policy: Policy, unit: Unit): boolean {
  switch (policy.tryNext) {
    case 'ExceedMax':
    case 'TimeoutOrExceedMax':
      return unit.max !== undefined || unit.maxResources !== undefined || unit.waitForScaling;
    default:
      return unit.waitForScaling;
  }
}

/** Whether a wait in the unit ends after policy.timeoutMs (ExceedMax waits without limit). */
export function waitIsTimed(policy: Policy): boolean {
  return policy.tryNext !== 'ExceedMax';
}

/** LackResourceAndNoTerminating: a full unit still holds the pod while its pods terminate. */
function holdsForTerminating(policy: Policy, tally: UnitTally | undefined): boolean {
  return policy.tryNext === 'LackResourceAndNoTerminating' && (tally?.terminating ?? 0) > 0;
}

function terminatingHold(at: string, tally: UnitTally | undefined): Decision {
  return {
    kind: 'hold',
    reason: 'WaitingForTerminatingPods',
    message: `${at} is full while ${tally?.terminating ?? 0} pod(s) of the policy terminate there`,
  };
}

export function chooseUnit(input: ChooseInput): Decision {
  const { policy, pod, requests, tallies, room, waitSuspended } = input;
  const group = groupKey(policy, pod.metadata?.labels);
  if (group === MISSING_GROUP) {
    const missing = policy.matchLabelKeys.filter((k) => pod.metadata?.labels?.[k] === undefined);
    return {
      kind: 'hold',
      reason: 'MissingMatchLabelKey',
      message: `pod lacks the matchLabelKeys label(s) ${missing.join(', ')}: it is not scheduled`,
    };
  }
  const notes: string[] = [];
  let lacking = false;
  let firstVictims: number | undefined;
  let ownExcluded = 0;
  for (const unit of policy.units) {
    const tally = tallies[unit.index];
    const at = `unit ${unit.index} (${unit.resource})`;
    const conflict = selectorConflict(unit, pod);
    if (conflict) {
      ownExcluded++;
      notes.push(`${at}: the pod's nodeSelector sets ${conflict} otherwise`);
      continue;
    }
    const limit = limitReached(unit, tally, group, requests);
    if (limit) {
      if (holdsForTerminating(policy, tally)) return terminatingHold(at, tally);
      notes.push(`${at}: ${limit}`);
      continue;
    }
    const r = room(unit);
    const free = r.fits - (tally?.unbound ?? 0);
    if (free > 0)
      return { kind: 'assign', unit: unit.index, reason: 'HasRoom', message: `${at} has room` };
    if (r.refused) {
      lacking = true;
      notes.push(`${at}: kube-scheduler could not place a pod of the same owner there`);
      continue;
    }
    if (r.excludedByPod) {
      ownExcluded++;
      notes.push(
        `${at}: the pod's own nodeSelector, node affinity or tolerations exclude its nodes`,
      );
      continue;
    }
    if (mayWait(policy, unit) && !(waitIsTimed(policy) && waitSuspended[unit.index])) {
      return {
        kind: 'assign',
        unit: unit.index,
        reason: 'WaitForCapacity',
        message: `${at} has no room yet: the pod waits there for nodes`,
      };
    }
    if (holdsForTerminating(policy, tally)) return terminatingHold(at, tally);
    const victims = r.lowerPriorityPods > 0;
    if (victims && policy.preemptPolicy === 'BeforeNextUnit') {
      return {
        kind: 'assign',
        unit: unit.index,
        reason: 'Preempt',
        message: `${at} has no room: the pod goes there to preempt lower-priority pods`,
      };
    }
    lacking = true;
    if (victims && firstVictims === undefined) firstVictims = unit.index;
    notes.push(`${at}: no room`);
  }
  // AfterAllUnits: every unit was tried; preempt in the first (most preferred) unit where
  // lower-priority pods run, which need not be the last unit that lacked room.
  if (firstVictims !== undefined && policy.preemptPolicy === 'AfterAllUnits') {
    return {
      kind: 'assign',
      unit: firstVictims,
      reason: 'Preempt',
      message: `no unit has room: the pod goes to unit ${firstVictims} to preempt lower-priority pods`,
    };
  }
  if (ownExcluded === policy.units.length) {
    return {
      kind: 'hold',
      reason: 'PodConstraintsExcludeUnits',
      message: `the pod's own nodeSelector, node affinity or tolerations exclude every unit: ${notes.join('; ')}`,
    };
  }
  return lacking
    ? {
        kind: 'hold',
        reason: 'NoUnitHasRoom',
        message: `no unit admits the pod: ${notes.join('; ')}`,
      }
    : {
        kind: 'hold',
        reason: 'AllUnitsAtMax',
        message: `no unit admits the pod: ${notes.join('; ')}`,
      };
}
