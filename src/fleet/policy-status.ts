/**
 * A policy's status (pure): how many templates it claims now, and conditions for every problem
 * the API server cannot reject at apply time because it depends on other objects: a kind the
 * hub does not serve, a selector naming another namespace, cluster names no MemberCluster has,
 * a cluster in several groups, a tie with another policy. `Ready` sums them up for kubectl.
 */
import { setStatusConditions, type ConditionInput } from '../api/conditions.js';
import {
  PolicyConditionReasons as R,
  type AnyPropagationPolicy,
  type PropagationPolicyStatus,
} from '../api/policy.js';
import { affinityClusters, type MemberInfo } from './placement.js';
import { choosePolicy, type PolicyChoice, type TemplateRef } from './policy-match.js';

export interface PolicyStatusInput {
  policy: AnyPropagationPolicy;
  /** Every policy on the hub (ties and claims depend on the others). */
  policies: readonly AnyPropagationPolicy[];
  /** Templates of the kinds the policy's selectors name. */
  templates: readonly TemplateRef[];
  members: readonly MemberInfo[];
  /** Why a selector's kind cannot be watched, per selector that has such a problem. */
  unknownKinds: readonly string[];
  now: Date;
  /**
   * Which policy claims a template. The caller may pass one that remembers its answers: writing
   * every policy's status asks it once per policy for each template, and each answer looks at
   * every policy, so without it P policies over T templates cost P x T x P.
   */
  choose?: (t: TemplateRef) => PolicyChoice | undefined;
}

const same = (a: AnyPropagationPolicy, b: AnyPropagationPolicy) =>
  a.kind === b.kind &&
  (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '') &&
  a.metadata.name === b.metadata.name;

const label = (p: AnyPropagationPolicy) =>
  p.kind === 'PropagationPolicy'
    ? `PropagationPolicy ${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`
    : `ClusterPropagationPolicy ${p.metadata.name ?? ''}`;

/** Cluster names the placement lists that no MemberCluster has. */
export function unknownClusterNames(
  p: AnyPropagationPolicy,
  members: readonly MemberInfo[],
): string[] {
  const known = new Set(members.map((m) => m.name));
  const pl = p.spec.placement;
  const listed = [
    ...(pl?.clusterAffinity?.clusterNames ?? []),
    ...(pl?.clusterAffinities ?? []).flatMap((a) => a.clusterNames ?? []),
  ];
  return [...new Set(listed.filter((n) => !known.has(n)))].sort();
}

/** "c1 in idc, cloud": clusters that several clusterAffinities groups select. */
export function clustersInSeveralGroups(
  p: AnyPropagationPolicy,
  members: readonly MemberInfo[],
): { cluster: string; groups: string[] }[] {
  const groupsOf = new Map<string, string[]>();
  for (const a of p.spec.placement?.clusterAffinities ?? []) {
    for (const c of affinityClusters(a, members))
      groupsOf.set(c, [...(groupsOf.get(c) ?? []), a.affinityName]);
    // Names not registered yet would collide as soon as they are: report them now.
    for (const c of a.clusterNames ?? [])
      if (!members.some((m) => m.name === c))
        groupsOf.set(c, [...(groupsOf.get(c) ?? []), a.affinityName]);
  }
  return [...groupsOf]
    .filter(([, gs]) => new Set(gs).size > 1)
    .map(([cluster, gs]) => ({ cluster, groups: [...new Set(gs)] }))
    .sort((a, b) => a.cluster.localeCompare(b.cluster));
}

export function policyStatusOf(i: PolicyStatusInput): PropagationPolicyStatus {
  const p = i.policy;
  const gen =
    p.metadata.generation !== undefined ? { observedGeneration: p.metadata.generation } : {};

  let claimed = 0;
  const ties = new Map<string, string[]>(); // other policy -> templates
  for (const t of i.templates) {
    const choice = i.choose ? i.choose(t) : choosePolicy(t, i.policies);
    if (!choice) continue;
    const group = [choice.policy, ...choice.tiedWith];
    if (same(choice.policy, p)) claimed++;
    if (!group.some((x) => same(x, p))) continue;
    for (const other of group) {
      if (same(other, p)) continue;
      ties.set(label(other), [...(ties.get(label(other)) ?? []), `${t.namespace}/${t.name}`]);
    }
  }

  const ns = p.kind === 'PropagationPolicy' ? (p.metadata.namespace ?? '') : undefined;
  const foreignNs =
    ns === undefined
      ? []
      : p.spec.resourceSelectors
          .map((s, idx) => ({ s, idx }))
          .filter(({ s }) => s.namespace && s.namespace !== ns)
          .map(
            ({ s, idx }) =>
              `resourceSelectors[${idx}] names namespace ${s.namespace ?? ''}, but a PropagationPolicy selects only in its own namespace (${ns}); use a ClusterPropagationPolicy`,
          );

  const accepted: ConditionInput =
    i.unknownKinds.length > 0
      ? {
          type: 'Accepted',
          status: 'False',
          reason: R.Accepted.UnknownKind,
          message: i.unknownKinds.join('; '),
        }
      : foreignNs.length > 0
        ? {
            type: 'Accepted',
            status: 'False',
            reason: R.Accepted.SelectorNamespaceMismatch,
            message: foreignNs.join('; '),
          }
        : {
            type: 'Accepted',
            status: 'True',
            reason: R.Accepted.Accepted,
            message: 'the policy is in effect',
          };

  const tieText = [...ties]
    .map(([other, ts]) => `ties with ${other} for ${ts.sort().join(', ')}`)
    .join('; ');
  const conflict: ConditionInput =
    ties.size > 0
      ? {
          type: 'Conflict',
          status: 'True',
          reason: R.Conflict.PolicyTie,
          message: `${tieText} (same priority and selector specificity; the name first in alphabetical order wins): give one a higher priority`,
        }
      : {
          type: 'Conflict',
          status: 'False',
          reason: R.Conflict.NoConflict,
          message: 'no conflict',
        };

  const unknown = unknownClusterNames(p, i.members);
  const several = clustersInSeveralGroups(p, i.members);
  const problems = [
    ...(unknown.length > 0
      ? [`no MemberCluster named ${unknown.join(', ')} (skipped until one is registered)`]
      : []),
    ...several.map(
      (x) =>
        `${x.cluster} is in groups ${x.groups.join(', ')}: it counts in ${x.groups[0] ?? ''} only`,
    ),
  ];
  const resolved: ConditionInput =
    problems.length === 0
      ? {
          type: 'ClustersResolved',
          status: 'True',
          reason: R.ClustersResolved.Resolved,
          message: 'every cluster the placement names is registered, in one group',
        }
      : {
          type: 'ClustersResolved',
          status: 'False',
          reason:
            unknown.length > 0
              ? R.ClustersResolved.UnknownClusters
              : R.ClustersResolved.ClusterInSeveralGroups,
          message: problems.join('; '),
        };

  const failing = [accepted, conflict, resolved].find((c) =>
    c.type === 'Conflict' ? c.status === 'True' : c.status === 'False',
  );
  const ready: ConditionInput = failing
    ? {
        type: 'Ready',
        status: 'False',
        reason: failing.reason,
        message: `${failing.type}: ${failing.message}`,
      }
    : {
        type: 'Ready',
        status: 'True',
        reason: R.Ready.Ready,
        message: `the policy is in effect and claims ${claimed} template${claimed === 1 ? '' : 's'}`,
      };

  return {
    ...gen,
    matchedTemplates: claimed,
    affinityGroups: (p.spec.placement?.clusterAffinities ?? [])
      .map((a) => a.affinityName)
      .join(', '),
    conditions: setStatusConditions(
      p.status?.conditions,
      [accepted, conflict, resolved, ready].map((c) => ({ ...c, ...gen })),
      i.now,
    ),
  };
}
