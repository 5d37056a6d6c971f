/**
 * A policy's placement, resolved against the registered member clusters into what the
 * scheduler takes: ordered groups of cluster names and the replica scheduling mode.
 */
import type { ClusterAffinity, Placement } from '../api/policy.js';
import type { ClusterGroup, ReplicaScheduling, StaticWeightRule } from '../scheduler/index.js';
import { matchesSelector } from './labels.js';

export interface MemberInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface ResolvedPlacement {
  groups: ClusterGroup[];
  scheduling: ReplicaScheduling;
  /** Cluster names the policy lists that are not registered members (reported, not used). */
  unknownClusters: string[];
}

/** Members an affinity selects: named or label-matched, minus the excluded, in name order. */
export function affinityClusters(a: ClusterAffinity, members: readonly MemberInfo[]): string[] {
  const named = new Set(a.clusterNames ?? []);
  const excluded = new Set(a.exclude ?? []);
  return members
    .filter(
      (m) =>
        named.has(m.name) ||
        (a.labelSelector !== undefined && matchesSelector(m.labels, a.labelSelector)),
    )
    .filter((m) => !excluded.has(m.name))
    .map((m) => m.name)
    .sort();
}

export function resolvePlacement(
  placement: Placement | undefined,
  members: readonly MemberInfo[],
): ResolvedPlacement {
  const known = new Set(members.map((m) => m.name));
  const listed: string[] = [];
  let groups: ClusterGroup[];
  if (placement?.clusterAffinities && placement.clusterAffinities.length > 0) {
    groups = placement.clusterAffinities.map((a) => {
      listed.push(...(a.clusterNames ?? []));
      return { name: a.affinityName, clusters: affinityClusters(a, members) };
    });
  } else if (placement?.clusterAffinity) {
    listed.push(...(placement.clusterAffinity.clusterNames ?? []));
    groups = [
      { name: 'clusterAffinity', clusters: affinityClusters(placement.clusterAffinity, members) },
    ];
  } else {
    // No affinity: every member cluster, as one group.
    groups = [{ name: 'all', clusters: members.map((m) => m.name).sort() }];
  }
  return {
    groups,
    scheduling: resolveScheduling(placement, members),
    unknownClusters: [...new Set(listed.filter((n) => !known.has(n)))].sort(),
  };
}

function resolveScheduling(
  placement: Placement | undefined,
  members: readonly MemberInfo[],
): ReplicaScheduling {
  const rs = placement?.replicaScheduling;
  // No replicaScheduling at all: every selected cluster gets the whole template (Karmada's default).
  if (!rs || (rs.replicaSchedulingType ?? 'Divided') === 'Duplicated')
    return { type: 'Duplicated' };
  if (rs.replicaDivisionPreference === 'Aggregated')
    return { type: 'Divided', division: 'Aggregated' };
  const wp = rs.weightPreference;
  if (wp?.dynamicWeight === 'AvailableReplicas') {
    return { type: 'Divided', division: 'Weighted', weighting: { kind: 'dynamic' } };
  }
  const rules: StaticWeightRule[] = (wp?.staticWeightList ?? []).map((w) => ({
    clusterNames: affinityClusters(w.targetCluster, members),
    weight: w.weight,
  }));
  return { type: 'Divided', division: 'Weighted', weighting: { kind: 'static', rules } };
}
