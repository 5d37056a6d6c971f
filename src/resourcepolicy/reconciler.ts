/**
 * Reconciles one namespace: every ResourcePolicy in it, one after the other, against the pods
 * of the namespace. Keyed by namespace in the work queue, so no two passes ever decide for the
 * same policy (or for pods two policies compete for) at once. Carries out the plan of each
 * policy (src/resourcepolicy/plan.ts) and writes its status.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  RESOURCE_POLICY_API_VERSION,
  RESOURCE_POLICY_GROUP,
  RESOURCE_POLICY_KIND,
  RESOURCE_POLICY_PLURAL,
  RESOURCE_POLICY_VERSION,
  type ResourcePolicy,
} from '../api/resourcepolicy.js';
import type { Estimator } from '../estimator/index.js';
import type { EventRecorder } from '../runtime/events.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import type { UnitRoom } from './choose.js';
import { ANNOTATION_POLICY, GATE } from './constants.js';
import { unitEligibility } from './eligibility.js';
import { nodeInUnit } from './membership.js';
import { releasePatch, specInUnit } from './patch.js';
import { planPolicy, type Action } from './plan.js';
import type { PodView } from './pod-view.js';
import { matchingPolicies } from './select.js';
import { readPolicy, type Policy, type Unit } from './spec.js';
import { buildStatus, statusChanged, statusPatch, type ConditionInput } from './status.js';
import { beyondCounts, StatusPacer } from './status-pace.js';
import { strandedByGonePolicy, type Refusal } from './stuck.js';
import { hasGate, isDaemonSetPod, timeMs, type PolicyPod } from './types.js';
import { GatedPodsReporter, type ResourcePolicyMetrics } from './metrics.js';
import type { ReservationLedger } from './reservations.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
/** The Job controller counts a pod (as failed, if it did not succeed) when it removes this. */
const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const ACTION_CONCURRENCY = 16;

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface ReconcilerDeps {
  kubeConfig: KubeConfig;
  policies: (namespace: string) => readonly ResourcePolicy[];
  pods: (namespace: string) => readonly V1Pod[];
  allPods: () => readonly V1Pod[];
  node: (name: string) => V1Node | undefined;
  nodes: () => readonly V1Node[];
  estimator: Estimator;
  podView: PodView;
  recorder: EventRecorder;
  metrics: ResourcePolicyMetrics;
  logger: Logger;
  /** Places the webhook took at admission for pods the watch has not shown yet. */
  reservations?: ReservationLedger;
}

interface ReadEntry {
  raw: ResourcePolicy;
  policy?: Policy;
  errors: readonly string[];
  warnings: readonly string[];
}

function policyRef(rp: ResourcePolicy) {
  return {
    apiVersion: RESOURCE_POLICY_API_VERSION,
    kind: RESOURCE_POLICY_KIND,
    namespace: rp.metadata.namespace,
    name: rp.metadata.name ?? '',
    uid: rp.metadata.uid,
  };
}

function podRef(pod: PolicyPod) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: pod.metadata?.namespace,
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid,
  };
}

function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

export class NamespaceReconciler {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  /** Last hold reason told per pod uid, so a waiting pod gets one Event per change. */
  private readonly told = new Map<string, string>();
  /** Per policy uid: until when waiting is suspended in each unit (ms). */
  private readonly suspended = new Map<string, (number | undefined)[]>();
  /** Per policy uid: units kube-scheduler lately could not place pods of an owner in. */
  private readonly refusals = new Map<string, Refusal[]>();
  /** unitEligibility by unit and pod constraints, cleared at every pass (nodes change). */
  private readonly eligibilityCache = new Map<
    string,
    { unitNodes: number; eligibleNodes: number }
  >();
  private readonly gatedReporter: GatedPodsReporter;
  /** Counts in a policy's status are written at most about once a second (status-pace.ts). */
  private readonly statusPacer = new StatusPacer();

  constructor(private readonly deps: ReconcilerDeps) {
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
    this.gatedReporter = new GatedPodsReporter(deps.metrics.gatedPods);
  }

  /** Returns the delay after which the namespace must be looked at again, if any. */
  async reconcile(namespace: string): Promise<{ requeueAfterMs?: number; gated: number }> {
    const { deps } = this;
    this.eligibilityCache.clear();
    const entries: ReadEntry[] = deps
      .policies(namespace)
      .map((raw) => ({ raw, ...readPolicy(raw) }));
    const valid = entries.filter(
      (e): e is ReadEntry & { policy: Policy } => e.policy !== undefined,
    );
    const pods = deps.podView.view(deps.pods(namespace));
    const owned = new Map<Policy, V1Pod[]>(valid.map((e) => [e.policy, []]));
    const conflicts = new Map<Policy, Set<string>>();
    const orphans: V1Pod[] = [];
    const daemons: V1Pod[] = [];
    for (const pod of pods) {
      if (isDaemonSetPod(pod)) {
        if (hasGate(pod, GATE)) daemons.push(pod);
        continue;
      }
      const [winner, ...losers] = matchingPolicies(
        valid.map((e) => e.policy),
        namespace,
        pod.metadata?.labels,
      );
      if (!winner) {
        if (hasGate(pod, GATE)) orphans.push(pod);
        continue;
      }
      owned.get(winner)?.push(pod);
      for (const l of losers) {
        let s = conflicts.get(l);
        if (!s) conflicts.set(l, (s = new Set()));
        s.add(winner.name);
      }
    }
    for (const pod of daemons)
      await this.release(
        pod,
        'DaemonSetPod',
        'DaemonSet pods are pinned to their node and not placed by ResourcePolicy: scheduled without units',
      );
    // Pods a policy that is gone sent to a unit where they cannot be scheduled: recreated by
    // their owners without the unit's constraints, so deleting a policy strands nobody.
    const validNames = new Set(valid.map((e) => e.policy.name));
    for (const pod of pods) {
      if (isDaemonSetPod(pod) || hasGate(pod, GATE) || !strandedByGonePolicy(pod, validNames))
        continue;
      await this.moveOut(pod)
        .then(() =>
          deps.recorder.record(
            podRef(pod),
            'Normal',
            'ResourcePolicyGone',
            `ResourcePolicy ${pod.metadata?.annotations?.[ANNOTATION_POLICY] ?? ''} is gone and the pod cannot be scheduled with its unit's constraints: deleted so that its owner recreates it without them`,
          ),
        )
        .catch((err: unknown) => {
          const code = statusCode(err);
          if (code !== 404 && code !== 409)
            deps.logger.warn('could not recreate a stranded pod', {
              namespace,
              pod: pod.metadata?.name,
              error: errorMessage(err),
            });
        });
    }
    for (const pod of orphans)
      await this.release(
        pod,
        'NoResourcePolicy',
        'no valid ResourcePolicy selects the pod any more: scheduled without units',
      );

    let next: number | undefined;
    let gated = 0;
    const gatedByPolicy = new Map<string, number>();
    const now = Date.now();
    for (const e of entries) {
      if (!e.policy) {
        const later = await this.writeStatus(e.raw, undefined, [
          { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: e.errors.join('; ') },
        ]);
        if (later !== undefined) next = next === undefined ? later : Math.min(next, later);
        await deps.recorder.record(policyRef(e.raw), 'Warning', 'InvalidSpec', e.errors.join('; '));
        continue;
      }
      const r = await this.reconcilePolicy(
        { ...e, policy: e.policy },
        owned.get(e.policy) ?? [],
        conflicts.get(e.policy),
        now,
      );
      gated += r.gated;
      gatedByPolicy.set(e.policy.name, r.gated);
      if (r.nextCheckMs !== undefined)
        next = next === undefined ? r.nextCheckMs : Math.min(next, r.nextCheckMs);
    }
    this.gatedReporter.report(namespace, gatedByPolicy);
    return {
      gated,
      ...(next !== undefined ? { requeueAfterMs: Math.max(100, next - Date.now()) } : {}),
    };
  }

  /** Owners some unit of the policy lately refused (the admission decision keeps their gate). */
  refusedOwners(policyUid: string): ReadonlySet<string> {
    return new Set((this.refusals.get(policyUid) ?? []).map((r) => r.owner));
  }

  /** Per unit: whether pods may not wait there now (a pod timed out there recently). */
  waitSuspended(policy: Policy, raw: ResourcePolicy, nowMs: number): boolean[] {
    const until = this.storedSuspensions(policy, raw);
    return policy.units.map((_, i) => (until[i] ?? 0) > nowMs);
  }

  private storedSuspensions(policy: Policy, raw: ResourcePolicy): (number | undefined)[] {
    return (
      this.suspended.get(policy.uid) ??
      (raw.status?.units ?? []).map((u) =>
        u.waitSuspendedUntil ? timeMs(u.waitSuspendedUntil) : undefined,
      )
    );
  }

  /**
   * Capacity of a unit's nodes for a pod (also asked at admission). `assumeVictims`: when the
   * unit is full, say lower-priority pods may run there instead of counting them (a scan of
   * every pod): the admission then keeps the gate and the pass counts them.
   */
  room(unit: Unit, pod: PolicyPod, assumeVictims = false): UnitRoom {
    const fits = this.deps.estimator.maxReplicas({ spec: specInUnit(pod.spec, unit) });
    if (fits > 0) return { fits, lowerPriorityPods: 0 };
    // No room: tell a unit the pod's own constraints rule out from one that is full. O(nodes),
    // only for pods that found no room.
    // Pods of one workload share their constraints: one answer per shape and unit per pass.
    const key = JSON.stringify([
      unit.resource,
      unit.nodeSelector,
      pod.spec?.nodeSelector,
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      pod.spec?.tolerations,
    ]);
    let eligibility = this.eligibilityCache.get(key);
    if (!eligibility) {
      const nodes = this.deps.nodes().map((n) => ({
        name: n.metadata?.name ?? '',
        labels: n.metadata?.labels ?? {},
        taints: n.spec?.taints ?? [],
      }));
      eligibility = unitEligibility(pod, unit, nodes);
      this.eligibilityCache.set(key, eligibility);
    }
    const { unitNodes, eligibleNodes } = eligibility;
    if (unitNodes > 0 && eligibleNodes === 0)
      return { fits, lowerPriorityPods: 0, excludedByPod: true };
    const priority = pod.spec?.priority ?? 0;
    if (priority <= 0) return { fits, lowerPriorityPods: 0 };
    // Preemption victims only matter for a pod with a priority, when the unit is full.
    if (assumeVictims) return { fits, lowerPriorityPods: 1 };
    let lowerPriorityPods = 0;
    for (const p of this.deps.allPods()) {
      const nodeName = p.spec?.nodeName;
      if (!nodeName || p.metadata?.deletionTimestamp || (p.spec?.priority ?? 0) >= priority)
        continue;
      const labels = this.deps.node(nodeName)?.metadata?.labels;
      if (labels && nodeInUnit(unit, labels)) lowerPriorityPods++;
    }
    return { fits, lowerPriorityPods };
  }

  private async reconcilePolicy(
    e: ReadEntry & { policy: Policy },
    pods: V1Pod[],
    conflictsWith: Set<string> | undefined,
    nowMs: number,
  ): Promise<{ gated: number; nextCheckMs?: number }> {
    const { policy, raw } = e;
    const stored = this.storedSuspensions(policy, raw);
    const held = this.deps.reservations?.pending(policy.namespace, policy.name, nowMs) ?? [];
    const plan = planPolicy({
      policy,
      pods,
      nodeLabels: (name) => this.deps.node(name)?.metadata?.labels,
      room: (unit, pod) => this.room(unit, pod),
      nowMs,
      waitSuspendedUntil: stored,
      refusals: this.refusals.get(policy.uid) ?? [],
      unitNodeCount: (unit) =>
        this.deps.nodes().filter((n) => nodeInUnit(unit, n.metadata?.labels ?? {})).length,
      reserved: held.map((r) => r.pod),
    });
    this.suspended.set(policy.uid, plan.waitSuspendedUntil);
    if (plan.refusals.length > 0) this.refusals.set(policy.uid, plan.refusals);
    else this.refusals.delete(policy.uid);
    let failed = false;
    // The plan already accounts for every action, and each write is independent (a pod patch
    // carries its resourceVersion), so they go out concurrently: one API round trip per pass
    // instead of one per pod.
    await inParallel(plan.actions, ACTION_CONCURRENCY, async (action) => {
      try {
        await this.execute(policy, raw, action);
      } catch (err) {
        failed = true;
        const code = statusCode(err);
        if (code !== 409 && code !== 404)
          this.deps.logger.warn('action failed', {
            policy: `${policy.namespace}/${policy.name}`,
            action: action.kind,
            pod: action.pod.metadata?.name,
            error: errorMessage(err),
          });
      }
    });
    const conditions: ConditionInput[] = [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Accepted',
        message: `${policy.units.length} unit(s); gated pods are placed in unit order`,
      },
    ];
    if (e.warnings.length > 0) {
      conditions.push({
        type: 'Warnings',
        status: 'True',
        reason: 'SpecWarnings',
        message: e.warnings.join('; '),
      });
      await this.deps.recorder.record(
        policyRef(raw),
        'Warning',
        'SpecWarnings',
        e.warnings.join('; '),
      );
    }
    if (conflictsWith && conflictsWith.size > 0) {
      const message = `some pods this policy selects are taken by ${[...conflictsWith].sort().join(', ')} (more specific selector, or older)`;
      conditions.push({ type: 'Conflict', status: 'True', reason: 'OverlappingSelector', message });
      await this.deps.recorder.record(policyRef(raw), 'Warning', 'OverlappingSelector', message);
    }
    const statusDueMs = await this.writeStatus(
      raw,
      {
        policy,
        tallies: plan.tallies,
        suspendedUntil: plan.waitSuspendedUntil,
        gated: plan.gated,
        outsideUnits: plan.outsideUnits,
      },
      conditions,
    );
    // A failed write (conflict, pod changed) is decided again on fresh data shortly. Gated pods
    // held back by reservations are decided once the watch shows those pods (a pod event
    // requeues the namespace) or, at the latest, when the reservations expire.
    let next = failed ? nowMs + 500 : plan.nextCheckMs;
    for (const r of held) next = next === undefined ? r.expiresMs : Math.min(next, r.expiresMs);
    if (statusDueMs !== undefined)
      next = next === undefined ? statusDueMs : Math.min(next, statusDueMs);
    return { gated: plan.gated, ...(next !== undefined ? { nextCheckMs: next } : {}) };
  }

  private async execute(policy: Policy, raw: ResourcePolicy, action: Action): Promise<void> {
    const { deps } = this;
    const pod = action.pod;
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    const uid = pod.metadata?.uid ?? '';
    switch (action.kind) {
      case 'assign': {
        const updated = await this.core.patchNamespacedPod(
          { name, namespace, body: action.patch },
          mergePatch,
        );
        deps.podView.wrote(updated);
        this.told.delete(uid);
        deps.metrics.decisions.inc({ decision: 'assign', reason: action.reason });
        deps.logger.info('pod sent to unit', {
          policy: policy.name,
          namespace,
          pod: name,
          unit: action.unit,
          reason: action.reason,
        });
        // A pod sent where it has room gets no Event: one per pod cost the API server one
        // more write per pod (the unit is on the pod, the counts in the policy's status and
        // the decisions metric). Waiting for nodes or preempting is worth telling. Not
        // awaited: waiting held the whole pass one more round trip; record() logs its errors.
        if (action.reason !== 'HasRoom')
          void deps.recorder.record(
            podRef(pod),
            'Normal',
            action.reason === 'WaitForCapacity' ? 'WaitingInUnit' : 'AssignedToUnit',
            `ResourcePolicy ${policy.name}: ${action.message}`,
          );
        return;
      }
      case 'hold': {
        if (this.told.get(uid) === action.reason) return;
        this.told.set(uid, action.reason);
        if (this.told.size > 100_000) this.told.clear();
        deps.metrics.decisions.inc({ decision: 'hold', reason: action.reason });
        await deps.recorder.record(
          podRef(pod),
          action.reason === 'MissingMatchLabelKey' ? 'Warning' : 'Normal',
          action.reason,
          `ResourcePolicy ${policy.name}: ${action.message}`,
        );
        return;
      }
      case 'move': {
        await this.moveOut(pod);
        deps.metrics.decisions.inc({ decision: 'move', reason: 'UnschedulableInUnit' });
        deps.logger.info('pod unschedulable in its unit; deleted for the next unit', {
          policy: policy.name,
          namespace,
          pod: name,
          unit: action.unit,
        });
        await deps.recorder.record(
          podRef(pod),
          'Warning',
          'UnschedulableInUnit',
          `ResourcePolicy ${policy.name}: ${action.message}`,
        );
        await deps.recorder.record(
          policyRef(raw),
          'Normal',
          'UnschedulableInUnit',
          `pod ${name}: ${action.message}`,
        );
        return;
      }
      case 'timeout': {
        await this.moveOut(pod);
        deps.metrics.decisions.inc({ decision: 'timeout', reason: 'WaitTimeout' });
        deps.logger.info('waiting pod timed out; deleted', {
          policy: policy.name,
          namespace,
          pod: name,
          unit: action.unit,
        });
        await deps.recorder.record(
          podRef(pod),
          'Warning',
          'UnitWaitTimeout',
          `ResourcePolicy ${policy.name}: ${action.message}`,
        );
        await deps.recorder.record(
          policyRef(raw),
          'Normal',
          'UnitWaitTimeout',
          `pod ${name} ${action.message}`,
        );
        return;
      }
      case 'deletionCost': {
        const updated = await this.core.patchNamespacedPod(
          {
            name,
            namespace,
            body: {
              metadata: {
                annotations: { 'controller.kubernetes.io/pod-deletion-cost': action.cost },
              },
            },
          },
          mergePatch,
        );
        deps.podView.wrote(updated);
        return;
      }
    }
  }

  /**
   * Deletes a pod that never ran so that its owner recreates it, without costing the owner a
   * failure. A Job counts every deleted pod that still carries its tracking finalizer as failed
   * (with backoffLimit: 0 the Job fails at once), and only such pods: so the finalizer goes
   * first, guarded by the pod's resourceVersion, then the pod, guarded by the new one. If the
   * pod changed in between (a node took it), it stays and gets the finalizer back.
   */
  private async moveOut(pod: PolicyPod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    const uid = pod.metadata?.uid ?? '';
    let resourceVersion = pod.metadata?.resourceVersion;
    const finalizers = pod.metadata?.finalizers ?? [];
    const tracked = finalizers.includes(JOB_TRACKING_FINALIZER);
    if (tracked) {
      const updated = await this.core.patchNamespacedPod(
        {
          name,
          namespace,
          body: {
            metadata: {
              resourceVersion,
              finalizers: finalizers.filter((f) => f !== JOB_TRACKING_FINALIZER),
            },
          },
        },
        mergePatch,
      );
      this.deps.podView.wrote(updated);
      resourceVersion = updated.metadata?.resourceVersion;
    }
    try {
      await this.core.deleteNamespacedPod({
        name,
        namespace,
        body: { preconditions: { uid, resourceVersion } },
      });
    } catch (err) {
      if (tracked && statusCode(err) === 409)
        await this.core
          .patchNamespacedPod(
            {
              name,
              namespace,
              body: [{ op: 'add', path: '/metadata/finalizers/-', value: JOB_TRACKING_FINALIZER }],
            },
            jsonPatch,
          )
          .catch(() => undefined);
      throw err;
    }
    this.deps.podView.deletedPod(pod);
  }

  private async release(pod: V1Pod, reason: string, message: string): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    try {
      const updated = await this.core.patchNamespacedPod(
        { name, namespace, body: releasePatch(pod) },
        mergePatch,
      );
      this.deps.podView.wrote(updated);
      this.deps.metrics.decisions.inc({ decision: 'release', reason });
      await this.deps.recorder.record(podRef(pod), 'Normal', reason, message);
    } catch (err) {
      if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
    }
  }

  private async writeStatus(
    raw: ResourcePolicy,
    counts:
      | {
          policy: Policy;
          tallies: Parameters<typeof buildStatus>[0]['tallies'];
          suspendedUntil: (number | undefined)[];
          gated: number;
          outsideUnits: number;
        }
      | undefined,
    conditions: ConditionInput[],
  ): Promise<number | undefined> {
    const status = buildStatus({
      previous: raw.status,
      generation: raw.metadata.generation ?? 0,
      policy: counts?.policy ?? { units: [], matchLabelKeys: [] },
      specUnits: raw.spec?.units ?? [],
      tallies: counts?.tallies ?? [],
      suspendedUntil: counts?.suspendedUntil ?? [],
      gated: counts?.gated ?? 0,
      outsideUnits: counts?.outsideUnits ?? 0,
      conditions,
      nowIso: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    if (!statusChanged(raw.status, status)) return undefined;
    // Only counts changed, and the status was written less than a second ago: a pass at the
    // window's end writes the counts of that moment (the caller requeues the namespace then).
    const nowMs = Date.now();
    const pace = this.statusPacer.offer(
      raw.metadata.uid ?? `${raw.metadata.namespace ?? ''}/${raw.metadata.name ?? ''}`,
      nowMs,
      beyondCounts(raw.status, status),
    );
    if (!pace.write) return nowMs + pace.inMs;
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: RESOURCE_POLICY_GROUP,
          version: RESOURCE_POLICY_VERSION,
          namespace: raw.metadata.namespace ?? '',
          plural: RESOURCE_POLICY_PLURAL,
          name: raw.metadata.name ?? '',
          body: statusPatch(raw.status, status),
        },
        mergePatch,
      );
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    return undefined;
  }
}
