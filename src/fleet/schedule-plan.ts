/**
 * The schedule stage of a reconcile (pure): which members to ask about, what the scheduler is
 * told about each, its result, and the rebalance move home applied to it (rebalance.ts). The
 * scheduler itself stays in src/scheduler; this maps a binding, a policy and the member views
 * onto its input and back.
 */
import {
  bindingName,
  type ManualRebalanceState,
  type ResourceBinding,
  type TargetCluster,
} from '../api/fleet.js';
import { POLICY_DEFAULTS, type AnyPropagationPolicy } from '../api/policy.js';
import {
  ScheduleInputError,
  schedule,
  type ClusterState,
  type ScheduleResult,
} from '../scheduler/index.js';
import { clusterState, previousResult } from './cluster-state.js';
import {
  hasReplicas,
  kindOf,
  podSelectorOf,
  podTemplateOf,
  replicasOf,
  type KindEntry,
  type PodTemplateLike,
} from './kinds.js';
import type { TemplateObject } from './member-copy.js';
import { BINDING_ANNOTATION } from './ownership.js';
import { resolvePlacement, type MemberInfo, type ResolvedPlacement } from './placement.js';
import { baseOf, decideRebalance, freshStates, type RebalanceDecision } from './rebalance.js';
import {
  REBALANCE_REQUEST_ANNOTATION,
  budgetOf,
  countsOf,
  manualRequest,
  storedRebalance,
  withRebalance,
} from './rebalance-binding.js';
import type { LiveObject, Measure, MemberRequestView, MemberView } from './reconcile-port.js';
import type { TemplateKey } from './template-key.js';
import { oneLine } from '../util/text.js';
import { healthInput, podlessReplicas } from './workload-health.js';

/** What the policy and the template's kind say about this workload, before any member is asked. */
export interface Workload {
  policy: AnyPropagationPolicy;
  placement: ResolvedPlacement;
  kind: KindEntry;
  withReplicas: boolean;
  /** Kinds without replicas are scheduled as one copy per selected cluster. */
  replicas: number;
  /** Only kinds with replicas need room for them; a DaemonSet or CronJob copy always fits. */
  podTemplate?: PodTemplateLike;
  spilloverMs: number;
  ecsProvision: boolean;
  /** Divided with replicas: the only case a rebalance applies to. */
  divided: boolean;
}

export function workloadOf(
  template: TemplateObject,
  policy: AnyPropagationPolicy,
  members: readonly MemberInfo[],
): Workload {
  const placement = resolvePlacement(policy.spec.placement, members);
  const withReplicas = hasReplicas(template);
  const podTemplate = withReplicas ? podTemplateOf(template) : undefined;
  return {
    policy,
    placement,
    kind: kindOf(template),
    withReplicas,
    replicas: replicasOf(template),
    ...(podTemplate ? { podTemplate } : {}),
    spilloverMs:
      (policy.spec.failover?.application?.spilloverAfterSeconds ??
        POLICY_DEFAULTS.spilloverAfterSeconds) * 1000,
    ecsProvision: policy.spec.autoScaling?.ecsProvision === true,
    divided: withReplicas && placement.scheduling.type === 'Divided',
  };
}

/** What the member views measure room against; undefined for a kind without pods. */
export function measureOf(
  template: TemplateObject,
  w: Workload,
  nowMs: number,
): Measure | undefined {
  if (!w.podTemplate) return undefined;
  return {
    podTemplate: w.podTemplate,
    selector: podSelectorOf(template) ?? {},
    spilloverMs: w.spilloverMs,
    nowMs,
  };
}

/** A member copy we created earlier: where it is (from the binding's last result). */
function previousClusters(b: ResourceBinding | undefined): string[] {
  const names = new Set<string>();
  for (const c of b?.spec.clusters ?? []) names.add(c.name);
  for (const s of b?.status?.aggregatedStatus ?? []) if (s.applied) names.add(s.clusterName);
  return [...names].sort();
}

/**
 * Members holding a copy of this template: those the binding remembers, and those whose own
 * watch of Spillway's copies (watched kinds) shows one carrying this binding's mark.
 */
export function clustersWithCopies(
  key: TemplateKey,
  binding: ResourceBinding | undefined,
  copies: readonly { member: string; copy?: LiveObject }[],
): string[] {
  const names = new Set(previousClusters(binding));
  const mark = `${key.namespace}/${bindingName(key.name, key.kind)}`;
  for (const c of copies)
    if (c.copy?.metadata?.annotations?.[BINDING_ANNOTATION] === mark) names.add(c.member);
  return [...names].sort();
}

/** Every cluster the placement names or that holds a copy now, in name order. */
export function scheduledNames(w: Workload, withCopies: readonly string[]): string[] {
  return [...new Set([...w.placement.groups.flatMap((g) => g.clusters), ...withCopies])].sort();
}

/** Estimates from a member whose caches are still filling would read as "no room": wait. */
export function cachesFilling(views: readonly MemberView[]): string[] {
  return views.filter((v) => v.connected && v.cachesFilling).map((v) => v.name);
}

/** Members where replicas wait for nodes: their ProvisioningRequest is read (a refusal ends it). */
export function requestsToRead(
  remembered: ResourceBinding | undefined,
  views: ReadonlyMap<string, MemberView>,
): string[] {
  return (previousResult(remembered)?.clusters ?? [])
    .filter((c) => {
      const v = views.get(c.cluster);
      return c.waiting > 0 && v?.reachable === true && v.provisioningSupported;
    })
    .map((c) => c.cluster);
}

/** Ready replicas of a member copy, counted only once it has seen its latest spec. */
function readyReplicas(copy: LiveObject | undefined, kind: KindEntry): number {
  if (!copy?.status || !kind.counts || !kind.upToDate(copy)) return 0;
  return kind.counts(copy.status).readyReplicas ?? 0;
}

export interface SchedulePlanInput {
  template: TemplateObject;
  workload: Workload;
  /** The live binding, or the one a hand deletion replaced. */
  remembered?: ResourceBinding;
  /** One view per scheduled name (scheduledNames). */
  views: ReadonlyMap<string, MemberView>;
  requests: ReadonlyMap<string, MemberRequestView | undefined>;
  nowMs: number;
}

export type SchedulePlan =
  | {
      ok: true;
      result: ScheduleResult;
      targets: TargetCluster[];
      rebalance?: RebalanceDecision;
      /** The manual rebalance request served, and its state to keep. */
      manual: { manual?: ManualRebalanceState; serving?: string };
    }
  /** The scheduler refused its input: terminal until the template, policy or members change. */
  | { ok: false; message: string };

/** The clusters of a result that get a copy, as the binding's `spec.clusters`. */
export function targetsOf(result: ScheduleResult, withReplicas: boolean): TargetCluster[] {
  return result.clusters
    .filter((c) => c.replicas > 0)
    .map((c) => ({
      name: c.cluster,
      ...(withReplicas ? { replicas: c.replicas } : {}),
      ...(c.group ? { affinityName: c.group } : {}),
      ...(withReplicas && c.waiting > 0 ? { waitingForCapacity: c.waiting } : {}),
      reason: c.reason,
    }));
}

export function planSchedule(i: SchedulePlanInput): SchedulePlan {
  const { template, workload: w, remembered, nowMs } = i;
  const prev = previousResult(remembered);
  // Rebalance: the scheduler sees the placement without a move's surge (rebalance.ts).
  const stored = storedRebalance(remembered?.spec.rebalancing);
  const base = baseOf(
    new Map((prev?.clusters ?? []).map((c) => [c.cluster, c.replicas])),
    w.divided ? stored.move : undefined,
  );
  const states: ClusterState[] = [...i.views.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((v) => {
      const cur = w.withReplicas ? (base.get(v.name) ?? 0) : 0;
      const copy = w.kind.readyServes ? v.copy : undefined;
      const copyReady =
        copy?.status && w.kind.counts ? (w.kind.counts(copy.status).readyReplicas ?? 0) : undefined;
      return clusterState({
        name: v.name,
        cur,
        registered: v.registered,
        ready: v.reachable,
        notReadySeconds: v.notReadySeconds,
        canProvision: v.canProvision,
        ecsProvision: w.ecsProvision,
        replicas: w.replicas,
        hasPods: w.podTemplate !== undefined,
        spilloverMs: w.spilloverMs,
        requestFailed: i.requests.get(v.name)?.state.phase === 'failed',
        ...(v.capacity
          ? {
              capacity: {
                maxReplicas: v.capacity.maxReplicas,
                pending: v.capacity.pending,
                podless: podlessReplicas(cur, healthInput(copy?.status), w.spilloverMs, nowMs),
              },
            }
          : {}),
        ...(copyReady !== undefined ? { copyReady } : {}),
      });
    });
  const policy = w.policy;
  const input = {
    replicas: w.replicas,
    groups: w.placement.groups,
    // As in Karmada, a kind without replicas is never divided: each selected cluster gets it.
    scheduling: w.withReplicas ? w.placement.scheduling : ({ type: 'Duplicated' } as const),
    clusters: states,
    ecsProvision: w.ecsProvision,
    tolerationSeconds:
      policy.spec.failover?.cluster?.tolerationSeconds ?? POLICY_DEFAULTS.clusterTolerationSeconds,
    // Karmada breaks exact ties by a hash of the template's UID.
    ...(typeof template.metadata.uid === 'string' ? { uid: template.metadata.uid } : {}),
  };
  const manual = manualRequest(
    remembered?.metadata.annotations?.[REBALANCE_REQUEST_ANNOTATION],
    stored.manual,
  );
  let result: ScheduleResult;
  let rebalance: RebalanceDecision | undefined;
  try {
    result = schedule({ ...input, ...(prev ? { previous: prev } : {}) });
    if (w.divided) {
      // Where the replicas would go if none were placed yet: the goal of a rebalance.
      const fresh = schedule({ ...input, clusters: freshStates(states) });
      const groupOf = new Map<string, number>();
      w.placement.groups.forEach((g, n) => {
        for (const c of g.clusters) if (!groupOf.has(c)) groupOf.set(c, n);
      });
      rebalance = decideRebalance({
        replicas: w.replicas,
        base,
        scheduled: countsOf(result),
        fresh: countsOf(fresh),
        clusters: states.map((st) => ({
          name: st.name,
          group: groupOf.get(st.name) ?? -1,
          memberReady: st.notReady !== true && st.failed !== true,
          readyReplicas: readyReplicas(i.views.get(st.name)?.copy, w.kind),
          avail: st.avail,
        })),
        automatic: policy.spec.rebalance?.enabled === true,
        ...(manual.serving !== undefined ? { manual: manual.serving } : {}),
        budget: budgetOf(policy.spec.rebalance, w.spilloverMs / 1000),
        ...(stored.move ? { move: stored.move } : {}),
        ...(stored.lastMoveMs !== undefined ? { lastMoveMs: stored.lastMoveMs } : {}),
        ...(stored.freeSinceMs !== undefined ? { freeSinceMs: stored.freeSinceMs } : {}),
        nowMs,
      });
      result = withRebalance(result, rebalance, w.placement.groups);
    }
  } catch (err) {
    if (!(err instanceof ScheduleInputError)) throw err;
    return { ok: false, message: oneLine(err.message) };
  }
  return {
    ok: true,
    result,
    targets: targetsOf(result, w.withReplicas),
    ...(rebalance ? { rebalance } : {}),
    manual,
  };
}
