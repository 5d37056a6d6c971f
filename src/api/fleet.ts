/**
 * MemberCluster and ResourceBinding (fleet.spillway.dev/v1alpha1): Spillway's own objects on the
 * hub. The schemas, with the documentation of every field, are config/crds/fleet.spillway.dev_*.
 */
import type { Condition, ResourceList, TypeMeta } from './meta.js';
import type { AutoScaling, FailoverBehavior, Placement, RebalanceBehavior } from './policy.js';
import { withSuffix } from '../util/names.js';

export const FLEET_GROUP = 'fleet.spillway.dev';
export const FLEET_VERSION = 'v1alpha1';
export const FLEET_API_VERSION = `${FLEET_GROUP}/${FLEET_VERSION}` as const;

export const DEFAULT_KUBECONFIG_KEY = 'kubeconfig';
export const DEFAULT_PROVISIONING_CLASS = 'best-effort-atomic-scale-up.autoscaling.x-k8s.io';

// ---- MemberCluster ----------------------------------------------------------------------------

export interface SecretKeyRef {
  namespace: string;
  name: string;
  /** Defaults to "kubeconfig". */
  key?: string;
}

export interface ProvisioningSettings {
  enabled?: boolean;
  /** Defaults to best-effort-atomic-scale-up.autoscaling.x-k8s.io. */
  provisioningClassName?: string;
}

export const CLUSTER_TAINT_EFFECTS = ['NoSchedule', 'NoExecute'] as const;
export type ClusterTaintEffect = (typeof CLUSTER_TAINT_EFFECTS)[number];

export interface ClusterTaint {
  key: string;
  value?: string;
  effect: ClusterTaintEffect;
  /** RFC 3339 time. */
  timeAdded?: string;
}

/** The cluster ID is metadata.name; metadata.labels are what affinity labelSelectors match. */
export interface MemberClusterSpec {
  /** Human-friendly name (CLUSTER_ALIAS). */
  alias?: string;
  kubeconfigSecretRef: SecretKeyRef;
  provisioning?: ProvisioningSettings;
  taints?: ClusterTaint[];
}

export interface ClusterCapacity {
  nodeCount?: number;
  readyNodeCount?: number;
  /** Sum over Ready, schedulable nodes. */
  allocatable?: ResourceList;
  /** Sum of effective requests of bound, non-terminal pods on those nodes. */
  allocated?: ResourceList;
}

export const MemberClusterConditionTypes = {
  /** The member's API server answers with the kubeconfig and its nodes can be listed. */
  Ready: 'Ready',
} as const;

/** Reasons per MemberCluster condition type (docs/fleet-controller.md lists what to do). */
export const MemberClusterConditionReasons = {
  Ready: {
    ClusterReady: 'ClusterReady',
    /** The API server did not answer the probe (or not within its timeout). */
    ClusterNotReachable: 'ClusterNotReachable',
    /** The kubeconfig Secret is missing, lacks its key, or does not parse. */
    KubeconfigInvalid: 'KubeconfigInvalid',
  },
} as const;

export interface MemberClusterStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  kubernetesVersion?: string;
  /** RFC 3339 time. */
  lastProbeTime?: string;
  provisioningRequestSupported?: boolean;
  capacity?: ClusterCapacity;
}

export interface MemberCluster extends TypeMeta<typeof FLEET_API_VERSION, 'MemberCluster'> {
  spec: MemberClusterSpec;
  status?: MemberClusterStatus;
}

// ---- ResourceBinding --------------------------------------------------------------------------

/** The resource template on the hub. */
export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export const NODE_SELECTOR_OPERATORS = [
  'In',
  'NotIn',
  'Exists',
  'DoesNotExist',
  'Gt',
  'Lt',
] as const;
export type NodeSelectorOperator = (typeof NODE_SELECTOR_OPERATORS)[number];

export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator;
  values?: string[];
}

/** Requirements ANDed. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** core/v1 NodeSelector: terms ORed. */
export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

export const TOLERATION_EFFECTS = ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TolerationEffect = (typeof TOLERATION_EFFECTS)[number];

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: TolerationEffect;
  tolerationSeconds?: number;
}

/** What one replica needs, from the pod template. */
export interface ReplicaRequirements {
  /** Effective requests of one pod (init containers and overhead included). */
  resourceRequest?: ResourceList;
  nodeSelector?: Record<string, string>;
  requiredNodeAffinity?: NodeSelector;
  tolerations?: Toleration[];
  priorityClassName?: string;
}

export const POLICY_KINDS = ['PropagationPolicy', 'ClusterPropagationPolicy'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export interface PolicyReference {
  kind: PolicyKind;
  /** Empty for a ClusterPropagationPolicy. */
  namespace?: string;
  name: string;
  uid?: string;
}

/** One member cluster's share of the template (the scheduling result). */
export interface TargetCluster {
  name: string;
  /** Absent or 0 when Duplicated. */
  replicas?: number;
  /** The clusterAffinities group the cluster was chosen from. */
  affinityName?: string;
  /** Of `replicas`, how many wait for capacity there (durable: read back as the next input). */
  waitingForCapacity?: number;
  /** Why the cluster holds this count, for people. */
  reason?: string;
}

/** Replicas a rebalance move adds to or takes from one cluster. */
export interface ReplicaShift {
  name: string;
  replicas: number;
}

/** A make-before-break move in flight (docs/rebalance.md). */
export interface RebalanceMoveState {
  /** Clusters raised first (already in spec.clusters). */
  raise: ReplicaShift[];
  /** Clusters lowered by as many once the raised replicas are Ready. */
  lower: ReplicaShift[];
  /** RFC 3339. */
  startedAt: string;
  /** "Automatic", or `WorkloadRebalancer/<name>`. */
  trigger: string;
}

export const MANUAL_REBALANCE_PHASES = ['Running', 'Succeeded', 'Failed'] as const;
export type ManualRebalancePhase = (typeof MANUAL_REBALANCE_PHASES)[number];

/** A one-shot request (WorkloadRebalancer) as the binding serves it. */
export interface ManualRebalanceState {
  /** The request served: `<rebalancer name>/<rebalancer uid>`. */
  request: string;
  phase: ManualRebalancePhase;
  message?: string;
}

/**
 * Rebalance bookkeeping, written with spec.clusters in one apply so that a restarted controller
 * resumes or abandons the move in flight and keeps the budget's timers.
 */
export interface RebalanceState {
  move?: RebalanceMoveState;
  /** RFC 3339: when the last move step ended (the interval counts from here). */
  lastMoveTime?: string;
  /** RFC 3339: since when a move has been possible (the stabilization window). */
  capacityFreeSince?: string;
  manual?: ManualRebalanceState;
}

export interface ResourceBindingSpec {
  resource: ObjectReference;
  /** 0 for kinds without replicas. */
  replicas?: number;
  replicaRequirements?: ReplicaRequirements;
  policy: PolicyReference;
  /** Copied from the policy. */
  placement?: Placement;
  autoScaling?: AutoScaling;
  failover?: FailoverBehavior;
  rebalance?: RebalanceBehavior;
  preserveResourcesOnDeletion?: boolean;
  schedulerName?: string;
  /** Written by the scheduler. */
  clusters?: TargetCluster[];
  /** Written by the rebalance step; absent when nothing is remembered. */
  rebalancing?: RebalanceState;
}

/** The state of the copy in one member cluster. */
export interface AggregatedStatusItem {
  clusterName: string;
  applied?: boolean;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  /** Replicas of this cluster's share that lack capacity there. */
  waitingForCapacity?: number;
  message?: string;
}

export const ResourceBindingConditionTypes = {
  /** spec.clusters is the scheduling result for the current spec. */
  Scheduled: 'Scheduled',
  /** Every member copy is applied. */
  FullyApplied: 'FullyApplied',
  /** A member already holds an object of that name that Spillway does not own, or policies tie. */
  Conflict: 'Conflict',
  /** The member workloads run every replica (their own conditions are summarised here). */
  Ready: 'Ready',
  /** propagateDeps: the pod template's ConfigMaps, Secrets, ... are where the replicas are. */
  DependenciesApplied: 'DependenciesApplied',
  /** Members asked for nodes (ProvisioningRequest) answer, or nobody needed to be asked. */
  Provisioning: 'Provisioning',
  /** rebalance (or a WorkloadRebalancer): True while a move home is in flight. */
  Rebalancing: 'Rebalancing',
  /** Override policies apply to some copy: every copy got its overriders (docs/overrides.md). */
  OverridesApplied: 'OverridesApplied',
} as const;

/** Reasons per ResourceBinding condition type (docs/fleet-controller.md lists what to do). */
export const ResourceBindingConditionReasons = {
  Scheduled: {
    Success: 'Success',
    /** Some replicas have a cluster but no capacity there yet. */
    WaitingForCapacity: 'WaitingForCapacity',
    /** Some replicas have no usable cluster at all. */
    NoCluster: 'NoCluster',
    /** The scheduler refused its input (a count out of range); retried only on a change. */
    InvalidInput: 'InvalidInput',
    /**
     * No policy selects the template any more while the one that placed it exists: the copies
     * are kept as they are, nothing is scheduled.
     */
    Unclaimed: 'Unclaimed',
  },
  FullyApplied: {
    Applied: 'Applied',
    NotApplied: 'NotApplied',
  },
  Conflict: {
    NoConflict: 'NoConflict',
    /** A member holds an object of the template's kind and name that Spillway did not create. */
    ConflictFound: 'ConflictFound',
    /** Another policy matches the template with the same priority and specificity. */
    PolicyTie: 'PolicyTie',
  },
  Ready: {
    AllReplicasReady: 'AllReplicasReady',
    /** Replicas are starting, waiting for nodes, or not ready yet; nothing has failed. */
    ReplicasNotReady: 'ReplicasNotReady',
    /** A member workload reports ReplicaFailure (e.g. FailedCreate) or Progressing=False. */
    MemberWorkloadFailed: 'MemberWorkloadFailed',
    /** Readiness is not tracked for the kind (a Job, a ConfigMap): FullyApplied is what is known. */
    StatusNotReported: 'StatusNotReported',
  },
  DependenciesApplied: {
    Applied: 'Applied',
    /** A referenced object is not on the hub (the workload is propagated all the same). */
    DependencyMissing: 'DependencyMissing',
    /** A copy could not be written: member unreachable, a foreign object, an API error. */
    NotApplied: 'NotApplied',
  },
  Provisioning: {
    /** No replica waits for nodes. */
    NoneNeeded: 'NoneNeeded',
    /** Members are asked for nodes for the replicas waiting there. */
    Requested: 'Requested',
    /** A member's autoscaler refused (e.g. CapacityLimitReached); its replicas spill over. */
    ProvisioningFailed: 'ProvisioningFailed',
  },
  Rebalancing: {
    /** A make-before-break move is in flight: the higher group raised, the lower not yet lowered. */
    MovingHome: 'MovingHome',
    /** Every group holds what a fresh schedule gives it. */
    Balanced: 'Balanced',
    /** Replicas could move home but wait: stabilization window, interval, or readiness. */
    Waiting: 'Waiting',
    /** The last move was dropped (a member NotReady, a scale, a policy edit, a timeout). */
    MoveAborted: 'MoveAborted',
  },
  OverridesApplied: {
    Applied: 'Applied',
    /** An override rule could not be applied to a member's copy; that copy is left as it was. */
    OverrideFailed: 'OverrideFailed',
  },
} as const;

/**
 * Conditions Spillway writes into a hub Deployment's status (the hub runs no Deployment
 * controller): the same types and, where they exist, the same reasons as the Deployment
 * controller, so `kubectl describe` and `kubectl rollout status` read them as usual.
 */
export const TemplateConditionReasons = {
  Available: {
    MinimumReplicasAvailable: 'MinimumReplicasAvailable',
    MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  },
  Progressing: {
    /** Every member copy has seen the latest spec and runs all its replicas. */
    MembersUpdated: 'MembersUpdated',
    /** Member copies are being updated or scaled. */
    MembersProgressing: 'MembersProgressing',
    /** A member copy reports Progressing=False (its progress deadline passed). */
    ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  },
  ReplicaFailure: {
    /** A member could not create pods (the member's own FailedCreate). */
    FailedCreate: 'FailedCreate',
  },
} as const;

export interface ResourceBindingStatus {
  observedGeneration?: number;
  schedulerObservedGeneration?: number;
  /** RFC 3339 time. */
  lastScheduledTime?: string;
  conditions?: Condition[];
  /** "c1: 2, c2: 1": replicas per cluster, for the PLACEMENT printer column. */
  placement?: string;
  readyReplicas?: number;
  waitingForCapacity?: number;
  aggregatedStatus?: AggregatedStatusItem[];
}

export interface ResourceBinding extends TypeMeta<typeof FLEET_API_VERSION, 'ResourceBinding'> {
  spec: ResourceBindingSpec;
  status?: ResourceBindingStatus;
}

/**
 * The binding of a template is named `<name>-<kind in lower case>` in its namespace; a name too
 * long for that is cut and given a hash of the whole, so every valid template name binds.
 */
export function bindingName(templateName: string, kind: string): string {
  return withSuffix(templateName, `-${kind.toLowerCase()}`);
}

// ---- WorkloadRebalancer -----------------------------------------------------------------------

/** A resource template on the hub, as a WorkloadRebalancer names it. */
export interface WorkloadReference {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export const REBALANCE_RESULTS = ['Running', 'Successful', 'Failed'] as const;
export type RebalanceResult = (typeof REBALANCE_RESULTS)[number];

/** Reasons of an observed workload's result (docs/rebalance.md). */
export const WorkloadRebalancerReasons = {
  /** No ResourceBinding for the workload: no policy claims it (or it has no replicas). */
  ReferencedBindingNotFound: 'ReferencedBindingNotFound',
  /** A move was aborted (the message says why). */
  MoveAborted: 'MoveAborted',
  /** A newer WorkloadRebalancer asked for the same workload before this one finished. */
  Superseded: 'Superseded',
} as const;

export interface ObservedWorkload {
  workload: WorkloadReference;
  result?: RebalanceResult;
  reason?: string;
  message?: string;
}

export interface WorkloadRebalancerStatus {
  observedGeneration?: number;
  observedWorkloads?: ObservedWorkload[];
  /** RFC 3339: when every workload had its final result. */
  finishTime?: string;
}

export interface WorkloadRebalancer extends TypeMeta<
  typeof FLEET_API_VERSION,
  'WorkloadRebalancer'
> {
  spec: { workloads: WorkloadReference[]; ttlSecondsAfterFinished?: number };
  status?: WorkloadRebalancerStatus;
}
