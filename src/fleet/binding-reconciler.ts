/**
 * Reconciles one resource template on the hub as a sequence of stages (docs/architecture.md):
 * claim (binding-claim.ts) -> schedule (schedule-plan.ts) -> bind (binding-spec.ts) -> sync
 * (member-plan.ts, member-sync.ts) -> status (status-plan.ts). Each stage's decision is a pure
 * function from values to values; this file only reads, calls them in order and carries out
 * what they return through the ReconcilePort (reconcile-port.ts), so the whole flow runs against
 * a recording fake in the unit tests. Idempotent: every stage reads the current state and
 * writes only differences.
 */
import type { ConditionInput } from '../api/conditions.js';
import { conditionsChanged, setStatusCondition } from '../api/conditions.js';
import { bindingName, type ResourceBinding } from '../api/fleet.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import type { ReconcileResult } from '../runtime/workqueue.js';
import { AppliedCache } from './applied-cache.js';
import { decideClaim, finalizersAfter, type Claim } from './binding-claim.js';
import {
  bindingBody,
  bindingSpecOf,
  withRecordedReasons,
  withRecordedVersion,
} from './binding-spec.js';
import {
  TemplateEventReasons,
  invalidInputCondition,
  type ProvisioningFailure,
} from './binding-status.js';
import type { DependencyReport } from './dependencies.js';
import type { PolicyChoice } from './policy-match.js';
import type { MemberWorkload } from './status-aggregate.js';
import type { TemplateObject } from './member-copy.js';
import { planMembers, provisioningSteps } from './member-plan.js';
import { syncMembers, syncProvisioning } from './member-sync.js';
import type { FleetMetrics } from './metrics.js';
import type { MemberOverride } from './override-status.js';
import { BINDING_FINALIZER, PLACEMENT_ANNOTATION, TEMPLATE_FINALIZER } from './ownership.js';
import { rebalanceEvent, rebalancingCondition } from './rebalance-binding.js';
import type { MemberRequestView, MemberView, ReconcilePort } from './reconcile-port.js';
import {
  cachesFilling,
  clustersWithCopies,
  measureOf,
  planSchedule,
  requestsToRead,
  scheduledNames,
  workloadOf,
  type SchedulePlan,
  type Workload,
} from './schedule-plan.js';
import { clearedTemplateStatus, planStatus, requeueOf, type StatusPlan } from './status-plan.js';
import { parseTemplateKey, type TemplateKey } from './template-key.js';

/** The safety resync of a binding whose copies' watches will tell when they are Ready. */
const READINESS_RESYNC_MS = 60_000;
/** How soon a template whose kind is not listed yet is looked at again. */
const KIND_UNKNOWN_RETRY_MS = 2000;

/** The binding's entry in the AppliedCache (member copies are entered by member name). */
const BINDING_TARGET = ' binding';

export interface ReconcilerDeps {
  port: ReconcilePort;
  logger: Logger;
  metrics: FleetMetrics;
  /** Where to report what the override policies did to each template's copies. */
  overrides?: OverrideObserver;
  /** Re-check period while replicas wait, are not placed, or a timeout may expire. */
  recheckMs?: number;
  /**
   * Safety resync of a binding that only waits for its copies to become Ready: their watches
   * enqueue it when that happens, so this is a backstop, not the way it learns.
   */
  readinessResyncMs?: number;
  /** One clock per reconcile (ms since epoch). */
  now?: () => number;
}

export interface OverrideObserver {
  /** The outcome per member copy of one reconcile; an empty list when the template is released. */
  observed(templateKey: string, outcomes: readonly MemberOverride[]): void;
}

/** What one reconcile pass of a claimed template carries from stage to stage. */
interface Pass {
  keyText: string;
  key: TemplateKey;
  log: Logger;
  template: TemplateObject;
  choice: PolicyChoice;
  /** The binding as read this pass. */
  binding?: ResourceBinding;
  /** The live binding, or the one a hand deletion replaced. */
  remembered?: ResourceBinding;
  nowMs: number;
  workload: Workload;
}

interface Scheduled {
  kind: 'scheduled';
  plan: Extract<SchedulePlan, { ok: true }>;
  views: ReadonlyMap<string, MemberView>;
  requests: ReadonlyMap<string, MemberRequestView | undefined>;
  withCopies: string[];
}

interface Synced {
  workloads: MemberWorkload[];
  conflicts: string[];
  overrides: MemberOverride[];
  dependencies: DependencyReport;
  refused: ProvisioningFailure[];
}

export class BindingReconciler {
  /**
   * Bindings deleted by hand under a live template, by template key: their placement carries
   * over to the binding that replaces them, so no running replica moves.
   */
  private readonly carried = new Map<string, ResourceBinding>();
  /** uids of refused ProvisioningRequests already counted and reported. */
  private readonly failedRequests = new Set<string>();
  /** What was applied last, so an unchanged reconcile writes nothing (applied-cache.ts). */
  private readonly applied = new AppliedCache();
  private readonly port: ReconcilePort;

  constructor(private readonly deps: ReconcilerDeps) {
    this.port = deps.port;
  }

  async reconcile(keyText: string): Promise<ReconcileResult | undefined> {
    const key = parseTemplateKey(keyText);
    this.port.watchCopies(key);
    const log = this.deps.logger.child({ key: `${key.kind}/${key.namespace}/${key.name}` });
    // As it is now: a cache one write behind would hand the scheduler an old result, and a
    // cluster holding replicas could be forgotten (and its copy orphaned). The port reads it
    // unless its cache holds the version last written or read (binding-versions.ts).
    const binding = await this.port.readBinding(key.namespace, bindingName(key.name, key.kind));
    const cached = this.port.template(key);
    // A template missing from a cache that has not listed its kind (a hub API server restarting
    // as this controller starts) is not gone: removing its copies would stop its replicas.
    if (!cached && this.port.templateKind(key) === 'unknown') {
      log.debug('template kind not listed yet; waiting before acting on its absence');
      return { requeueAfterMs: KIND_UNKNOWN_RETRY_MS };
    }
    const claim = decideClaim(key, cached, binding, this.port.policies());
    if (claim.kind !== 'claim') return this.unplaced(keyText, key, binding, claim, log);
    const { template, choice } = claim;
    await this.setFinalizer(template, TEMPLATE_FINALIZER, true);
    // What the last binding placed where: the live one, or the one a hand deletion replaced.
    const remembered = binding ?? this.carried.get(keyText);
    const pass: Pass = {
      keyText,
      key,
      log,
      template,
      choice,
      ...(binding ? { binding } : {}),
      ...(remembered ? { remembered } : {}),
      nowMs: this.deps.now?.() ?? Date.now(),
      workload: workloadOf(template, choice.policy, this.port.members()),
    };
    const scheduled = await this.scheduleStage(pass);
    if (scheduled.kind === 'wait') return { requeueAfterMs: 500 };
    if (scheduled.kind === 'invalid')
      return this.invalidInput(template, binding, scheduled.message);
    // A binding refused because the namespace is being deleted ends the pass here; the work
    // queue does not retry it (errors are classified once, runtime/api-errors.ts).
    const applied = await this.bindStage(pass, scheduled);
    const synced = await this.syncStage(pass, scheduled, applied);
    await this.writeStatus(key, template, this.statusOf(pass, scheduled, synced, applied));
    return requeueOf({
      dependenciesPending: synced.dependencies.pending,
      result: scheduled.plan.result,
      workloads: synced.workloads,
      recheckMs: this.deps.recheckMs ?? 5000,
      resyncMs: this.deps.readinessResyncMs ?? READINESS_RESYNC_MS,
      copiesWatched: pass.workload.kind.plural !== undefined,
      unboundPods: new Map(
        [...scheduled.views].map(([name, v]) => [name, v.capacity?.pending.pending]),
      ),
      ...(scheduled.plan.rebalance ? { rebalance: scheduled.plan.rebalance } : {}),
    });
  }

  /** Schedule: the member views, the requests of waiting replicas, the scheduler's result. */
  private async scheduleStage(
    p: Pass,
  ): Promise<Scheduled | { kind: 'wait' } | { kind: 'invalid'; message: string }> {
    const withCopies = this.clustersWithCopies(p.key, p.remembered);
    let views = this.viewsOf(p.key, p.template, p.workload, withCopies, p.nowMs);
    const filling = cachesFilling([...views.values()]);
    if (filling.length > 0) {
      p.log.debug('waiting for member caches', { members: filling });
      return { kind: 'wait' };
    }
    const toRead = requestsToRead(p.remembered, views);
    let requests = new Map<string, MemberRequestView | undefined>();
    if (toRead.length > 0) {
      requests = await this.readRequests(p.key, toRead);
      // Other bindings may have placed replicas meanwhile: the room this one is scheduled on is
      // read in the same synchronous run as its own reservation below (reserved-room.ts).
      views = this.viewsOf(p.key, p.template, p.workload, withCopies, p.nowMs);
    }
    const plan = planSchedule({
      template: p.template,
      workload: p.workload,
      ...(p.remembered ? { remembered: p.remembered } : {}),
      views,
      requests,
      nowMs: p.nowMs,
    });
    if (!plan.ok) return { kind: 'invalid', message: plan.message };
    this.deps.metrics.observeSchedule(p.key, plan.targets, plan.result);
    // Before any await: a binding reconciled meanwhile must not count the same free room.
    this.port.reserve(p.key, plan.targets, measureOf(p.template, p.workload, p.nowMs));
    return { kind: 'scheduled', plan, views, requests, withCopies };
  }

  /** Bind: the result written into the binding (one apply), then the rebalance step told. */
  private async bindStage(p: Pass, s: Scheduled): Promise<ResourceBinding> {
    const { rebalance } = s.plan;
    const spec = bindingSpecOf({
      key: p.key,
      template: p.template,
      workload: p.workload,
      targets: withRecordedReasons(s.plan.targets, p.binding),
      manual: s.plan.manual,
      ...(rebalance ? { rebalance } : {}),
    });
    const applied = await this.applyBinding(p.keyText, p.key, p.template, spec, p.binding);
    this.carried.delete(p.keyText);
    // Told once the step is in the binding: a crash before that leaves nothing to tell.
    const stepEvent = rebalance ? rebalanceEvent(rebalance) : undefined;
    if (rebalance && stepEvent) {
      this.deps.metrics.rebalanceSteps.inc({ step: rebalance.step });
      p.log.info('rebalance step', { step: rebalance.step, message: rebalance.message });
      await this.port.record(p.template, stepEvent.type, stepEvent.reason, stepEvent.message);
    }
    return applied;
  }

  /** Sync: member copies, stale copies, dependencies and ProvisioningRequests. */
  private async syncStage(p: Pass, s: Scheduled, applied: ResourceBinding): Promise<Synced> {
    const { key, template, workload, log } = p;
    const { result, targets } = s.plan;
    const members = planMembers({
      key,
      template,
      workload,
      result,
      targets,
      views: s.views,
      members: this.port.members(),
      overridePolicies: this.port.overridePolicies(),
      withCopies: s.withCopies,
    });
    const ctx = { port: this.port, applied: this.applied, keyText: p.keyText, key, template, log };
    const { workloads, conflicts } = await syncMembers(
      { ...ctx, kind: workload.kind },
      members.actions,
    );
    this.deps.overrides?.observed(p.keyText, members.overrides);
    // propagateDeps: ConfigMaps, Secrets, ... go where the workload's copy is, and only there.
    const dependencies = await this.port.syncDependencies(
      applied,
      template,
      targets.map((t) => t.name).filter((n) => !conflicts.includes(n)),
      p.choice.policy.spec.propagateDeps === true,
      log,
    );
    const refused = await syncProvisioning(
      { port: this.port, metrics: this.deps.metrics, log, template, reported: this.failedRequests },
      provisioningSteps(key, template, workload.ecsProvision, result, s.views, s.requests),
      s.requests,
    );
    return { workloads, conflicts, overrides: members.overrides, dependencies, refused };
  }

  /** Status: what the binding, the template and the Events say of this pass (pure). */
  private statusOf(p: Pass, s: Scheduled, synced: Synced, applied: ResourceBinding): StatusPlan {
    const { workload: w, choice } = p;
    const rebalancing = s.plan.rebalance ? rebalancingCondition(s.plan.rebalance) : undefined;
    return planStatus({
      key: p.key,
      template: p.template,
      binding: applied,
      result: s.plan.result,
      targets: s.plan.targets,
      workloads: synced.workloads,
      conflicts: synced.conflicts,
      refused: synced.refused,
      overrides: synced.overrides,
      tiedWith: choice.tiedWith.map((x) => x.metadata.name ?? ''),
      claimedBy: choice.policy.metadata.name ?? '',
      unknownClusters: w.placement.unknownClusters,
      replicas: w.replicas,
      withReplicas: w.withReplicas,
      // A kind without replicas is one copy per cluster whatever the policy says: summed.
      duplicated: w.placement.scheduling.type === 'Duplicated' && w.withReplicas,
      ...(p.binding?.spec.clusters ? { previousTargets: p.binding.spec.clusters } : {}),
      ...(choice.policy.spec.propagateDeps === true ? { dependencies: synced.dependencies } : {}),
      ...(rebalancing ? { rebalancing } : {}),
      now: new Date(p.nowMs),
    });
  }

  /** Every path where the template is not (or no longer) placed by a policy. */
  private async unplaced(
    keyText: string,
    key: TemplateKey,
    binding: ResourceBinding | undefined,
    claim: Exclude<Claim, { kind: 'claim' }>,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    switch (claim.kind) {
      case 'bindingDeleted':
        // A binding deleted under a live template is only let go (copies kept, result carried
        // over to the binding that replaces it), unless its whole namespace is going: then the
        // template follows, and the copies must be removed while someone still remembers them.
        if (!(await this.port.namespaceTerminating(key.namespace))) {
          this.carried.set(keyText, claim.binding);
          this.applied.forget(keyText);
          await this.releaseBinding(claim.binding);
          return { requeueAfterMs: 500 };
        }
        await this.release(keyText, key, binding, log);
        await this.setFinalizer(claim.template, TEMPLATE_FINALIZER, false);
        return undefined;
      case 'release':
        await this.release(keyText, key, binding, log);
        if (claim.template) await this.setFinalizer(claim.template, TEMPLATE_FINALIZER, false);
        return undefined;
      case 'unclaimed':
        if (claim.announce) {
          log.info('template no longer selected; copies kept', {
            policy: claim.binding.spec.policy.name,
          });
          await this.port.record(
            claim.template,
            'Warning',
            TemplateEventReasons.Unclaimed,
            claim.announce.message,
          );
          await this.writeCondition(claim.binding, claim.announce.condition);
        }
        return undefined;
      case 'releaseUnclaimed': {
        const template = claim.template;
        if (binding) log.info('the policy that placed the template is gone; removing its copies');
        await this.release(keyText, key, binding, log);
        const cleared = clearedTemplateStatus(template);
        if (cleared) await this.port.patchTemplateStatus(key, cleared.plural, cleared.status);
        await this.setFinalizer(template, TEMPLATE_FINALIZER, false);
        if (template.metadata.annotations?.[PLACEMENT_ANNOTATION] !== undefined)
          await this.port.annotatePlacement(template, undefined);
        return undefined;
      }
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
      if (binding.spec.preserveResourcesOnDeletion) {
        log.info('preserveResourcesOnDeletion: leaving member copies in place');
      } else {
        for (const member of this.clustersWithCopies(key, binding))
          if (await this.port.removeCopy(member, key)) log.info('removed member copy', { member });
        // Kept until then: the binding's record is what says where the copies are.
        if (!(await this.port.releaseDependencies(binding, log)))
          throw new Error('dependencies not yet withdrawn from every member');
      }
      await this.releaseBinding(binding);
    }
    this.carried.delete(keyText);
    this.applied.forget(keyText);
    this.port.reserve(key, []);
    this.deps.overrides?.observed(keyText, []);
    this.deps.metrics.forgetWorkload(key);
  }

  /** Lets a binding go: its finalizer off, then the object deleted (if nobody did yet). */
  private async releaseBinding(binding: ResourceBinding): Promise<void> {
    await this.setFinalizer(
      binding as unknown as Pick<TemplateObject, 'apiVersion' | 'kind' | 'metadata'>,
      BINDING_FINALIZER,
      false,
    );
    if (!binding.metadata.deletionTimestamp)
      await this.port.deleteBinding(binding.metadata.namespace ?? '', binding.metadata.name ?? '');
  }

  /** Adds or removes one finalizer, guarded by resourceVersion so a concurrent change wins. */
  private async setFinalizer(
    obj: Pick<TemplateObject, 'apiVersion' | 'kind' | 'metadata'>,
    finalizer: string,
    present: boolean,
  ): Promise<void> {
    const next = finalizersAfter(
      obj.metadata.finalizers as string[] | undefined,
      finalizer,
      present,
    );
    if (next) await this.port.patchFinalizers(obj, next);
  }

  /** Members holding a copy: remembered by the binding, or seen carrying its mark. */
  private clustersWithCopies(key: TemplateKey, binding: ResourceBinding | undefined): string[] {
    const copies = this.port
      .members()
      .map((m) => ({ member: m.name, copy: this.port.copyOf(m.name, key) }));
    return clustersWithCopies(
      key,
      binding,
      copies.map((c) => (c.copy ? { member: c.member, copy: c.copy } : { member: c.member })),
    );
  }

  private viewsOf(
    key: TemplateKey,
    template: TemplateObject,
    w: Workload,
    withCopies: readonly string[],
    nowMs: number,
  ): Map<string, MemberView> {
    const measure = measureOf(template, w, nowMs);
    return new Map(
      scheduledNames(w, withCopies).map((n) => [n, this.port.memberView(n, key, nowMs, measure)]),
    );
  }

  /** Requests of members where replicas wait for nodes: a refused one ends the waiting. */
  private async readRequests(
    key: TemplateKey,
    members: readonly string[],
  ): Promise<Map<string, MemberRequestView | undefined>> {
    const requests = new Map<string, MemberRequestView | undefined>();
    const name = bindingName(key.name, key.kind);
    for (const member of members)
      requests.set(member, await this.port.readRequest(member, key.namespace, name));
    return requests;
  }

  /** Terminal until the template, policy or members change: a retry would fail the same way. */
  private async invalidInput(
    template: TemplateObject,
    binding: ResourceBinding | undefined,
    message: string,
  ): Promise<undefined> {
    await this.port.record(template, 'Warning', TemplateEventReasons.ScheduleFailed, message);
    if (binding) await this.writeCondition(binding, invalidInputCondition(message));
    return undefined;
  }

  /** Server-side applies the binding, unless `live` is what the same apply gave last time. */
  private async applyBinding(
    keyText: string,
    key: TemplateKey,
    template: TemplateObject,
    spec: ResourceBinding['spec'],
    live: ResourceBinding | undefined,
  ): Promise<ResourceBinding> {
    const body = bindingBody(key, template, spec);
    // Unchanged but for the template's resourceVersion: nothing the binding holds moved.
    const kept = withRecordedVersion(spec, live);
    if (
      live &&
      kept &&
      this.applied.unchanged(keyText, BINDING_TARGET, bindingBody(key, template, kept), live)
    )
      return live;
    if (live && this.applied.unchanged(keyText, BINDING_TARGET, body, live)) return live;
    const result = await this.port.applyBinding(body);
    this.applied.remember(keyText, BINDING_TARGET, body, result);
    return result;
  }

  /** One condition on the binding, the rest of its status as it is. */
  private async writeCondition(binding: ResourceBinding, c: ConditionInput): Promise<void> {
    const now = new Date(this.deps.now?.() ?? Date.now());
    const conditions = setStatusCondition(binding.status?.conditions, c, now);
    if (!conditionsChanged(binding.status?.conditions, conditions)) return;
    await this.port.patchBindingStatus(
      binding.metadata.namespace ?? '',
      binding.metadata.name ?? '',
      { conditions },
    );
  }

  /** Events, the placement annotation, then the binding's and the template's status. */
  private async writeStatus(
    key: TemplateKey,
    template: TemplateObject,
    plan: StatusPlan,
  ): Promise<void> {
    for (const e of plan.events) await this.port.record(template, e.type, e.reason, e.message);
    // On the template itself, so `kubectl describe` shows it after the Events have expired.
    if (plan.placement !== undefined) await this.port.annotatePlacement(template, plan.placement);
    const bName = bindingName(key.name, key.kind);
    if (plan.bindingStatus)
      await this.port
        .patchBindingStatus(key.namespace, bName, plan.bindingStatus)
        .catch((err: unknown) =>
          this.deps.logger.warn('could not write binding status', {
            binding: `${key.namespace}/${bName}`,
            error: errorMessage(err),
          }),
        );
    if (plan.templateStatus)
      await this.port
        .patchTemplateStatus(key, plan.templateStatus.plural, plan.templateStatus.status)
        .catch((err: unknown) =>
          this.deps.logger.warn('could not write template status', {
            template: `${key.kind}/${key.namespace}/${key.name}`,
            error: errorMessage(err),
          }),
        );
  }
}
