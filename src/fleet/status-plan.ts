/**
 * The status stage's decisions (pure): the binding's status, the hub template's status (per
 * kind, kinds.ts), the Events and the placement annotation of one reconcile, which of them is
 * a change worth a write, and when to look again.
 */
import type { Condition } from '../api/meta.js';
import type { ResourceBinding, ResourceBindingStatus } from '../api/fleet.js';
import type { ScheduleResult } from '../scheduler/index.js';
import {
  bindingStatusOf,
  placementText,
  templateStatusOf,
  type BindingStatusInput,
  type EventSpec,
} from './binding-status.js';
import { kindOf } from './kinds.js';
import type { TemplateObject } from './member-copy.js';
import { PLACEMENT_ANNOTATION } from './ownership.js';
import type { RebalanceDecision } from './rebalance.js';
import type { MemberWorkload } from './status-aggregate.js';
import { statusPatchChanges } from './status-change.js';
import type { TemplateKey } from './template-key.js';

export type StatusPlanInput = Omit<
  BindingStatusInput,
  'kind' | 'namespace' | 'name' | 'previous' | 'generation' | 'reportsStatus'
> & {
  key: TemplateKey;
  template: TemplateObject;
  /** The binding as applied this reconcile. */
  binding: ResourceBinding;
};

export interface StatusPlan {
  events: EventSpec[];
  /** The template's placement annotation; unchanged means no write. */
  placement?: string;
  /** The binding's status, when it changed more than timestamps. */
  bindingStatus?: ResourceBindingStatus;
  /** The hub template's status and its resource plural, when it changed. */
  templateStatus?: { plural: string; status: Record<string, unknown> };
}

export function planStatus(i: StatusPlanInput): StatusPlan {
  const { key, template, binding, ...more } = i;
  const kind = kindOf(template);
  const out = bindingStatusOf({
    kind: key.kind,
    namespace: key.namespace,
    name: key.name,
    ...(binding.status ? { previous: binding.status } : {}),
    ...(binding.metadata.generation !== undefined
      ? { generation: binding.metadata.generation }
      : {}),
    reportsStatus: kind.counts !== undefined && key.kind !== 'Job',
    ...more,
  });
  const placement = placementText(i.targets, i.withReplicas) || 'none';
  const copies = i.workloads.map((w) => ({
    cluster: w.cluster,
    upToDate: w.applied && w.upToDate,
    ...(w.applied && w.live ? { live: w.live } : {}),
  }));
  let templateStatus = kind.plural
    ? kind.hubStatus?.(template, copies, i.now.toISOString())
    : undefined;
  if (templateStatus && kind.key === 'apps/v1|Deployment') {
    // The hub runs no Deployment controller: Spillway's conditions summarise the members'.
    const current = (template as { status?: { conditions?: Condition[] } }).status;
    templateStatus = {
      ...templateStatus,
      ...templateStatusOf({
        ...(current?.conditions ? { previousConditions: current.conditions } : {}),
        hub: out.hub,
        replicas: i.replicas,
        duplicated: i.duplicated,
        workloads: i.workloads,
        targets: i.targets,
        upToDate: i.workloads.every((w) => w.applied && w.upToDate),
        now: i.now,
      }),
    };
  }
  const statusNow = (template as { status?: unknown }).status;
  return {
    events: out.events,
    ...(template.metadata.annotations?.[PLACEMENT_ANNOTATION] !== placement ? { placement } : {}),
    // Only a change is written: a timestamp alone is not one (status-change.ts).
    ...(statusPatchChanges(binding.status, out.status) ? { bindingStatus: out.status } : {}),
    ...(templateStatus && kind.plural && statusPatchChanges(statusNow, templateStatus)
      ? { templateStatus: { plural: kind.plural, status: templateStatus } }
      : {}),
  };
}

/**
 * When to reconcile again. Settled (every copy applied, up to date and Ready, nothing waiting):
 * not at all, the watches tell of any change. Unsettled only because watched copies (kinds.ts)
 * are not Ready yet, with none of the workload's pods left unbound in their members: after the
 * slow `resyncMs`, since the member's watch of the copy enqueues the template as soon as its
 * status moves, and a safety resync is all that is left to do. Anything else unsettled (a copy
 * not applied or failed, replicas waiting for capacity, pods unbound that may have to spill
 * over once `spilloverAfterSeconds` has passed, which no event announces, dependencies pending):
 * after `recheckMs`. A rebalance timer wakes it earlier when it ends first.
 */
export function requeueOf(i: {
  dependenciesPending: boolean;
  result: ScheduleResult;
  workloads: readonly MemberWorkload[];
  rebalance?: RebalanceDecision;
  recheckMs: number;
  /** The safety resync while only the copies' watches are awaited. */
  resyncMs: number;
  /** The members' watches report changes of this kind's copies (a watched kind). */
  copiesWatched: boolean;
  /** Per member, the workload's pods not bound to a node yet; undefined when not known. */
  unboundPods: ReadonlyMap<string, number | undefined>;
}): { requeueAfterMs: number } | undefined {
  const ready = (w: MemberWorkload) =>
    w.applied && w.upToDate && (w.status?.readyReplicas ?? 0) >= (w.status?.replicas ?? 0);
  const unsettled = i.workloads.filter((w) => !ready(w));
  const nothingElse = !i.dependenciesPending && i.result.waiting === 0;
  const awaitingWatches =
    i.copiesWatched &&
    unsettled.every(
      (w) => w.applied && w.message === undefined && i.unboundPods.get(w.cluster) === 0,
    );
  const after = !nothingElse
    ? i.recheckMs
    : unsettled.length === 0
      ? undefined
      : awaitingWatches
        ? i.resyncMs
        : i.recheckMs;
  const wake = i.rebalance?.requeueMs;
  if (wake === undefined) return after === undefined ? undefined : { requeueAfterMs: after };
  return { requeueAfterMs: Math.min(wake, after ?? wake) };
}

/**
 * What Spillway summed into a hub workload's status, as a merge patch that removes it (null
 * removes a field); undefined when there is nothing to clear. With no copies of Spillway's left
 * those counts would be stale. A Job's status is left alone (the API server keeps startTime and
 * finished conditions).
 */
export function clearedTemplateStatus(
  template: TemplateObject,
): { plural: string; status: Record<string, null> } | undefined {
  const kind = kindOf(template);
  if (!kind.plural || !kind.hubStatus || kind.key === 'batch/v1|Job') return undefined;
  const status = (template as { status?: Record<string, unknown> }).status ?? {};
  const fields = Object.keys(status).filter(
    (f) => f !== 'observedGeneration' && f !== 'collisionCount',
  );
  if (fields.length === 0) return undefined;
  return { plural: kind.plural, status: Object.fromEntries(fields.map((f) => [f, null])) };
}
