/**
 * The unit decided at admission (pure). The webhook runs in the controller's process and sees
 * the same counts as a reconcile pass, so when the pod's unit is certain it can write the
 * unit's constraints into the pod as it is created, instead of gating it and patching it a
 * moment later (one write per pod instead of two). Certain means the decision a pass would
 * take now, and one no earlier pod may take first:
 *
 * - older pods of the policy behind the gate are decided first (oldest first), so while there
 *   are any, the pod's unit must have room for all of them besides the pod: its max and
 *   maxResources hold with every gated pod counted in the pod's group, and its room for pods
 *   of this shape with one place taken per gated pod (only when no gated pod requests more of
 *   a resource the pod requests, so that each takes at most one such place). Units before it
 *   turn the pod away now and still will once the gated pods are placed (placing pods only
 *   takes room), so the unit order holds whatever units the gated pods then go to;
 * - no pod is about to be deleted for a timeout or for being unschedulable in its unit (the
 *   pass frees its place before deciding), and no unit lately refused pods of this pod's owner;
 * - the first unit that admits the pod has room for it now (a pod that would wait for nodes,
 *   preempt, or be held keeps the gate, so those paths and their Events are unchanged);
 * - places held for pods admitted a moment ago (not yet seen by the watch) do not change the
 *   answer: if they do, one of them may be a create that failed, so the answer waits for the
 *   watch to show those pods (admission.ts asks again then, or gates after a moment).
 *
 * Anything else, and anything the caller is unsure of (not the leader, caches not synced, a
 * policy edit not yet processed, a dry run), keeps the gate.
 */
import { chooseUnit, type UnitRoom } from './choose.js';
import { addToTally, groupKey, podRequests, type UnitTally } from './counting.js';
import { ANNOTATION_ADMISSION } from './constants.js';
import type { JsonPatchOp } from './gate.js';
import { assignedUnit } from './membership.js';
import { assignmentPatch } from './patch.js';
import type { PolicySummary } from './policy-counts.js';
import type { Policy, Unit } from './spec.js';
import { controllerUid, type PolicyPod } from './types.js';

export interface AdmitInput {
  readonly policy: Policy;
  /** The pod being created, as the webhook received it. */
  readonly pod: PolicyPod;
  /** The counts of the pods this policy selects (it won every conflict for them). */
  readonly summary: PolicySummary;
  /** Pods admitted into a unit of this policy that the watch has not shown yet. */
  readonly reserved: readonly PolicyPod[];
  readonly room: (unit: Unit, pod: PolicyPod) => UnitRoom;
  /** Owners (controller uids) some unit of the policy lately refused. */
  readonly refusedOwners: ReadonlySet<string>;
  /** Per unit: pods may not wait there (a pod timed out there recently). */
  readonly waitSuspended: readonly boolean[];
  readonly nowMs: number;
  /** The AdmissionReview's uid: recorded on the pod to tie it to its reservation. */
  readonly token: string;
}

export type AdmitDecision =
  | {
      readonly kind: 'assign';
      readonly unit: number;
      readonly patch: JsonPatchOp[];
      /** The pod as it will be stored: what the reservation counts until the watch shows it. */
      readonly placed: PolicyPod;
    }
  | {
      readonly kind: 'gate';
      readonly why: string;
      /**
       * Places held for pods admitted a moment ago decide the unit: once the watch shows those
       * pods (or their places end), the answer is certain and may be asked again.
       */
      readonly untilSeen?: true;
    };

/**
 * A copy of the tallies with what chooseUnit reads for a pod of `group` (its group's counts,
 * unbound and terminating pods): O(units x resources), whatever the number of groups.
 */
function copyForGroup(tallies: readonly UnitTally[], group: string | undefined): UnitTally[] {
  return tallies.map((t) => {
    const byGroup = new Map<string, number>();
    const resourcesByGroup = new Map<string, Map<string, bigint>>();
    const count = group === undefined ? undefined : t.byGroup.get(group);
    const used = group === undefined ? undefined : t.resourcesByGroup.get(group);
    if (group !== undefined && count !== undefined) byGroup.set(group, count);
    if (group !== undefined && used !== undefined) resourcesByGroup.set(group, new Map(used));
    return {
      pods: t.pods,
      byGroup,
      resourcesByGroup,
      resources: new Map(t.resources),
      unbound: t.unbound,
      terminating: t.terminating,
    };
  });
}

function decide(
  input: AdmitInput,
  withReserved: boolean,
): { decision: ReturnType<typeof chooseUnit>; tallies: readonly UnitTally[] } {
  const { policy, pod } = input;
  const tallies =
    withReserved && input.reserved.length > 0
      ? copyForGroup(input.summary.tallies, groupKey(policy, pod.metadata?.labels))
      : input.summary.tallies;
  if (withReserved)
    for (const r of input.reserved) {
      const unit = assignedUnit(policy, r);
      const tally = unit === undefined ? undefined : tallies[unit];
      if (tally) addToTally(policy, tally, r);
    }
  const decision = chooseUnit({
    policy,
    pod,
    requests: podRequests(pod),
    tallies,
    room: (unit) => input.room(unit, pod),
    waitSuspended: input.waitSuspended,
  });
  return { decision, tallies };
}

/**
 * Whether unit `index` has room for the pod and every gated pod of the policy (see the top):
 * counted in the pod's group against max and maxResources, one place each of the pod's shape.
 */
function roomForGated(input: AdmitInput, index: number, tallies: readonly UnitTally[]): boolean {
  const { policy, pod, summary } = input;
  const unit = policy.units[index];
  const tally = tallies[index];
  if (!unit || !tally) return false;
  const g = summary.gated;
  const group = groupKey(policy, pod.metadata?.labels) ?? '';
  const requests = podRequests(pod);
  if (unit.max !== undefined && (tally.byGroup.get(group) ?? 0) + g + 1 > unit.max) return false;
  if (unit.maxResources) {
    const used = tally.resourcesByGroup.get(group);
    for (const [name, limit] of unit.maxResources) {
      const total =
        (used?.get(name) ?? 0n) +
        (summary.gatedRequests.sum.get(name) ?? 0n) +
        (requests.get(name) ?? 0n);
      if (total > limit) return false;
    }
  }
  for (const [name, most] of summary.gatedRequests.max) {
    const own = requests.get(name) ?? 0n;
    if (own > 0n && most > own) return false;
  }
  return input.room(unit, pod).fits - tally.unbound - g >= 1;
}

export function admitDecision(input: AdmitInput): AdmitDecision {
  const { policy, pod, nowMs, summary } = input;
  if (summary.leavesAtMs <= nowMs)
    return { kind: 'gate', why: 'a pod of the policy is about to leave its unit' };
  const owner = controllerUid(pod);
  if (owner !== undefined && input.refusedOwners.has(owner))
    return { kind: 'gate', why: 'a unit lately refused pods of the same owner' };
  const { decision: d, tallies } = decide(input, true);
  if (d.kind !== 'assign' || d.reason !== 'HasRoom') return { kind: 'gate', why: d.reason };
  // In a rolling update the old pod is deleted just before the new one is created, and the
  // watch may not show it terminating yet: LackResourceAndNoTerminating would keep the new pod
  // for its unit, so passing a unit over is left to the pass, which sees the watch's events in
  // order (the old pod's deletion before the new pod).
  if (policy.tryNext === 'LackResourceAndNoTerminating' && d.unit > 0)
    return { kind: 'gate', why: 'a pod of an earlier unit may be terminating unseen' };
  if (summary.gated > 0 && !roomForGated(input, d.unit, tallies))
    return { kind: 'gate', why: 'older pods of the policy are gated and may need the place' };
  if (input.reserved.length > 0) {
    const { decision: without } = decide(input, false);
    if (without.kind !== 'assign' || without.unit !== d.unit)
      return {
        kind: 'gate',
        why: 'places held for pods admitted a moment ago decide the unit',
        untilSeen: true,
      };
  }
  const unit = policy.units[d.unit];
  if (!unit) return { kind: 'gate', why: 'unit out of range' };
  const change = assignmentPatch(pod, {
    policy,
    unit,
    nowIso: new Date(nowMs).toISOString(),
    waiting: false,
  });
  const labels = { ...(pod.metadata?.labels ?? {}), ...(change.metadata.labels ?? {}) };
  const annotations = {
    ...(pod.metadata?.annotations ?? {}),
    ...change.metadata.annotations,
    [ANNOTATION_ADMISSION]: input.token,
  };
  const spec = change.spec;
  const affinity = {
    ...(pod.spec?.affinity ?? {}),
    nodeAffinity: {
      ...(pod.spec?.affinity?.nodeAffinity ?? {}),
      ...(spec?.affinity?.nodeAffinity ?? {}),
    },
  };
  // "add" replaces a member that exists, so whole maps and lists are written, merged here.
  const patch: JsonPatchOp[] = [
    { op: 'add', path: '/metadata/labels', value: labels },
    { op: 'add', path: '/metadata/annotations', value: annotations },
    { op: 'add', path: '/spec/affinity', value: affinity },
  ];
  if (spec?.nodeSelector)
    patch.push({ op: 'add', path: '/spec/nodeSelector', value: spec.nodeSelector });
  if (spec?.tolerations)
    patch.push({ op: 'add', path: '/spec/tolerations', value: spec.tolerations });
  const placed: PolicyPod = {
    ...pod,
    metadata: { ...pod.metadata, labels, annotations },
    spec: {
      ...pod.spec,
      affinity,
      ...(spec?.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      ...(spec?.tolerations ? { tolerations: spec.tolerations } : {}),
    },
  };
  return { kind: 'assign', unit: d.unit, patch, placed };
}
