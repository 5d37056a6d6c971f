/**
 * `kubectl amc plan`: what the fleet controller would do with a workload at a given replica
 * count, computed from what was read from the hub and the members, with the controller's own
 * code (policy choice, placement, estimator, cluster state, scheduler). Pure: no I/O here.
 */
import type { ResourceBinding } from '../../api/fleet.js';
import type { AnyPropagationPolicy } from '../../api/policy.js';
import { POLICY_DEFAULTS } from '../../api/policy.js';
import { Estimator } from '../../estimator/index.js';
import type { NodeInput, PodInput, PodTemplateInput } from '../../estimator/index.js';
import { clusterState, previousResult } from '../../fleet/cluster-state.js';
import { kindOf, podSelectorOf, podTemplateOf, replicasOf } from '../../fleet/kinds.js';
import type { TemplateObject } from '../../fleet/member-copy.js';
import { PendingPods } from '../../fleet/pending-pods.js';
import { resolvePlacement } from '../../fleet/placement.js';
import { choosePolicy } from '../../fleet/policy-match.js';
import { baseOf } from '../../fleet/rebalance.js';
import { storedRebalance } from '../../fleet/rebalance-binding.js';
import { healthInput, podlessReplicas } from '../../fleet/workload-health.js';
import type { ReplicaScheduling, ScheduleResult } from '../../scheduler/index.js';
import { ScheduleInputError, schedule } from '../../scheduler/index.js';

/** One member cluster as read for the plan. */
export interface PlanMember {
  readonly name: string;
  readonly alias: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly deleting: boolean;
  /** Its MemberCluster says Ready (the controller's probe). */
  readonly ready: boolean;
  readonly notReadySeconds: number;
  readonly canProvision: boolean;
  /** Its nodes and pods; absent when the member could not be read. */
  readonly nodes?: readonly NodeInput[];
  readonly pods?: readonly PodInput[];
  /** Status of the member's copy of the workload, when it has one. */
  readonly copyStatus?: Readonly<Record<string, unknown>>;
  /** Its ProvisioningRequest for this binding was refused. */
  readonly requestFailed: boolean;
}

export interface PlanRequest {
  readonly template: TemplateObject;
  /** The replica count to plan for. */
  readonly replicas: number;
  /** The policies that may claim the template (the hub's, or the one from --policy). */
  readonly policies: readonly AnyPropagationPolicy[];
  readonly binding?: ResourceBinding;
  readonly members: readonly PlanMember[];
  readonly nowMs: number;
}

export interface PlanRow {
  readonly cluster: string;
  readonly alias: string;
  readonly group?: string;
  /** Replicas the cluster holds now (its share in the binding). */
  readonly now: number;
  readonly planned: number;
  /** Of `planned`, replicas that would wait for capacity. */
  readonly waiting: number;
  /** Replicas nodes would be requested for (ProvisioningRequest), 0 if none. */
  readonly provision: number;
  /** How many more replicas fit there now, from the estimator. */
  readonly room: number;
  readonly reason: string;
}

export interface Plan {
  readonly workload: string;
  readonly namespace: string;
  readonly policy: string;
  readonly scheduling: string;
  readonly fromReplicas: number;
  readonly replicas: number;
  readonly clusters: readonly PlanRow[];
  readonly waiting: number;
  readonly unplaced: number;
  /** Things the reader should know: unreachable members, unknown cluster names, ties. */
  readonly notes: readonly string[];
}

export type PlanOutcome = { readonly plan: Plan } | { readonly error: string };

function describeScheduling(s: ReplicaScheduling): string {
  if (s.type === 'Duplicated') return 'Duplicated';
  if (s.division === 'Aggregated') return 'Divided/Aggregated';
  return s.weighting.kind === 'dynamic'
    ? 'Divided/Weighted (dynamic: AvailableReplicas)'
    : 'Divided/Weighted (staticWeightList)';
}

function policyName(p: AnyPropagationPolicy): string {
  return p.kind === 'PropagationPolicy'
    ? `PropagationPolicy ${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`
    : `ClusterPropagationPolicy ${p.metadata.name ?? ''}`;
}

/** The plan for `req.replicas`, or why there is none. */
export function makePlan(req: PlanRequest): PlanOutcome {
  const { template, nowMs } = req;
  const namespace = template.metadata.namespace ?? '';
  const name = template.metadata.name ?? '';
  const workload = `${template.kind.toLowerCase()}/${name}`;
  const choice = choosePolicy(
    {
      apiVersion: template.apiVersion,
      kind: template.kind,
      namespace,
      name,
      labels: template.metadata.labels ?? {},
    },
    req.policies,
  );
  if (!choice)
    return {
      error: `no PropagationPolicy or ClusterPropagationPolicy selects ${workload} in namespace ${namespace}`,
    };
  const policy = choice.policy;
  const notes: string[] = [];
  if (choice.tiedWith.length > 0)
    notes.push(
      `${policyName(policy)} ties with ${choice.tiedWith.map(policyName).join(', ')}; the first by name wins`,
    );
  const live = req.members.filter((m) => !m.deleting);
  const placement = resolvePlacement(
    policy.spec.placement,
    live.map((m) => ({ name: m.name, labels: m.labels })),
  );
  if (placement.unknownClusters.length > 0)
    notes.push(
      `the policy names clusters that are not registered: ${placement.unknownClusters.join(', ')}`,
    );

  const scaled: TemplateObject = {
    ...template,
    spec: { ...template.spec, replicas: req.replicas },
  };
  const kind = kindOf(scaled);
  const replicas = replicasOf(scaled);
  const podTemplate = podTemplateOf(scaled);
  const spilloverMs =
    (policy.spec.failover?.application?.spilloverAfterSeconds ??
      POLICY_DEFAULTS.spilloverAfterSeconds) * 1000;
  const ecsProvision = policy.spec.autoScaling?.ecsProvision === true;
  const prev = previousResult(req.binding);
  const stored = storedRebalance(req.binding?.spec.rebalancing);
  const divided = placement.scheduling.type === 'Divided';
  const base = baseOf(
    new Map((prev?.clusters ?? []).map((c) => [c.cluster, c.replicas])),
    divided ? stored.move : undefined,
  );
  const byName = new Map(req.members.map((m) => [m.name, m]));
  const names = new Set([
    ...placement.groups.flatMap((g) => g.clusters),
    ...(prev?.clusters ?? []).map((c) => c.cluster),
  ]);
  const selector = podSelectorOf(scaled) ?? {};
  const states = [...names].sort().map((cluster) => {
    const m = byName.get(cluster);
    const cur = base.get(cluster) ?? 0;
    const readable = m?.nodes !== undefined && m.pods !== undefined;
    if (m && m.ready && !readable)
      notes.push(`member ${cluster} could not be read: counted as having no room`);
    let capacity;
    if (m && m.ready && readable && podTemplate) {
      const estimator = new Estimator();
      for (const n of m.nodes ?? []) estimator.upsertNode(n);
      for (const p of m.pods ?? []) estimator.upsertPod(p);
      const pending = new PendingPods();
      pending.reset(m.pods ?? []);
      capacity = {
        maxReplicas: estimator.maxReplicas(podTemplate as PodTemplateInput),
        pending: pending.count(namespace, selector, spilloverMs, nowMs),
        podless: podlessReplicas(cur, healthInput(m.copyStatus), spilloverMs, nowMs),
      };
    }
    const copyReady =
      m?.copyStatus && kind.readyServes && kind.counts
        ? (kind.counts(m.copyStatus as Record<string, unknown>).readyReplicas ?? 0)
        : undefined;
    return clusterState({
      name: cluster,
      cur,
      registered: m !== undefined && !m.deleting,
      ready: m?.ready === true,
      notReadySeconds: m?.notReadySeconds ?? 0,
      canProvision: m?.canProvision === true,
      ecsProvision,
      replicas,
      hasPods: podTemplate !== undefined,
      spilloverMs,
      requestFailed: m?.requestFailed === true,
      ...(capacity ? { capacity } : {}),
      ...(copyReady !== undefined ? { copyReady } : {}),
    });
  });

  let result: ScheduleResult;
  try {
    result = schedule({
      replicas,
      groups: placement.groups,
      scheduling: placement.scheduling,
      clusters: states,
      ecsProvision,
      tolerationSeconds:
        policy.spec.failover?.cluster?.tolerationSeconds ??
        POLICY_DEFAULTS.clusterTolerationSeconds,
      ...(prev ? { previous: prev } : {}),
      ...(typeof template.metadata.uid === 'string' ? { uid: template.metadata.uid } : {}),
    });
  } catch (err) {
    if (err instanceof ScheduleInputError) return { error: err.message };
    throw err;
  }
  if (policy.spec.rebalance?.enabled === true)
    notes.push('the policy rebalances: replicas may later move home to a higher-priority group');
  const provisionOf = new Map(result.provision.map((p) => [p.cluster, p.replicas]));
  // Clusters of the placement that get nothing: the scheduler says nothing of them, so say why.
  const listed = new Set(result.clusters.map((c) => c.cluster));
  const idle: PlanRow[] = placement.groups.flatMap((g) =>
    g.clusters
      .filter((c) => !listed.has(c))
      .map((c) => {
        const st = states.find((s) => s.name === c);
        const why =
          replicas === 0
            ? 'nothing to place at 0 replicas'
            : st?.notReady === true
              ? 'member not Ready: takes no new replicas'
              : (st?.avail ?? 0) === 0
                ? 'no room for a replica'
                : 'not needed: the replicas fit before it';
        return {
          cluster: c,
          alias: byName.get(c)?.alias ?? c,
          group: g.name,
          now: 0,
          planned: 0,
          waiting: 0,
          provision: 0,
          room: st?.avail ?? 0,
          reason: `group ${g.name}: ${why}`,
        };
      }),
  );
  const roomOf = new Map(states.map((s) => [s.name, s.avail]));
  return {
    plan: {
      workload,
      namespace,
      policy: policyName(policy),
      scheduling: describeScheduling(placement.scheduling),
      fromReplicas: replicasOf(template),
      replicas,
      clusters: [
        ...result.clusters.map((c) => ({
          cluster: c.cluster,
          alias: byName.get(c.cluster)?.alias ?? c.cluster,
          ...(c.group !== undefined ? { group: c.group } : {}),
          now: base.get(c.cluster) ?? 0,
          planned: c.replicas,
          waiting: c.waiting,
          provision: provisionOf.get(c.cluster) ?? 0,
          room: roomOf.get(c.cluster) ?? 0,
          reason: c.reason,
        })),
        ...idle,
      ],
      waiting: result.waiting,
      unplaced: result.unplaced,
      notes,
    },
  };
}
