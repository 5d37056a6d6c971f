/**
 * What a reconcile reports (pure): the ResourceBinding status with its conditions, the hub
 * template's status (Deployment-style counts and conditions), and the Events worth telling.
 * Every condition names the clusters concerned, so a user can act without reading logs.
 */
import { setStatusConditions, findCondition, type ConditionInput } from '../api/conditions.js';
import {
  ResourceBindingConditionReasons as R,
  ResourceBindingConditionTypes,
  TemplateConditionReasons as T,
  type ResourceBindingStatus,
  type TargetCluster,
} from '../api/fleet.js';
import type { Condition } from '../api/meta.js';
import type { ScheduleResult } from '../scheduler/index.js';
import {
  aggregate,
  aggregatedItems,
  type HubWorkloadStatus,
  type MemberWorkload,
} from './status-aggregate.js';
import { oneLine } from '../util/text.js';
import { healthInput, workloadFailures } from './workload-health.js';
import {
  DEPENDENCIES_CONDITION,
  dependencyCondition,
  type DependencyReport,
} from './dependencies.js';
import { OVERRIDES_CONDITION, overridesCondition, type MemberOverride } from './override-status.js';

/** Reasons of the Events Spillway records on hub templates. */
export const TemplateEventReasons = {
  /** Where the replicas go: on the first placement and on every change. */
  Scheduled: 'Scheduled',
  /** The scheduler refused its input. */
  ScheduleFailed: 'ScheduleFailed',
  ProvisioningRequested: 'ProvisioningRequested',
  /** A member holds an object of that name that Spillway did not create. */
  Conflict: 'Conflict',
  /** Several policies match the template equally; the one named first alphabetically wins. */
  PolicyTie: 'PolicyTie',
  /** A member workload reports ReplicaFailure or Progressing=False. */
  MemberWorkloadFailed: 'MemberWorkloadFailed',
  /** propagateDeps: a referenced ConfigMap, Secret, ... is not on the hub. */
  DependencyMissing: 'DependencyMissing',
  /** propagateDeps: a dependency could not be copied to a member. */
  DependenciesNotApplied: 'DependenciesNotApplied',
  /** A member's autoscaler refused the ProvisioningRequest (once per request). */
  ProvisioningFailed: 'ProvisioningFailed',
  /** No policy selects the template any more; its copies are kept as they are. */
  Unclaimed: 'Unclaimed',
  /** Rebalance raised a higher-priority group (make-before-break, first half). */
  RebalanceStarted: 'RebalanceStarted',
  /** The raised replicas are Ready and the lower group was lowered by as many. */
  RebalanceCompleted: 'RebalanceCompleted',
  /** A move was dropped; the placement before it is kept. */
  RebalanceAborted: 'RebalanceAborted',
  /** An override rule could not be applied to a member's copy (when that changes). */
  OverrideFailed: 'OverrideFailed',
} as const;

/** A member's autoscaler refused the binding's ProvisioningRequest. */
export interface ProvisioningFailure {
  cluster: string;
  reason: string;
  message: string;
}

export function failureText(f: ProvisioningFailure): string {
  return `${f.cluster} cannot provision nodes: ${f.reason}${f.message ? `: ${f.message}` : ''}`;
}

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface BindingStatusInput {
  /** "Deployment apps/web", for messages. */
  kind: string;
  namespace: string;
  name: string;
  previous?: ResourceBindingStatus;
  generation?: number;
  /** Replicas the template asks for (per cluster when Duplicated). */
  replicas: number;
  /** Whether the kind has replicas at all (kinds without them get one copy per cluster). */
  withReplicas: boolean;
  /** Whether member copies of this kind report ready replicas (not a Job: it finishes). */
  reportsStatus: boolean;
  duplicated: boolean;
  result: ScheduleResult;
  targets: readonly TargetCluster[];
  /** The previous result's clusters and counts; undefined on the first placement. */
  previousTargets?: readonly TargetCluster[];
  workloads: readonly MemberWorkload[];
  /** Members holding an object of that name that Spillway did not create. */
  conflicts: readonly string[];
  /** Policies that tie with the one that claims the template. */
  tiedWith: readonly string[];
  claimedBy: string;
  unknownClusters: readonly string[];
  /** propagateDeps is on: what the dependency sync found; without it, no such condition. */
  dependencies?: DependencyReport;
  /** ProvisioningRequests the members' autoscalers refused. */
  refused: readonly ProvisioningFailure[];
  /** rebalance on (or asked for): its condition; without it, no Rebalancing condition. */
  rebalancing?: ConditionInput;
  /** What the override policies did to each member copy (override-status.ts). */
  overrides?: readonly MemberOverride[];
  now: Date;
}

export interface BindingStatusOutput {
  status: ResourceBindingStatus;
  /** Counts for the hub template (worst cluster when Duplicated). */
  hub: HubWorkloadStatus;
  events: EventSpec[];
}

/** "c1 (idc): 2, c2 (cloud): 1": the placement annotation of the hub template. */
export function placementText(targets: readonly TargetCluster[], withReplicas: boolean): string {
  return targets
    .map(
      (t) =>
        `${t.name}${t.affinityName ? ` (${t.affinityName})` : ''}: ${withReplicas ? (t.replicas ?? 0) : 'copy'}`,
    )
    .join(', ');
}

function sameTargets(
  a: readonly TargetCluster[] | undefined,
  b: readonly TargetCluster[],
): boolean {
  const norm = (l: readonly TargetCluster[]) =>
    JSON.stringify(l.map((t) => [t.name, t.replicas ?? 0]));
  return a !== undefined && norm(a) === norm(b);
}

function scheduledCondition(i: BindingStatusInput): ConditionInput {
  const S = R.Scheduled;
  const unknown =
    i.unknownClusters.length > 0
      ? `; not registered as MemberCluster: ${i.unknownClusters.join(', ')}`
      : '';
  if (i.result.unplaced > 0) {
    return {
      type: 'Scheduled',
      status: 'False',
      reason: S.NoCluster,
      message:
        `${i.result.unplaced} replicas have no usable cluster` +
        (i.unknownClusters.length > 0
          ? `: the placement names ${i.unknownClusters.join(', ')}, which no MemberCluster has`
          : ': no registered cluster that the placement selects is Ready'),
    };
  }
  const where =
    i.targets.length > 0
      ? `placed: ${placementText(i.targets, i.withReplicas)}`
      : i.withReplicas && i.replicas === 0
        ? 'scaled to 0: no cluster holds a copy'
        : 'the placement selects no cluster';
  if (i.result.waiting > 0) {
    const perCluster = i.result.clusters
      .filter((c) => c.waiting > 0)
      .map((c) => `${c.cluster}: ${c.waiting}`)
      .join(', ');
    return {
      type: 'Scheduled',
      status: 'True',
      reason: S.WaitingForCapacity,
      message: `${i.result.waiting} replicas wait for capacity (${perCluster}); ${where}${unknown}`,
    };
  }
  return { type: 'Scheduled', status: 'True', reason: S.Success, message: `${where}${unknown}` };
}

function readyCondition(i: BindingStatusInput, hub: HubWorkloadStatus): ConditionInput {
  const Rd = R.Ready;
  const failures = i.workloads.flatMap((w) =>
    workloadFailures(healthInput(w.live?.status)).map(
      (f) => `${w.cluster}: ${f.type} ${f.reason}: ${f.message}`,
    ),
  );
  if (failures.length > 0) {
    return {
      type: 'Ready',
      status: 'False',
      reason: Rd.MemberWorkloadFailed,
      message: failures.join('; '),
    };
  }
  const targets = new Set(i.targets.map((t) => t.name));
  const current = i.workloads.filter((w) => targets.has(w.cluster));
  if (!i.reportsStatus) {
    return {
      type: 'Ready',
      status: 'Unknown',
      reason: Rd.StatusNotReported,
      message: `readiness is not tracked for a ${i.kind}: FullyApplied tells whether the copies exist, the hub object's status how they run`,
    };
  }
  // Kinds without replicas (a DaemonSet) are ready when each copy runs what its member wants.
  const want = i.withReplicas ? i.replicas : hub.replicas;
  const perCluster = current
    .map((w) => {
      const share = !i.withReplicas
        ? (w.status?.replicas ?? 0)
        : i.duplicated
          ? want
          : (i.targets.find((t) => t.name === w.cluster)?.replicas ?? 0);
      return `${w.cluster} ${w.status?.readyReplicas ?? 0}/${share}`;
    })
    .join(', ');
  const waiting = i.result.waiting > 0 ? `; ${i.result.waiting} wait for capacity` : '';
  const ok = hub.readyReplicas >= want && i.result.waiting === 0 && i.result.unplaced === 0;
  return {
    type: 'Ready',
    status: ok ? 'True' : 'False',
    reason: ok ? Rd.AllReplicasReady : Rd.ReplicasNotReady,
    message: `${hub.readyReplicas}/${want} ready${i.duplicated ? ' in every cluster' : ''}${perCluster ? `: ${perCluster}` : ''}${waiting}`,
  };
}

function conflictCondition(i: BindingStatusInput): ConditionInput {
  const C = R.Conflict;
  const members = i.conflicts.map(
    (c) =>
      `member ${c} has a ${i.kind} ${i.namespace}/${i.name} that Spillway did not create; annotate the template fleet.spillway.dev/adopt-existing=true to adopt it`,
  );
  const tie =
    i.tiedWith.length > 0
      ? `policies tie for this template: ${[i.claimedBy, ...i.tiedWith].join(', ')}; ${i.claimedBy} wins by name, give one a higher priority`
      : undefined;
  if (members.length > 0)
    return {
      type: 'Conflict',
      status: 'True',
      reason: C.ConflictFound,
      message: [...members, ...(tie ? [tie] : [])].join('; '),
    };
  if (tie) return { type: 'Conflict', status: 'True', reason: C.PolicyTie, message: tie };
  return { type: 'Conflict', status: 'False', reason: C.NoConflict, message: 'no conflict' };
}

function appliedCondition(i: BindingStatusInput): ConditionInput {
  const notApplied = i.workloads.filter((w) => !w.applied);
  return notApplied.length === 0
    ? {
        type: 'FullyApplied',
        status: 'True',
        reason: R.FullyApplied.Applied,
        message: 'every member copy is applied',
      }
    : {
        type: 'FullyApplied',
        status: 'False',
        reason: R.FullyApplied.NotApplied,
        message: notApplied.map((w) => `${w.cluster}: ${w.message ?? 'not applied'}`).join('; '),
      };
}

function provisioningCondition(i: BindingStatusInput): ConditionInput {
  const P = R.Provisioning;
  if (i.refused.length > 0)
    return {
      type: 'Provisioning',
      status: 'False',
      reason: P.ProvisioningFailed,
      message: `${i.refused.map(failureText).join('; ')}; the replicas waiting there move on after spilloverAfterSeconds`,
    };
  if (i.result.provision.length > 0)
    return {
      type: 'Provisioning',
      status: 'True',
      reason: P.Requested,
      message: `nodes asked for ${i.result.provision.map((p) => `${p.replicas} replicas in ${p.cluster}`).join(', ')}`,
    };
  return {
    type: 'Provisioning',
    status: 'True',
    reason: P.NoneNeeded,
    message: 'no replica waits for nodes',
  };
}

/** The binding status, the hub counts and the Events of one reconcile. */
export function bindingStatusOf(i: BindingStatusInput): BindingStatusOutput {
  const targets = new Set(i.targets.map((t) => t.name));
  // Duplicated: the worst of the clusters that should run the template (stale copies aside).
  const hub = i.duplicated
    ? aggregate(
        i.workloads.filter((w) => targets.has(w.cluster)),
        'Duplicated',
      )
    : aggregate(i.workloads);
  const gen = i.generation !== undefined ? { observedGeneration: i.generation } : {};
  // Present only while some override policy applies to a copy, like DependenciesApplied.
  const overrides = overridesCondition(i.overrides ?? []);
  const inputs = [
    scheduledCondition(i),
    appliedCondition(i),
    conflictCondition(i),
    readyCondition(i, hub),
    ...(i.dependencies
      ? [{ type: DEPENDENCIES_CONDITION, ...dependencyCondition(i.dependencies) }]
      : []),
    provisioningCondition(i),
    ...(i.rebalancing ? [i.rebalancing] : []),
    ...(overrides ? [{ type: OVERRIDES_CONDITION, ...overrides }] : []),
  ].map((c) => ({ ...c, ...gen }));
  const conditions = setStatusConditions(
    (i.previous?.conditions ?? []).filter(
      (c) =>
        (i.dependencies || c.type !== DEPENDENCIES_CONDITION) &&
        (i.rebalancing || c.type !== ResourceBindingConditionTypes.Rebalancing) &&
        (overrides || c.type !== OVERRIDES_CONDITION),
    ),
    inputs,
    i.now,
  );

  const events: EventSpec[] = [];
  const E = TemplateEventReasons;
  if (!sameTargets(i.previousTargets, i.targets)) {
    events.push({
      type: 'Normal',
      reason: E.Scheduled,
      message:
        i.targets.length > 0
          ? i.targets.map((t) => `${t.name}: ${t.replicas ?? 'all'} (${t.reason ?? ''})`).join('; ')
          : i.withReplicas && i.replicas === 0
            ? 'scaled to 0: no cluster holds a copy'
            : `no cluster: ${findCondition(conditions, 'Scheduled')?.message ?? ''}`,
    });
  }
  // Warnings only when they change, not on every re-check while the problem lasts.
  const changed = (type: string, next: Condition | undefined) => {
    const old = findCondition(i.previous?.conditions, type);
    return next !== undefined && (old?.reason !== next.reason || old.message !== next.message);
  };
  const ready = findCondition(conditions, 'Ready');
  if (ready?.reason === R.Ready.MemberWorkloadFailed && changed('Ready', ready))
    events.push({ type: 'Warning', reason: E.MemberWorkloadFailed, message: ready.message });
  const deps = findCondition(conditions, DEPENDENCIES_CONDITION);
  if (deps?.status === 'False' && changed(DEPENDENCIES_CONDITION, deps))
    events.push({
      type: 'Warning',
      reason:
        deps.reason === R.DependenciesApplied.DependencyMissing
          ? E.DependencyMissing
          : E.DependenciesNotApplied,
      message: deps.message,
    });
  const overridden = findCondition(conditions, OVERRIDES_CONDITION);
  if (overridden?.status === 'False' && changed(OVERRIDES_CONDITION, overridden))
    events.push({ type: 'Warning', reason: E.OverrideFailed, message: overridden.message });
  const conflict = findCondition(conditions, 'Conflict');
  if (conflict && conflict.status === 'True' && changed('Conflict', conflict)) {
    events.push({
      type: 'Warning',
      reason: i.conflicts.length > 0 ? E.Conflict : E.PolicyTie,
      message: conflict.message,
    });
  }

  return {
    status: {
      ...(i.generation !== undefined
        ? { observedGeneration: i.generation, schedulerObservedGeneration: i.generation }
        : {}),
      lastScheduledTime: i.now.toISOString(),
      conditions,
      placement: i.targets
        .map((t) => (i.withReplicas ? `${t.name}: ${t.replicas ?? 0}` : t.name))
        .join(', '),
      readyReplicas: hub.readyReplicas,
      waitingForCapacity: i.result.waiting,
      aggregatedStatus: aggregatedItems(i.workloads).map((item) => {
        // The cluster's own failure, where `kubectl get rb -o yaml` shows its counts.
        const w = i.workloads.find((x) => x.cluster === item.clusterName);
        const failed = workloadFailures(healthInput(w?.live?.status)).map(
          (f) => `${f.reason}: ${f.message}`,
        );
        return failed.length > 0 && !item.message ? { ...item, message: failed.join('; ') } : item;
      }),
    },
    hub,
    events,
  };
}

/** Scheduled=False for input the scheduler refused: a terminal state until something changes. */
export function invalidInputCondition(message: string, generation?: number): ConditionInput {
  return {
    type: 'Scheduled',
    status: 'False',
    reason: R.Scheduled.InvalidInput,
    message: oneLine(message),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

export interface TemplateStatusInput {
  previousConditions?: readonly Condition[];
  hub: HubWorkloadStatus;
  /** spec.replicas of the template. */
  replicas: number;
  duplicated: boolean;
  workloads: readonly MemberWorkload[];
  targets: readonly TargetCluster[];
  /** Every member copy has seen its latest spec. */
  upToDate: boolean;
  now: Date;
}

/**
 * What Spillway adds to a hub Deployment's summed status (kinds.ts): the conditions Available,
 * Progressing and ReplicaFailure, and with Duplicated the worst cluster's counts in place of the
 * sums, so one cluster at 0/3 cannot hide behind another at 3/3.
 */
export function templateStatusOf(i: TemplateStatusInput): Partial<HubWorkloadStatus> & {
  conditions: Condition[];
} {
  const byCluster = i.targets
    .map((t) => {
      const w = i.workloads.find((x) => x.cluster === t.name);
      const share = i.duplicated ? i.replicas : (t.replicas ?? 0);
      return `${t.name}${t.affinityName ? ` (${t.affinityName})` : ''} ${w?.status?.availableReplicas ?? 0}/${share}`;
    })
    .join(', ');
  const placement = byCluster ? `; per cluster: ${byCluster}` : '';
  const available = i.hub.availableReplicas >= i.replicas;
  const failures = i.workloads.flatMap((w) =>
    workloadFailures(healthInput(w.live?.status)).map((f) => ({ cluster: w.cluster, ...f })),
  );
  const replicaFailures = failures.filter((f) => f.type === 'ReplicaFailure');
  const stalled = failures.filter((f) => f.type === 'Progressing');
  const settled =
    i.upToDate &&
    i.hub.updatedReplicas >= i.replicas &&
    i.hub.availableReplicas >= i.replicas &&
    i.hub.replicas <= i.replicas;
  const inputs: ConditionInput[] = [
    {
      type: 'Available',
      status: available ? 'True' : 'False',
      reason: available
        ? T.Available.MinimumReplicasAvailable
        : T.Available.MinimumReplicasUnavailable,
      message: `${i.hub.availableReplicas}/${i.replicas} available${i.duplicated ? ' in every cluster' : ''}${placement}`,
    },
    stalled.length > 0
      ? {
          type: 'Progressing',
          status: 'False',
          reason: T.Progressing.ProgressDeadlineExceeded,
          message: stalled.map((f) => `${f.cluster}: ${f.reason}: ${f.message}`).join('; '),
        }
      : {
          type: 'Progressing',
          status: 'True',
          reason: settled ? T.Progressing.MembersUpdated : T.Progressing.MembersProgressing,
          message: settled
            ? 'every member copy runs the latest spec'
            : 'member copies are being updated, scaled or started',
        },
  ];
  if (replicaFailures.length > 0) {
    inputs.push({
      type: 'ReplicaFailure',
      status: 'True',
      reason: T.ReplicaFailure.FailedCreate,
      message: replicaFailures.map((f) => `${f.cluster}: ${f.reason}: ${f.message}`).join('; '),
    });
  }
  // ReplicaFailure is removed once no member reports it, as the Deployment controller does.
  const previous =
    replicaFailures.length > 0
      ? i.previousConditions
      : (i.previousConditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  return {
    ...(i.duplicated ? i.hub : {}),
    conditions: setStatusConditions(previous, inputs, i.now),
  };
}
