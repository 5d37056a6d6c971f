/**
 * Input and output of the fleet scheduler. These are the scheduler's own shapes, not the CRDs:
 * the controller maps PropagationPolicy, MemberCluster and estimates onto them, which keeps the
 * scheduler free of I/O and of @kubernetes/client-node. See docs/scheduling.md for the rule.
 */

/** One `clusterAffinities` entry. Groups are given highest priority first. */
export interface ClusterGroup {
  readonly name: string;
  readonly clusters: readonly string[];
}

/** One `staticWeightList` entry, its `targetCluster` already resolved to cluster names. */
export interface StaticWeightRule {
  readonly clusterNames: readonly string[];
  readonly weight: number;
}

/**
 * How Divided/Weighted splits new replicas inside a group. `dynamic` is `dynamicWeight:
 * AvailableReplicas`; `static` is `staticWeightList` (an empty list means equal weights, which is
 * what a Weighted policy without `weightPreference` asks for).
 */
export type Weighting =
  | { readonly kind: 'dynamic' }
  | { readonly kind: 'static'; readonly rules: readonly StaticWeightRule[] };

export type ReplicaScheduling =
  | { readonly type: 'Duplicated' }
  | { readonly type: 'Divided'; readonly division: 'Aggregated' }
  | { readonly type: 'Divided'; readonly division: 'Weighted'; readonly weighting: Weighting };

/** What the controller knows about one member cluster for one binding. */
export interface ClusterState {
  readonly name: string;
  /** Replicas the cluster holds now (its share in the previous result). */
  readonly cur: number;
  /** How many MORE replicas of this template fit (from the estimator). */
  readonly avail: number;
  /** How many of `cur` are ready; absent means all of them. */
  readonly ready?: number;
  /** The cluster can add nodes on demand (ecsProvision, cluster-autoscaler). */
  readonly canProvision?: boolean;
  /** The caller has already decided the cluster failed. */
  readonly failed?: boolean;
  /** Seconds the cluster has been not Ready; failed once past `tolerationSeconds`. */
  readonly notReadySeconds?: number;
  /**
   * The cluster is not Ready now (unreachable, or never probed Ready). It keeps the replicas it
   * holds until its toleration runs out, but takes no new ones: nobody can start them there.
   */
  readonly notReady?: boolean;
  /** Replicas unschedulable past their timeout: they leave this cluster for the others. */
  readonly stuck?: number;
}

export interface ScheduleInput {
  readonly replicas: number;
  /** Ordered groups; a plain `clusterAffinity` is one group. */
  readonly groups: readonly ClusterGroup[];
  readonly scheduling: ReplicaScheduling;
  /** State of the clusters the groups name, and of any cluster that still holds replicas. */
  readonly clusters: readonly ClusterState[];
  /** `autoScaling.ecsProvision`: ask provisionable clusters for nodes for waiting replicas. */
  readonly ecsProvision?: boolean;
  /** How long a cluster may be not Ready before it loses its replicas. */
  readonly tolerationSeconds?: number;
  /** The result this binding had before; carries "waiting for capacity" forward. */
  readonly previous?: ScheduleResult;
  /**
   * UID of the resource template. As in Karmada, it picks the order that breaks exact ties between
   * clusters (names ascending, or descending when its FNV-1a hash is odd); absent: ascending.
   */
  readonly uid?: string;
}

/** Karmada's default failover eviction timeout (5 minutes). */
export const DEFAULT_TOLERATION_SECONDS = 300;

export interface ClusterResult {
  readonly cluster: string;
  /** Name of the group the cluster belongs to; absent when it is outside the placement. */
  readonly group?: string;
  readonly replicas: number;
  /** Of `replicas`, how many wait for capacity that is not there yet. */
  readonly waiting: number;
  /** Why the cluster has this count, for `ResourceBinding.status` and Events. */
  readonly reason: string;
}

/** A cluster that should be asked for nodes (ecsProvision), for this many replicas. */
export interface ProvisionSignal {
  readonly cluster: string;
  readonly replicas: number;
}

export interface ScheduleResult {
  /** Clusters that hold replicas now or held some before, in group order then by name. */
  readonly clusters: readonly ClusterResult[];
  /** Total replicas waiting for capacity. */
  readonly waiting: number;
  /** Replicas with no cluster at all (no usable cluster in the placement). */
  readonly unplaced: number;
  readonly provision: readonly ProvisionSignal[];
}
