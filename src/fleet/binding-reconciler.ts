/**
 * Reconciles one resource template on the hub through the pipeline: policy match (detector),
 * ResourceBinding, scheduling, member copies (syncer), ProvisioningRequests for replicas that
 * wait for capacity, and status aggregation back into the binding and the hub template.
 * Idempotent: every step reads the current state and writes only differences.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { conditionsChanged, setStatusCondition, type ConditionInput } from '../api/conditions.js';
import type { Condition } from '../api/meta.js';
import {
  FLEET_API_VERSION,
  FLEET_GROUP,
  FLEET_VERSION,
  DEFAULT_PROVISIONING_CLASS,
  ResourceBindingConditionReasons as R,
  bindingName,
  type ResourceBinding,
  type ResourceBindingSpec,
  type TargetCluster,
} from '../api/fleet.js';
import type { AnyOverridePolicy } from '../api/override.js';
import type { AnyPropagationPolicy } from '../api/policy.js';
import { POLICY_DEFAULTS } from '../api/policy.js';
import type { PodTemplateInput } from '../estimator/index.js';
import { objectApi } from '../runtime/connections.js';
import type { EventRecorder } from '../runtime/events.js';
import { statusCode } from '../runtime/api-errors.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import type { ReconcileResult } from '../runtime/workqueue.js';
import {
  ScheduleInputError,
  schedule,
  type ClusterState,
  type ScheduleResult,
} from '../scheduler/index.js';
import { mapBounded } from '../util/bounded.js';
import { applyAsSoleOwner, takeOver, takeOverUnfinished } from './adoption.js';
import { AppliedCache } from './applied-cache.js';
import { DependencySyncer, ensureNamespace, keepIfRequired } from './dependency-sync.js';
import type { MemberObject } from './dependencies.js';
import type { MemberRegistry } from './member-registry.js';
import {
  keepImmutable,
  kindOf,
  podSelectorOf,
  replicasOf,
  shareFields,
  type KindEntry,
} from './kinds.js';
import { hasReplicas, memberCopy, type TemplateObject } from './member-copy.js';
import {
  BINDING_ANNOTATION,
  BINDING_FINALIZER,
  FIELD_MANAGER,
  PLACEMENT_ANNOTATION,
  TEMPLATE_FINALIZER,
  isManagedCopy,
  ownershipOf,
} from './ownership.js';
import { overrideCopy, failureText as overrideFailureText } from './override-copy.js';
import { overrideSteps } from './override-match.js';
import type { MemberOverride } from './override-status.js';
import { resolvePlacement } from './placement.js';
import { choosePolicy } from './policy-match.js';
import { consumeAnnotations, provisioningName, type ProvisioningAsk } from './provisioning.js';
import {
  deleteRequests,
  readRequest,
  syncRequest,
  type MemberRequest,
} from './provisioning-sync.js';
import { podTemplateOf, replicaRequirements } from './requirements.js';
import { baseOf, decideRebalance, freshStates, type RebalanceDecision } from './rebalance.js';
import {
  REBALANCE_REQUEST_ANNOTATION,
  budgetOf,
  countsOf,
  manualAfter,
  manualRequest,
  rebalanceEvent,
  rebalanceStateOf,
  rebalancingCondition,
  storedRebalance,
  withRebalance,
} from './rebalance-binding.js';
import {
  TemplateEventReasons,
  bindingStatusOf,
  failureText,
  invalidInputCondition,
  placementText,
  templateStatusOf,
  type BindingStatusInput,
  type ProvisioningFailure,
} from './binding-status.js';
import { statusPatchChanges } from './status-change.js';
import { healthInput, podlessReplicas } from './workload-health.js';
import { clusterState, previousResult } from './cluster-state.js';
import type { MemberWorkload } from './status-aggregate.js';
import { parseTemplateKey, type TemplateKey } from './template-key.js';
import type { TemplateKinds } from './template-kinds.js';
import type { FleetMetrics } from './metrics.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Member copies written at once per reconcile: members answer independently. */
const MEMBER_WRITES_IN_FLIGHT = 4;
/** The binding's entry in the AppliedCache (member copies are entered by member name). */
const BINDING_TARGET = ' binding';

export interface ReconcilerDeps {
  hub: KubeConfig;
  logger: Logger;
  recorder: EventRecorder;
  members: MemberRegistry;
  templates: TemplateKinds;
  policies: () => AnyPropagationPolicy[];
  /** Override policies, and where to report what they did to each template's copies. */
  overrides?: OverrideSource;
  metrics: FleetMetrics;
  /** Re-check period while replicas wait, are not ready, or a timeout may expire. */
  recheckMs?: number;
}

export interface OverrideSource {
  policies(): AnyOverridePolicy[];
  /** The outcome per member copy of one reconcile; an empty list when the template is released. */
  observed(templateKey: string, outcomes: readonly MemberOverride[]): void;
}

/** A member copy we created earlier: where it is (from the binding's last result). */
function previousClusters(b: ResourceBinding | undefined): string[] {
  const names = new Set<string>();
  for (const c of b?.spec.clusters ?? []) names.add(c.name);
  for (const s of b?.status?.aggregatedStatus ?? []) if (s.applied) names.add(s.clusterName);
  return [...names].sort();
}

/** Adds annotations to the pod template of a copy (kinds without one are left alone). */
function addPodAnnotations(copy: TemplateObject, annotations: Record<string, string>): void {
  const tpl = copy.spec?.template as
    { metadata?: { annotations?: Record<string, string> } } | undefined;
  if (!tpl) return;
  tpl.metadata = { ...tpl.metadata, annotations: { ...tpl.metadata?.annotations, ...annotations } };
}

export class BindingReconciler {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly dependencies: DependencySyncer;
  private readonly core: CoreV1Api;
  /**
   * Bindings deleted by hand under a live template, by template key: their placement carries
   * over to the binding that replaces them, so no running replica moves.
   */
  private readonly carried = new Map<string, ResourceBinding>();
  /** uids of refused ProvisioningRequests already counted and reported. */
  private readonly failedRequests = new Set<string>();
  /** What was applied last, so an unchanged reconcile writes nothing (applied-cache.ts). */
  private readonly applied = new AppliedCache();

  constructor(private readonly deps: ReconcilerDeps) {
    this.core = deps.hub.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(deps.hub);
    this.custom = deps.hub.makeApiClient(CustomObjectsApi);
    this.dependencies = new DependencySyncer(deps.hub, deps.members);
  }

  async reconcile(keyText: string): Promise<ReconcileResult | undefined> {
    const key = parseTemplateKey(keyText);
    // From now on every member watches its copies of this kind (status, stale copies).
    for (const m of this.deps.members.infos())
      this.deps.members.get(m.name)?.connection?.watchCopies(key);
    const log = this.deps.logger.child({ key: `${key.kind}/${key.namespace}/${key.name}` });
    const template = this.deps.templates.get(key, key.namespace, key.name) as
      TemplateObject | undefined;
    const bName = bindingName(key.name, key.kind);
    // Read, not the watch cache: a cache one write behind would hand the scheduler an old
    // result, and a cluster holding replicas could be forgotten (and its copy orphaned).
    const binding = await this.readBinding(key.namespace, bName);

    const deleting = !template || template.metadata.deletionTimestamp !== undefined;
    if (deleting || binding?.metadata.deletionTimestamp) {
      // A binding deleted under a live template is only let go (copies kept, result carried
      // over to the binding that replaces it), unless its whole namespace is going: then the
      // template follows, and the copies must be removed while someone still remembers them.
      if (binding && !deleting && !(await this.namespaceTerminating(key.namespace))) {
        this.carried.set(keyText, binding);
        this.applied.forget(keyText);
        await this.releaseBinding(binding);
        return { requeueAfterMs: 500 };
      }
      await this.release(keyText, key, binding, log);
      if (template) await this.setFinalizer(template, TEMPLATE_FINALIZER, false);
      return undefined;
    }

    const choice = choosePolicy(
      {
        apiVersion: key.apiVersion,
        kind: key.kind,
        namespace: key.namespace,
        name: key.name,
        labels: template.metadata.labels ?? {},
      },
      this.deps.policies(),
    );
    if (!choice) return this.unclaimed(keyText, key, template, binding, log);
    const policy = choice.policy;
    await this.setFinalizer(template, TEMPLATE_FINALIZER, true);
    // What the last binding placed where: the live one, or the one a hand deletion replaced.
    const remembered = binding ?? this.carried.get(keyText);

    const placement = resolvePlacement(policy.spec.placement, this.deps.members.infos());
    const kind = kindOf(template);
    const withReplicas = hasReplicas(template);
    // Kinds without replicas are scheduled as one copy per selected cluster.
    const replicas = replicasOf(template);
    // Only kinds with replicas need room for them; a DaemonSet or CronJob copy always fits.
    const podTemplate = withReplicas ? podTemplateOf(template) : undefined;
    const now = Date.now();
    const spilloverMs =
      (policy.spec.failover?.application?.spilloverAfterSeconds ??
        POLICY_DEFAULTS.spilloverAfterSeconds) * 1000;
    const ecsProvision = policy.spec.autoScaling?.ecsProvision === true;

    // Scheduler input: every cluster the placement names or that holds a copy now.
    const names = new Set([
      ...placement.groups.flatMap((g) => g.clusters),
      ...this.clustersWithCopies(key, remembered),
    ]);
    // Estimates from a member whose caches are still filling would read as "no room".
    const filling = [...names].filter((n) => {
      const c = this.deps.members.get(n)?.connection;
      return (
        c !== undefined &&
        (!c.probed || (c.probeResult.ready && (!c.synced || !c.copiesSynced(key))))
      );
    });
    if (filling.length > 0) {
      log.debug('waiting for member caches', { members: filling });
      return { requeueAfterMs: 500 };
    }
    const prev = previousResult(remembered);
    // Rebalance: the scheduler sees the placement without a move's surge (rebalance.ts).
    const divided = withReplicas && placement.scheduling.type === 'Divided';
    const stored = storedRebalance(remembered?.spec.rebalancing);
    const base = baseOf(
      new Map((prev?.clusters ?? []).map((c) => [c.cluster, c.replicas])),
      divided ? stored.move : undefined,
    );
    // Requests of members where replicas wait for nodes: a refused one ends the waiting.
    const requests = new Map<string, MemberRequest | undefined>();
    for (const c of prev?.clusters ?? []) {
      const conn = this.deps.members.get(c.cluster)?.connection;
      if (c.waiting > 0 && conn?.probeResult.ready && conn.probeResult.provisioningRequestSupported)
        requests.set(c.cluster, await readRequest(conn.kubeConfig, key.namespace, bName));
    }
    const states: ClusterState[] = [...names].sort().map((name) => {
      const m = this.deps.members.get(name);
      const conn = m?.connection;
      const cur = withReplicas ? (base.get(name) ?? 0) : 0;
      const copy = kind.readyServes ? conn?.copyOf(key, key.name, key.namespace) : undefined;
      const measured = conn?.synced === true && podTemplate !== undefined && conn.probeResult.ready;
      const copyReady =
        copy?.status && kind.counts ? (kind.counts(copy.status).readyReplicas ?? 0) : undefined;
      return clusterState({
        name,
        cur,
        registered: m !== undefined && m.spec.metadata.deletionTimestamp === undefined,
        ready: conn?.probeResult.ready === true,
        notReadySeconds: conn ? conn.notReadySeconds(now) : 0,
        canProvision: m?.spec.spec.provisioning?.enabled === true,
        ecsProvision,
        replicas,
        hasPods: podTemplate !== undefined,
        spilloverMs,
        requestFailed: requests.get(name)?.state.phase === 'failed',
        ...(measured
          ? {
              capacity: {
                maxReplicas: conn.estimator.maxReplicas(podTemplate as PodTemplateInput),
                pending: conn.pending.count(
                  key.namespace,
                  podSelectorOf(template) ?? {},
                  spilloverMs,
                  now,
                ),
                podless: podlessReplicas(cur, healthInput(copy?.status), spilloverMs, now),
              },
            }
          : {}),
        ...(copyReady !== undefined ? { copyReady } : {}),
      });
    });

    let result: ScheduleResult;
    const input = {
      replicas,
      groups: placement.groups,
      // As in Karmada, a kind without replicas is never divided: each selected cluster gets it.
      scheduling: withReplicas ? placement.scheduling : ({ type: 'Duplicated' } as const),
      clusters: states,
      ecsProvision,
      tolerationSeconds:
        policy.spec.failover?.cluster?.tolerationSeconds ??
        POLICY_DEFAULTS.clusterTolerationSeconds,
      // Karmada breaks exact ties by a hash of the template's UID.
      ...(typeof template.metadata.uid === 'string' ? { uid: template.metadata.uid } : {}),
    };
    let rebalance: RebalanceDecision | undefined;
    const manual = manualRequest(
      remembered?.metadata.annotations?.[REBALANCE_REQUEST_ANNOTATION],
      stored.manual,
    );
    try {
      result = schedule({ ...input, ...(prev ? { previous: prev } : {}) });
      if (divided) {
        // Where the replicas would go if none were placed yet: the goal of a rebalance.
        const fresh = schedule({ ...input, clusters: freshStates(states) });
        const groupOf = new Map<string, number>();
        placement.groups.forEach((g, i) => {
          for (const c of g.clusters) if (!groupOf.has(c)) groupOf.set(c, i);
        });
        rebalance = decideRebalance({
          replicas,
          base,
          scheduled: countsOf(result),
          fresh: countsOf(fresh),
          clusters: states.map((st) => ({
            name: st.name,
            group: groupOf.get(st.name) ?? -1,
            memberReady: st.notReady !== true && st.failed !== true,
            readyReplicas: this.readyReplicas(key, st.name, kind),
            avail: st.avail,
          })),
          automatic: policy.spec.rebalance?.enabled === true,
          ...(manual.serving !== undefined ? { manual: manual.serving } : {}),
          budget: budgetOf(policy.spec.rebalance, spilloverMs / 1000),
          ...(stored.move ? { move: stored.move } : {}),
          ...(stored.lastMoveMs !== undefined ? { lastMoveMs: stored.lastMoveMs } : {}),
          ...(stored.freeSinceMs !== undefined ? { freeSinceMs: stored.freeSinceMs } : {}),
          nowMs: now,
        });
        result = withRebalance(result, rebalance, placement.groups);
      }
    } catch (err) {
      if (!(err instanceof ScheduleInputError)) throw err;
      // Terminal until the template, policy or members change: a retry would fail the same way.
      await this.recordOnce(
        template,
        'Warning',
        TemplateEventReasons.ScheduleFailed,
        errorMessage(err),
      );
      if (binding) await this.writeCondition(binding, invalidInputCondition(errorMessage(err)));
      return undefined;
    }
    const targets: TargetCluster[] = result.clusters
      .filter((c) => c.replicas > 0)
      .map((c) => ({
        name: c.cluster,
        ...(withReplicas ? { replicas: c.replicas } : {}),
        ...(c.group ? { affinityName: c.group } : {}),
        ...(withReplicas && c.waiting > 0 ? { waitingForCapacity: c.waiting } : {}),
        reason: c.reason,
      }));
    this.deps.metrics.observeSchedule(key, targets, result);

    const spec: ResourceBindingSpec = {
      resource: {
        apiVersion: key.apiVersion,
        kind: key.kind,
        namespace: key.namespace,
        name: key.name,
        uid: template.metadata.uid as string,
        resourceVersion: template.metadata.resourceVersion as string,
      },
      replicas: withReplicas ? replicas : 0,
      policy: {
        kind: policy.kind,
        name: policy.metadata.name ?? '',
        ...(policy.kind === 'PropagationPolicy'
          ? { namespace: policy.metadata.namespace ?? '' }
          : {}),
      },
      preserveResourcesOnDeletion: policy.spec.preserveResourcesOnDeletion ?? false,
      clusters: targets,
    };
    const req = replicaRequirements(template);
    if (req) spec.replicaRequirements = req;
    if (policy.spec.placement) spec.placement = policy.spec.placement;
    if (policy.spec.autoScaling) spec.autoScaling = policy.spec.autoScaling;
    if (policy.spec.rebalance) spec.rebalance = policy.spec.rebalance;
    const rebalancing = rebalance
      ? rebalanceStateOf(rebalance, manualAfter(manual.manual, rebalance))
      : manual.serving !== undefined
        ? {
            manual: {
              request: manual.serving,
              phase: 'Failed' as const,
              message: 'only Divided workloads with replicas can be rebalanced',
            },
          }
        : undefined;
    if (rebalancing) spec.rebalancing = rebalancing;
    const applied = await this.applyBinding(keyText, key, template, spec, binding);
    this.carried.delete(keyText);
    // Told once the step is in the binding: a crash before that leaves nothing to tell.
    const stepEvent = rebalance ? rebalanceEvent(rebalance) : undefined;
    if (rebalance && stepEvent) {
      this.deps.metrics.rebalanceSteps.inc({ step: rebalance.step });
      log.info('rebalance step', { step: rebalance.step, message: rebalance.message });
      await this.recordOnce(template, stepEvent.type, stepEvent.reason, stepEvent.message);
    }

    // Syncer: copies where the result puts replicas, none elsewhere.
    const workloads: MemberWorkload[] = [];
    const conflicts: string[] = [];
    const keep = new Set(targets.map((t) => t.name));
    // Duplicated copies are whole: only a Divided template splits fields such as completions.
    const shares =
      placement.scheduling.type === 'Divided'
        ? shareFields(
            template,
            targets.map((t) => ({ cluster: t.name, replicas: t.replicas ?? 0 })),
          )
        : new Map<string, Record<string, unknown>>();
    const templateRef = {
      apiVersion: key.apiVersion,
      kind: key.kind,
      namespace: key.namespace,
      name: key.name,
      labels: template.metadata.labels ?? {},
    };
    const memberInfo = (name: string) =>
      this.deps.members.infos().find((m) => m.name === name) ?? { name, labels: {} };
    const overrides: MemberOverride[] = [];
    const syncCopy = async (t: TargetCluster): Promise<MemberWorkload> => {
      const conn = this.deps.members.get(t.name)?.connection;
      const waitingHere = result.clusters.find((c) => c.cluster === t.name)?.waiting ?? 0;
      if (!conn || !conn.probeResult.ready)
        return {
          cluster: t.name,
          applied: false,
          upToDate: false,
          waitingForCapacity: waitingHere,
          message: 'member not reachable',
        };
      try {
        // Overrides change this member's copy only; the template itself is never touched.
        const rendered = overrideCopy(
          memberCopy(
            template,
            `${key.namespace}/${bName}`,
            withReplicas ? (t.replicas ?? 0) : undefined,
            shares.get(t.name),
          ),
          overrideSteps(templateRef, memberInfo(t.name), this.deps.overrides?.policies() ?? []),
        );
        overrides.push({
          cluster: t.name,
          applied: rendered.applied,
          ...(rendered.failure ? { failure: rendered.failure } : {}),
        });
        if (!rendered.copy) {
          // A half-overridden copy could be worse than the last good one: leave it as it is.
          const live = kind.plural ? conn.copyOf(key, key.name, key.namespace) : undefined;
          return {
            cluster: t.name,
            applied: live !== undefined,
            upToDate: false,
            ...(live ? { live } : {}),
            ...(live?.status && kind.counts ? { status: kind.counts(live.status) } : {}),
            waitingForCapacity: waitingHere,
            message: `override failed, copy left as it was: ${overrideFailureText(rendered.failure)}`,
          };
        }
        const copy = rendered.copy;
        const member = this.deps.members.get(t.name);
        if (
          ecsProvision &&
          member?.spec.spec.provisioning?.enabled === true &&
          conn.probeResult.provisioningRequestSupported
        )
          addPodAnnotations(
            copy,
            consumeAnnotations(
              bName,
              member.spec.spec.provisioning.provisioningClassName ?? DEFAULT_PROVISIONING_CLASS,
            ),
          );
        // A watched copy is compared with its watch; any other with a read (in applyCopy).
        const watched = kind.plural ? conn.copyOf(key, key.name, key.namespace) : undefined;
        if (!this.applied.unchanged(keyText, t.name, copy, watched)) {
          const sent = structuredClone(copy);
          const outcome = await this.applyCopy(
            conn.kubeConfig,
            copy,
            template,
            (existing) => this.applied.unchanged(keyText, t.name, sent, existing),
            watched,
          );
          if (outcome === 'conflict') {
            conflicts.push(t.name);
            return {
              cluster: t.name,
              applied: false,
              upToDate: false,
              message: `a ${key.kind} ${key.namespace}/${key.name} not created by Spillway exists; set annotation fleet.spillway.dev/adopt-existing=true on the template to adopt it`,
            };
          }
          if (outcome !== 'unchanged') this.applied.remember(keyText, t.name, sent, outcome.result);
        }
        // Kinds whose copies are not watched count as up to date once applied.
        const live = kind.plural ? conn.copyOf(key, key.name, key.namespace) : undefined;
        return {
          cluster: t.name,
          applied: true,
          upToDate: live ? kind.upToDate(live) : !kind.plural,
          ...(live ? { live } : {}),
          ...(live?.status && kind.counts ? { status: kind.counts(live.status) } : {}),
          waitingForCapacity: waitingHere,
        };
      } catch (err) {
        this.applied.forget(keyText, t.name);
        log.warn('could not apply member copy', { member: t.name, error: errorMessage(err) });
        return {
          cluster: t.name,
          applied: false,
          upToDate: false,
          message: errorMessage(err),
        };
      }
    };
    workloads.push(...(await mapBounded(targets, MEMBER_WRITES_IN_FLIGHT, syncCopy)));
    conflicts.sort(); // filled in parallel
    overrides.sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
    this.deps.overrides?.observed(keyText, overrides);
    for (const name of this.clustersWithCopies(key, remembered)) {
      if (keep.has(name)) continue;
      try {
        await this.removeCopy(name, key, log);
        this.applied.forget(keyText, name);
      } catch (err) {
        // Remembered as applied, so the next reconcile tries again once the member answers.
        workloads.push({
          cluster: name,
          applied: true,
          upToDate: false,
          message: `stale copy, removed once the member is reachable: ${errorMessage(err)}`,
        });
      }
    }

    // propagateDeps: ConfigMaps, Secrets, ... go where the workload's copy is, and only there.
    const depReport = await this.dependencies.sync(
      applied,
      template,
      targets.map((t) => t.name).filter((n) => !conflicts.includes(n)),
      policy.spec.propagateDeps === true,
      log,
    );

    const refused = await this.syncProvisioning(
      key,
      template,
      bName,
      result,
      ecsProvision,
      requests,
      log,
    );
    await this.writeStatus(key, template, bName, applied, workloads, result, {
      conflicts,
      tiedWith: choice.tiedWith.map((p) => p.metadata.name ?? ''),
      claimedBy: policy.metadata.name ?? '',
      unknownClusters: placement.unknownClusters,
      replicas,
      withReplicas,
      // A kind without replicas is one copy per cluster whatever the policy says: summed.
      duplicated: placement.scheduling.type === 'Duplicated' && withReplicas,
      targets,
      ...(binding?.spec.clusters ? { previousTargets: binding.spec.clusters } : {}),
      ...(policy.spec.propagateDeps === true ? { dependencies: depReport } : {}),
      refused,
      ...(rebalance && rebalancingCondition(rebalance)
        ? { rebalancing: rebalancingCondition(rebalance) }
        : {}),
      overrides,
    });

    const settled =
      !depReport.pending &&
      result.waiting === 0 &&
      workloads.every(
        (w) =>
          w.applied && w.upToDate && (w.status?.readyReplicas ?? 0) >= (w.status?.replicas ?? 0),
      );
    const recheck = settled ? undefined : (this.deps.recheckMs ?? 5000);
    const wake = rebalance?.requeueMs;
    if (wake === undefined) return recheck === undefined ? undefined : { requeueAfterMs: recheck };
    return { requeueAfterMs: Math.min(wake, recheck ?? wake) };
  }

  /** Ready replicas of the member copy, counted only once it has seen its latest spec. */
  private readyReplicas(key: TemplateKey, member: string, kind: KindEntry): number {
    const live = this.deps.members.get(member)?.connection?.copyOf(key, key.name, key.namespace);
    if (!live?.status || !kind.counts || !kind.upToDate(live)) return 0;
    return kind.counts(live.status).readyReplicas ?? 0;
  }

  private async readBinding(namespace: string, name: string): Promise<ResourceBinding | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: FLEET_GROUP,
        version: FLEET_VERSION,
        plural: 'resourcebindings',
        namespace,
        name,
      })) as ResourceBinding;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * Members holding a copy of this template: those the binding remembers, and those whose own
   * watch of Spillway's copies (watched kinds) shows one carrying this binding's mark.
   */
  private clustersWithCopies(key: TemplateKey, binding: ResourceBinding | undefined): string[] {
    const names = new Set(previousClusters(binding));
    const mark = `${key.namespace}/${bindingName(key.name, key.kind)}`;
    for (const m of this.deps.members.infos()) {
      const copy = this.deps.members.get(m.name)?.connection?.copyOf(key, key.name, key.namespace);
      if (copy?.metadata?.annotations?.[BINDING_ANNOTATION] === mark) names.add(m.name);
    }
    return [...names].sort();
  }

  private ref(t: TemplateObject) {
    return {
      apiVersion: t.apiVersion,
      kind: t.kind,
      namespace: t.metadata.namespace ?? '',
      name: t.metadata.name ?? '',
      uid: t.metadata.uid as string,
    };
  }

  private async recordOnce(
    t: TemplateObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    await this.deps.recorder.record(this.ref(t), type, reason, message);
  }

  /** Adds or removes one finalizer, guarded by resourceVersion so a concurrent change wins. */
  private async setFinalizer(
    obj: { apiVersion: string; kind: string; metadata: TemplateObject['metadata'] },
    finalizer: string,
    present: boolean,
  ): Promise<void> {
    const finalizers = (obj.metadata.finalizers as string[] | undefined) ?? [];
    const has = finalizers.includes(finalizer);
    if (has === present) return;
    const next = present ? [...finalizers, finalizer] : finalizers.filter((f) => f !== finalizer);
    try {
      await this.objects.patch(
        {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          metadata: {
            name: obj.metadata.name,
            namespace: obj.metadata.namespace,
            resourceVersion: obj.metadata.resourceVersion as string,
            finalizers: next,
          },
        },
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      );
    } catch (err) {
      // Gone already: nothing left to hold or release.
      if (statusCode(err) !== 404) throw err;
    }
  }

  /**
   * The one release path (template deleted, its namespace going, or the policy that placed it
   * gone): copies and dependencies removed unless the policy preserves them, the binding let
   * go, and everything remembered about the template forgotten, since no copy is ours any more.
   */
  private async release(
    keyText: string,
    key: TemplateKey,
    binding: ResourceBinding | undefined,
    log: Logger,
  ): Promise<void> {
    if (binding) {
      await this.removeCopies(key, binding, binding.spec.preserveResourcesOnDeletion ?? false, log);
      await this.releaseDependencies(key, binding, log);
      await this.releaseBinding(binding);
    }
    this.carried.delete(keyText);
    this.applied.forget(keyText);
    this.deps.overrides?.observed(keyText, []);
    this.deps.metrics.forgetWorkload(key);
  }

  /** Lets a binding go: its finalizer off, then the object deleted (if nobody did yet). */
  private async releaseBinding(binding: ResourceBinding): Promise<void> {
    await this.setFinalizer(
      binding as unknown as {
        apiVersion: string;
        kind: string;
        metadata: TemplateObject['metadata'];
      },
      BINDING_FINALIZER,
      false,
    );
    if (!binding.metadata.deletionTimestamp)
      await this.deleteBinding(binding.metadata.namespace ?? '', binding.metadata.name ?? '');
  }

  private async namespaceTerminating(namespace: string): Promise<boolean> {
    try {
      const ns = await this.core.readNamespace({ name: namespace });
      return ns.metadata?.deletionTimestamp !== undefined;
    } catch (err) {
      if (statusCode(err) === 404) return true;
      throw err;
    }
  }

  /**
   * No policy selects the template any more. If the policy that placed it still exists (a label
   * or selector edit), the copies stay as they are, as Karmada does: a one-label edit must never
   * be an outage. They go when that policy is deleted, or with the template.
   */
  private async unclaimed(
    keyText: string,
    key: TemplateKey,
    template: TemplateObject,
    binding: ResourceBinding | undefined,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    if (binding && this.policyExists(binding.spec.policy)) {
      const ref = binding.spec.policy;
      const message = `no policy selects this template any more; its copies stay as they are until a policy selects it again, ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} is deleted, or the template is deleted`;
      const current = binding.status?.conditions?.find((c) => c.type === 'Scheduled');
      if (current?.reason !== R.Scheduled.Unclaimed) {
        log.info('template no longer selected; copies kept', { policy: ref.name });
        await this.recordOnce(template, 'Warning', TemplateEventReasons.Unclaimed, message);
        await this.writeCondition(binding, {
          type: 'Scheduled',
          status: 'False',
          reason: R.Scheduled.Unclaimed,
          message,
          ...(binding.metadata.generation !== undefined
            ? { observedGeneration: binding.metadata.generation }
            : {}),
        });
      }
      return undefined;
    }
    if (binding) log.info('the policy that placed the template is gone; removing its copies');
    await this.release(keyText, key, binding, log);
    await this.clearTemplateStatus(key, template);
    await this.setFinalizer(template, TEMPLATE_FINALIZER, false);
    await this.annotatePlacement(template, undefined);
    return undefined;
  }

  private policyExists(ref: ResourceBindingSpec['policy']): boolean {
    return this.deps
      .policies()
      .some(
        (p) =>
          p.kind === ref.kind &&
          p.metadata.name === ref.name &&
          (p.metadata.namespace ?? '') === (ref.namespace ?? ''),
      );
  }

  /** Server-side applies the binding, unless `live` is what the same apply gave last time. */
  private async applyBinding(
    keyText: string,
    key: TemplateKey,
    template: TemplateObject,
    spec: ResourceBindingSpec,
    live: ResourceBinding | undefined,
  ): Promise<ResourceBinding> {
    const body = {
      apiVersion: FLEET_API_VERSION,
      kind: 'ResourceBinding',
      metadata: {
        name: bindingName(key.name, key.kind),
        namespace: key.namespace,
        // Held until the member copies are gone, whatever deletes the binding (the template's
        // finalizer path, the garbage collector, or the namespace controller).
        finalizers: [BINDING_FINALIZER],
        // The hub's garbage collector removes the binding with its template.
        ownerReferences: [
          {
            apiVersion: template.apiVersion,
            kind: template.kind,
            name: key.name,
            uid: template.metadata.uid as string,
            controller: true,
            blockOwnerDeletion: false,
          },
        ],
      },
      spec,
    };
    if (live && this.applied.unchanged(keyText, BINDING_TARGET, body, live)) return live;
    const result = (await this.objects.patch(
      body as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    )) as unknown as ResourceBinding;
    this.applied.remember(keyText, BINDING_TARGET, body, result);
    return result;
  }

  private async deleteBinding(namespace: string, name: string): Promise<void> {
    await this.custom
      .deleteNamespacedCustomObject({
        group: FLEET_GROUP,
        version: FLEET_VERSION,
        plural: 'resourcebindings',
        namespace,
        name,
      })
      .catch((err: unknown) => {
        if (statusCode(err) !== 404) throw err;
      });
  }

  /**
   * Server-side applies a copy unless the member has a foreign object of that name, or the
   * member's object is still what the same apply gave last time (`unchanged`). `watched` is the
   * member object from the copies watch, when there is one: it stands for a read, which saved
   * one round trip of every scale (the apply itself is checked by the API server).
   */
  private async applyCopy(
    kc: KubeConfig,
    copy: TemplateObject,
    template: TemplateObject,
    unchanged: (existing: KubernetesObject) => boolean,
    watched?: KubernetesObject,
  ): Promise<{ result?: KubernetesObject } | 'conflict' | 'unchanged'> {
    const api = objectApi(kc);
    const header = {
      apiVersion: copy.apiVersion,
      kind: copy.kind,
      metadata: { name: copy.metadata.name ?? '', namespace: copy.metadata.namespace ?? '' },
    };
    let existing: KubernetesObject | undefined = watched;
    if (!existing) {
      try {
        existing = await api.read(header);
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
        if (copy.metadata.namespace) await ensureNamespace(api, copy.metadata.namespace);
      }
    }
    const own = ownershipOf(
      existing as { metadata?: { labels?: Record<string, string> } } | undefined,
      template,
    );
    if (own === 'foreign') return 'conflict';
    if (own === 'ours' && existing && unchanged(existing)) return 'unchanged';
    keepImmutable(copy, existing as { spec?: Record<string, unknown> } | undefined);
    if (own === 'adoptable' && existing) {
      // Once: the member object becomes the copy, not a merge with what was there.
      await takeOver(api, existing, copy);
      return {};
    }
    if (existing && takeOverUnfinished(existing)) {
      await applyAsSoleOwner(api, copy);
      return {};
    }
    const result = await api.patch(
      copy as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    return { result };
  }

  /** Deletes our copy in one member; an object we did not create is never touched. */
  private async removeCopy(member: string, key: TemplateKey, log: Logger): Promise<void> {
    const conn = this.deps.members.get(member)?.connection;
    if (!conn) return;
    if (!conn.probeResult.ready) throw new Error(`member ${member} is not reachable`);
    const api = objectApi(conn.kubeConfig);
    const header = {
      apiVersion: key.apiVersion,
      kind: key.kind,
      metadata: { name: key.name, namespace: key.namespace },
    };
    try {
      const existing = await api.read(header);
      if (!isManagedCopy(existing as { metadata?: { labels?: Record<string, string> } })) return;
      // Still a propagated dependency of some workload there: kept, only our mark goes.
      if (await keepIfRequired(api, existing as MemberObject)) return;
      await api.delete(header);
      log.info('removed member copy', { member });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    await deleteRequests(conn.kubeConfig, key.namespace, bindingName(key.name, key.kind));
  }

  /** Withdraws the binding's dependency copies (unless the policy preserves copies). */
  private async releaseDependencies(
    key: TemplateKey,
    binding: ResourceBinding,
    log: Logger,
  ): Promise<void> {
    if (binding.spec.preserveResourcesOnDeletion) return;
    const done = await this.dependencies.release(
      binding,
      key.namespace,
      binding.metadata.name ?? '',
      log,
    );
    // Kept until then: the binding's record is what says where the copies are.
    if (!done) throw new Error('dependencies not yet withdrawn from every member');
  }

  private async removeCopies(
    key: TemplateKey,
    binding: ResourceBinding | undefined,
    preserve: boolean,
    log: Logger,
  ): Promise<void> {
    if (preserve) {
      log.info('preserveResourcesOnDeletion: leaving member copies in place');
      return;
    }
    for (const member of this.clustersWithCopies(key, binding))
      await this.removeCopy(member, key, log);
  }

  /**
   * Brings each member's ProvisioningRequest for this binding to the replicas waiting there, and
   * returns the requests the members' autoscalers refused.
   */
  private async syncProvisioning(
    key: TemplateKey,
    template: TemplateObject,
    bName: string,
    result: ScheduleResult,
    ecsProvision: boolean,
    requests: ReadonlyMap<string, MemberRequest | undefined>,
    log: Logger,
  ): Promise<ProvisioningFailure[]> {
    const pod = podTemplateOf(template);
    const failures: ProvisioningFailure[] = [];
    for (const entry of result.clusters) {
      const m = this.deps.members.get(entry.cluster);
      const conn = m?.connection;
      if (!conn?.probeResult.ready || !conn.probeResult.provisioningRequestSupported) continue;
      const signal = result.provision.find((p) => p.cluster === entry.cluster);
      const count = ecsProvision && pod?.spec ? (signal?.replicas ?? 0) : 0;
      // Nothing asked before and nothing to ask now: no request can exist.
      if (count === 0 && !requests.has(entry.cluster)) continue;
      const ask: ProvisioningAsk = {
        namespace: key.namespace,
        bindingName: bName,
        podSpec: pod?.spec ?? {},
        podLabels: pod?.metadata?.labels ?? {},
        count,
        className: m?.spec.spec.provisioning?.provisioningClassName ?? DEFAULT_PROVISIONING_CLASS,
      };
      const existing = requests.has(entry.cluster)
        ? requests.get(entry.cluster)
        : await readRequest(conn.kubeConfig, key.namespace, bName);
      const action = await syncRequest(conn.kubeConfig, ask, existing);
      const name = `${key.namespace}/${provisioningName(bName)}`;
      if (action === 'create' || action === 'recreate') {
        log.info('asked member for capacity', {
          member: entry.cluster,
          replicas: count,
          request: name,
        });
        this.deps.metrics.provisioningRequests.inc({ cluster: entry.cluster });
        await this.recordOnce(
          template,
          'Normal',
          TemplateEventReasons.ProvisioningRequested,
          `asked ${entry.cluster} for nodes for ${count} replicas (ProvisioningRequest ${name})`,
        );
      } else if (action === 'none' && existing?.state.phase === 'failed' && count > 0) {
        const failure = {
          cluster: entry.cluster,
          reason: existing.state.reason ?? 'Failed',
          message: existing.state.message ?? '',
        };
        failures.push(failure);
        if (!this.failedRequests.has(existing.uid)) {
          this.failedRequests.add(existing.uid);
          this.deps.metrics.provisioningFailures.inc({ cluster: entry.cluster });
          await this.recordOnce(
            template,
            'Warning',
            TemplateEventReasons.ProvisioningFailed,
            failureText(failure),
          );
        }
      }
    }
    return failures;
  }

  /**
   * Where the replicas are, on the template itself, so `kubectl describe` shows it after the
   * Events have expired. Written only when it changes (each write is a template event).
   */
  private async annotatePlacement(
    template: TemplateObject,
    text: string | undefined,
  ): Promise<void> {
    if (template.metadata.annotations?.[PLACEMENT_ANNOTATION] === text) return;
    await this.objects.patch(
      {
        apiVersion: template.apiVersion,
        kind: template.kind,
        metadata: {
          name: template.metadata.name,
          namespace: template.metadata.namespace,
          // null removes the key in a merge patch.
          annotations: { [PLACEMENT_ANNOTATION]: text ?? null } as Record<string, string>,
        },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  }

  /**
   * Removes what Spillway summed into a hub workload's status (nothing when already clear):
   * with no copies of Spillway's left, those counts and conditions would be stale. A Job's
   * status is left alone (the API server keeps startTime and finished conditions).
   */
  private async clearTemplateStatus(key: TemplateKey, template: TemplateObject): Promise<void> {
    const kind = kindOf(template);
    if (!kind.plural || !kind.hubStatus || kind.key === 'batch/v1|Job') return;
    const status = (template as { status?: Record<string, unknown> }).status ?? {};
    const fields = Object.keys(status).filter(
      (f) => f !== 'observedGeneration' && f !== 'collisionCount',
    );
    if (fields.length === 0) return;
    const [group = '', version = ''] = key.apiVersion.split('/');
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group,
        version,
        plural: kind.plural,
        namespace: key.namespace,
        name: key.name,
        // null removes a field in a merge patch.
        body: { status: Object.fromEntries(fields.map((f) => [f, null])) },
      },
      mergePatch,
    );
  }

  /** One condition on the binding, the rest of its status as it is. */
  private async writeCondition(binding: ResourceBinding, c: ConditionInput): Promise<void> {
    const conditions = setStatusCondition(binding.status?.conditions, c, new Date());
    if (!conditionsChanged(binding.status?.conditions, conditions)) return;
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: FLEET_GROUP,
        version: FLEET_VERSION,
        plural: 'resourcebindings',
        namespace: binding.metadata.namespace ?? '',
        name: binding.metadata.name ?? '',
        body: { status: { conditions } },
      },
      mergePatch,
    );
  }

  private async writeStatus(
    key: TemplateKey,
    template: TemplateObject,
    bName: string,
    binding: ResourceBinding,
    workloads: MemberWorkload[],
    result: ScheduleResult,
    more: Pick<
      BindingStatusInput,
      | 'conflicts'
      | 'tiedWith'
      | 'claimedBy'
      | 'unknownClusters'
      | 'replicas'
      | 'withReplicas'
      | 'duplicated'
      | 'targets'
      | 'previousTargets'
      | 'dependencies'
      | 'refused'
      | 'rebalancing'
      | 'overrides'
    >,
  ): Promise<void> {
    const now = new Date();
    const out = bindingStatusOf({
      kind: key.kind,
      namespace: key.namespace,
      name: key.name,
      ...(binding.status ? { previous: binding.status } : {}),
      ...(binding.metadata.generation !== undefined
        ? { generation: binding.metadata.generation }
        : {}),
      reportsStatus: kindOf(template).counts !== undefined && key.kind !== 'Job',
      result,
      workloads,
      now,
      ...more,
    });
    for (const e of out.events) await this.recordOnce(template, e.type, e.reason, e.message);
    await this.annotatePlacement(
      template,
      placementText(more.targets, more.withReplicas) || 'none',
    );
    const hubStatus = out.hub;
    // Only a change is written: a timestamp alone is not one (status-change.ts).
    if (statusPatchChanges(binding.status, out.status))
      await this.custom
        .patchNamespacedCustomObjectStatus(
          {
            group: FLEET_GROUP,
            version: FLEET_VERSION,
            plural: 'resourcebindings',
            namespace: key.namespace,
            name: bName,
            body: { status: out.status },
          },
          mergePatch,
        )
        .catch((err: unknown) =>
          this.deps.logger.warn('could not write binding status', {
            binding: `${key.namespace}/${bName}`,
            error: errorMessage(err),
          }),
        );

    const kind = kindOf(template);
    const [group = '', version = ''] = key.apiVersion.split('/');
    const copies = workloads.map((w) => ({
      cluster: w.cluster,
      upToDate: w.applied && w.upToDate,
      ...(w.applied && w.live ? { live: w.live } : {}),
    }));
    let templateStatus = kind.plural
      ? kind.hubStatus?.(template, copies, now.toISOString())
      : undefined;
    if (templateStatus && kind.key === 'apps/v1|Deployment') {
      // The hub runs no Deployment controller: Spillway's conditions summarise the members'.
      const current = (template as { status?: { conditions?: Condition[] } }).status;
      templateStatus = {
        ...templateStatus,
        ...templateStatusOf({
          ...(current?.conditions ? { previousConditions: current.conditions } : {}),
          hub: hubStatus,
          replicas: more.replicas,
          duplicated: more.duplicated,
          workloads,
          targets: more.targets,
          upToDate: workloads.every((w) => w.applied && w.upToDate),
          now,
        }),
      };
    }
    const statusNow = (template as { status?: unknown }).status;
    if (templateStatus && statusPatchChanges(statusNow, templateStatus)) {
      await this.custom
        .patchNamespacedCustomObjectStatus(
          {
            group,
            version,
            plural: kind.plural ?? '',
            namespace: key.namespace,
            name: key.name,
            body: { status: templateStatus },
          },
          mergePatch,
        )
        .catch((err: unknown) =>
          this.deps.logger.warn('could not write template status', {
            template: `${key.kind}/${key.namespace}/${key.name}`,
            error: errorMessage(err),
          }),
        );
    }
  }
}
