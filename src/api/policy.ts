/**
 * PropagationPolicy and ClusterPropagationPolicy (policy.one.alibabacloud.com/v1alpha1): which
 * resource templates go to which member clusters, in which priority order. The schema, with the
 * documentation of every field and its validation, is config/crds/policy.one.alibabacloud.com_*.
 * These types describe objects as users write them: fields with a schema default are optional.
 */
import type { Condition, LabelSelector, TypeMeta } from './meta.js';

export const POLICY_GROUP = 'policy.one.alibabacloud.com';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_API_VERSION = `${POLICY_GROUP}/${POLICY_VERSION}` as const;

export const REPLICA_SCHEDULING_TYPES = ['Duplicated', 'Divided'] as const;
export type ReplicaSchedulingType = (typeof REPLICA_SCHEDULING_TYPES)[number];

export const REPLICA_DIVISION_PREFERENCES = ['Aggregated', 'Weighted'] as const;
export type ReplicaDivisionPreference = (typeof REPLICA_DIVISION_PREFERENCES)[number];

export const DYNAMIC_WEIGHT_FACTORS = ['AvailableReplicas'] as const;
export type DynamicWeightFactor = (typeof DYNAMIC_WEIGHT_FACTORS)[number];

/** Schema defaults, which the API server fills in; exported for code that reads raw input. */
export const POLICY_DEFAULTS = {
  priority: 0,
  schedulerName: 'default-scheduler',
  replicaSchedulingType: 'Divided',
  clusterTolerationSeconds: 300,
  spilloverAfterSeconds: 300,
  rebalanceStabilizationWindowSeconds: 300,
  rebalanceMaxReplicas: 1,
  rebalanceMinIntervalSeconds: 30,
} as const;

/** Selects resource templates by apiVersion and kind, optionally namespace, name or labels. */
export interface ResourceSelector {
  apiVersion: string;
  kind: string;
  /** Empty: the policy's namespace (PropagationPolicy) or every namespace (cluster policy). */
  namespace?: string;
  /** Mutually exclusive with labelSelector. */
  name?: string;
  labelSelector?: LabelSelector;
}

/** A group of member clusters: clusterNames and labelSelector matches, minus exclude. */
export interface ClusterAffinity {
  clusterNames?: string[];
  exclude?: string[];
  /** {} selects every member cluster. */
  labelSelector?: LabelSelector;
}

/** One named, ordered group of `placement.clusterAffinities`. */
export interface ClusterAffinityTerm extends ClusterAffinity {
  affinityName: string;
}

export interface StaticClusterWeight {
  targetCluster: ClusterAffinity;
  /** 1 to 1000000. */
  weight: number;
}

/** Exactly one of staticWeightList and dynamicWeight. */
export interface ClusterPreferences {
  staticWeightList?: StaticClusterWeight[];
  dynamicWeight?: DynamicWeightFactor;
}

export interface ReplicaSchedulingStrategy {
  /** Defaults to Divided (when replicaScheduling itself is omitted: Duplicated). */
  replicaSchedulingType?: ReplicaSchedulingType;
  replicaDivisionPreference?: ReplicaDivisionPreference;
  /** Only with Divided and Weighted. */
  weightPreference?: ClusterPreferences;
}

/** Where templates go. clusterAffinity and clusterAffinities are mutually exclusive. */
export interface Placement {
  clusterAffinity?: ClusterAffinity;
  /** Highest priority first. */
  clusterAffinities?: ClusterAffinityTerm[];
  replicaScheduling?: ReplicaSchedulingStrategy;
}

export interface AutoScaling {
  /** Ask provisioning-capable clusters of the lowest-priority group for nodes. */
  ecsProvision?: boolean;
}

export interface ClusterFailover {
  /** Seconds a member may stay not Ready before its replicas are rescheduled (default 300). */
  tolerationSeconds?: number;
}

export interface ApplicationFailover {
  /** Seconds replicas may stay unschedulable before spilling to the next group; 0 disables. */
  spilloverAfterSeconds?: number;
}

export interface FailoverBehavior {
  cluster?: ClusterFailover;
  application?: ApplicationFailover;
}

/** How much one rebalance step may move, and how often (docs/rebalance.md). */
export interface RebalanceBudget {
  /** Replicas one step raises the higher group by before lowering the lower one (default 1). */
  maxReplicas?: number;
  /** Seconds from the end of one step to the start of the next (default 30). */
  minIntervalSeconds?: number;
}

/** Opt-in: move replicas back to higher-priority groups when capacity frees up there. */
export interface RebalanceBehavior {
  enabled?: boolean;
  /** Seconds the higher-priority capacity must stay free first (default 300). */
  stabilizationWindowSeconds?: number;
  budget?: RebalanceBudget;
}

export interface PropagationSpec {
  resourceSelectors: ResourceSelector[];
  placement?: Placement;
  /** Higher wins among policies matching the same template (default 0). */
  priority?: number;
  schedulerName?: string;
  preserveResourcesOnDeletion?: boolean;
  /** Propagate the ConfigMaps, Secrets, ServiceAccount and PVCs the pod template references. */
  propagateDeps?: boolean;
  autoScaling?: AutoScaling;
  failover?: FailoverBehavior;
  rebalance?: RebalanceBehavior;
}

/** Condition types of a policy's status. */
export const PolicyConditionTypes = {
  /** The controller can act on the policy (False: e.g. a selector names another namespace). */
  Accepted: 'Accepted',
  /** The policy ties with another one for some template. */
  Conflict: 'Conflict',
  /** Every cluster name the placement lists is a registered member, in one group. */
  ClustersResolved: 'ClustersResolved',
  /** Sum of the others: True when the policy is accepted, without tie and its clusters resolve. */
  Ready: 'Ready',
} as const;

/** Reasons per policy condition type (docs/fleet-controller.md lists what to do). */
export const PolicyConditionReasons = {
  Accepted: {
    Accepted: 'Accepted',
    /** A resource selector names a kind the hub does not serve. */
    UnknownKind: 'UnknownKind',
    /** A PropagationPolicy selector names another namespace: it can never match there. */
    SelectorNamespaceMismatch: 'SelectorNamespaceMismatch',
  },
  Conflict: {
    NoConflict: 'NoConflict',
    /** Another policy matches a template with the same priority and specificity. */
    PolicyTie: 'PolicyTie',
  },
  ClustersResolved: {
    Resolved: 'Resolved',
    /** clusterNames lists names no MemberCluster has (they are skipped). */
    UnknownClusters: 'UnknownClusters',
    /** A cluster is selected by several clusterAffinities groups (it counts in the first). */
    ClusterInSeveralGroups: 'ClusterInSeveralGroups',
  },
  /** False carries the reason of the first failing condition above. */
  Ready: {
    Ready: 'Ready',
    UnknownKind: 'UnknownKind',
    SelectorNamespaceMismatch: 'SelectorNamespaceMismatch',
    PolicyTie: 'PolicyTie',
    UnknownClusters: 'UnknownClusters',
    ClusterInSeveralGroups: 'ClusterInSeveralGroups',
  },
} as const;

export interface PropagationPolicyStatus {
  observedGeneration?: number;
  matchedTemplates?: number;
  /** "idc, ack": the group names in order, for the GROUPS printer column. */
  affinityGroups?: string;
  conditions?: Condition[];
}

export interface PropagationPolicy extends TypeMeta<
  typeof POLICY_API_VERSION,
  'PropagationPolicy'
> {
  spec: PropagationSpec;
  status?: PropagationPolicyStatus;
}

export interface ClusterPropagationPolicy extends TypeMeta<
  typeof POLICY_API_VERSION,
  'ClusterPropagationPolicy'
> {
  spec: PropagationSpec;
  status?: PropagationPolicyStatus;
}

export type AnyPropagationPolicy = PropagationPolicy | ClusterPropagationPolicy;
