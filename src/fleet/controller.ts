/**
 * `spillway fleet-controller`: wires the hub watches, the member registry and the binding
 * reconciler to one work queue keyed by template, behind leader election, with probes and
 * metrics. Only the leader reconciles; every replica keeps its caches warm for a fast takeover.
 */
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { statusPatchChanges } from './status-change.js';
import {
  FLEET_GROUP,
  FLEET_VERSION,
  type ResourceBinding,
  type WorkloadRebalancer,
} from '../api/fleet.js';
import type { AnyOverridePolicy } from '../api/override.js';
import { POLICY_GROUP, POLICY_VERSION, type AnyPropagationPolicy } from '../api/policy.js';
import { statusCode } from '../runtime/api-errors.js';
import { EventRecorder } from '../runtime/events.js';
import { startHealthServer, type HealthServer } from '../runtime/health.js';
import { shareConnections, registerRequestMetric } from '../runtime/connections.js';
import { WatchedCache } from '../runtime/informer.js';
import { LeaderElector } from '../runtime/leader.js';
import { createLogger, errorMessage, type Logger } from '../runtime/logger.js';
import { meteredQueueOptions, newControllerMetrics, newRegistry } from '../runtime/metrics.js';
import { WorkQueue, type Priority } from '../runtime/workqueue.js';
import { DEFAULT_FLEET_WORKERS } from './workers.js';
import { TemplateChanges, type WatchedTemplate } from './template-change.js';
import { fenceWrites, writeGateOf } from '../runtime/write-fence.js';
import { BindingReconciler } from './binding-reconciler.js';
import { BindingVersions } from './binding-versions.js';
import { KubeReconcilePort } from './reconcile-io.js';
import { dependenciesOf } from './dependencies.js';
import { DependencyWatch } from './dependency-watch.js';
import type { TemplateObject } from './member-copy.js';
import { MemberRegistry } from './member-registry.js';
import { FleetMetrics } from './metrics.js';
import { choosePolicy, type PolicyChoice, type TemplateRef } from './policy-match.js';
import { policyStatusOf } from './policy-status.js';
import { RebalancerSync } from './rebalancer-sync.js';
import { OverrideWatch } from './override-watch.js';
import { formatTemplateKey } from './template-key.js';
import { TemplateKinds, kindKey } from './template-kinds.js';

const CONTROLLER = 'fleet';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface FleetControllerOptions {
  hub: KubeConfig;
  /** Namespace of the leader Lease and of member kubeconfig Secrets by convention. */
  namespace: string;
  /** 0 picks a free port; undefined disables the health server. */
  healthPort?: number;
  leaderElection?: boolean;
  /** Reconcile workers (DEFAULT_FLEET_WORKERS); one key is never on two at once. */
  workers?: number;
  logger?: Logger;
  /** Member health probe period. */
  probeIntervalMs?: number;
  /** Re-check period for bindings that wait for capacity, unbound pods or a failed write. */
  recheckMs?: number;
  /** Called after leadership is lost (workers are stopped already); the CLI exits. */
  onLostLeadership?: () => void;
}

export interface FleetController {
  healthPort?: number;
  isLeader(): boolean;
  stop(): Promise<void>;
}

function asPolicy(o: KubernetesObject): AnyPropagationPolicy {
  return o as unknown as AnyPropagationPolicy;
}

/** rebalance is on and some replicas run outside the first group: freed room may bring them home. */
function mayMoveHome(b: ResourceBinding): boolean {
  if (b.spec.rebalance?.enabled !== true) return false;
  const first = b.spec.placement?.clusterAffinities?.[0]?.affinityName;
  return first !== undefined && (b.spec.clusters ?? []).some((c) => c.affinityName !== first);
}

function asOverride(o: KubernetesObject): AnyOverridePolicy {
  return o as unknown as AnyOverridePolicy;
}

export async function runFleetController(
  options: FleetControllerOptions,
): Promise<FleetController> {
  let elector: LeaderElector | undefined;
  const leaderElection = options.leaderElection ?? true;
  // Kept-alive connections under the fence, so the fence still sees every write.
  shareConnections(options.hub);
  // Every write goes through a fenced config: none leaves a replica without a fresh lease. The
  // elector alone keeps the unfenced one (its lease writes are how it gets one).
  const opts = {
    ...options,
    hub: leaderElection ? fenceWrites(options.hub, () => elector?.isLeader ?? false) : options.hub,
  };
  const logger = opts.logger ?? createLogger('fleet-controller');
  const registry = newRegistry();
  registerRequestMetric(registry);
  const cm = newControllerMetrics(registry);
  const metrics = new FleetMetrics(registry);
  const recorder = new EventRecorder(opts.hub, 'spillway-fleet-controller', logger);
  const custom = opts.hub.makeApiClient(CustomObjectsApi);
  const queue = new WorkQueue(meteredQueueOptions(cm, CONTROLLER, logger));

  /** A watched cache of one cluster-wide listing of our custom resources on the hub. */
  const cacheOf = (group: string, version: string, plural: string) =>
    new WatchedCache<KubernetesObject>({
      kubeConfig: opts.hub,
      path: `/apis/${group}/${version}/${plural}`,
      list: async () =>
        (await custom.listClusterCustomObject({
          group,
          version,
          plural,
        })) as KubernetesListObject<KubernetesObject>,
      logger,
    });
  const policyCache = cacheOf(POLICY_GROUP, POLICY_VERSION, 'propagationpolicies');
  const clusterPolicyCache = cacheOf(POLICY_GROUP, POLICY_VERSION, 'clusterpropagationpolicies');
  const bindingCache = cacheOf(FLEET_GROUP, FLEET_VERSION, 'resourcebindings');
  const rebalancerCache = cacheOf(FLEET_GROUP, FLEET_VERSION, 'workloadrebalancers');
  const overridePolicyCache = cacheOf(POLICY_GROUP, POLICY_VERSION, 'overridepolicies');
  const clusterOverridePolicyCache = cacheOf(
    POLICY_GROUP,
    POLICY_VERSION,
    'clusteroverridepolicies',
  );
  const overridePolicies = (): AnyOverridePolicy[] => [
    ...overridePolicyCache
      .list()
      .map((o) => ({ ...asOverride(o), kind: 'OverridePolicy' as const })),
    ...clusterOverridePolicyCache
      .list()
      .map((o) => ({ ...asOverride(o), kind: 'ClusterOverridePolicy' as const })),
  ];
  const policies = (): AnyPropagationPolicy[] => [
    ...policyCache.list().map((o) => ({ ...asPolicy(o), kind: 'PropagationPolicy' as const })),
    ...clusterPolicyCache
      .list()
      .map((o) => ({ ...asPolicy(o), kind: 'ClusterPropagationPolicy' as const })),
  ];
  const bindings = (): ResourceBinding[] =>
    bindingCache.list().map((o) => o as unknown as ResourceBinding);

  // Sweeps over many templates (resyncs, a member change) queue them with low priority, so a
  // change to one workload is not served after thousands of no-op reconciles.
  const enqueueTemplate = (o: KubernetesObject, priority: Priority = 'high') =>
    queue.add(
      formatTemplateKey({
        apiVersion: o.apiVersion ?? '',
        kind: o.kind ?? '',
        namespace: o.metadata?.namespace ?? '',
        name: o.metadata?.name ?? '',
      }),
      priority,
    );
  // Our own status, annotation and finalizer writes come back as updates: not re-queued.
  const templateChanges = new TemplateChanges();
  const templates = new TemplateKinds(
    opts.hub,
    logger,
    (o, event) => {
      if (!templateChanges.changed(o as WatchedTemplate, event)) return;
      enqueueTemplate(o, event === 'resync' ? 'low' : 'high');
      policyStatusChanged();
    },
    // A kind looked up again: the policies naming it may say something else now (its templates,
    // once listed, come as add events).
    () => policyStatusChanged(),
  );

  /** Every template a policy could claim and every template bound now. */
  const enqueueAll = () => {
    for (const p of policies())
      for (const s of p.spec.resourceSelectors)
        for (const t of templates.list(s)) enqueueTemplate(t, 'low');
    for (const b of bindings())
      queue.add(
        formatTemplateKey({ ...b.spec.resource, namespace: b.spec.resource.namespace ?? '' }),
        'low',
      );
  };
  let capacityTimer: NodeJS.Timeout | undefined;
  // A deleted member's series must go at once, or its "not ready" alert fires for ever.
  const observeMembers = () =>
    metrics.observeMembers(
      new Map(
        members
          .infos()
          .map((mc) => [mc.name, members.get(mc.name)?.connection?.probeResult.ready ?? false]),
      ),
    );
  const members = new MemberRegistry(
    opts.hub,
    logger,
    {
      copyChanged: (template, resync) =>
        queue.add(formatTemplateKey(template), resync ? 'low' : 'high'),
      capacityChanged: () => {
        // Node and pod events come in bursts; one re-check per second is enough.
        capacityTimer ??= setTimeout(() => {
          capacityTimer = undefined;
          for (const b of bindings())
            if ((b.status?.waitingForCapacity ?? 0) > 0 || mayMoveHome(b))
              queue.add(
                formatTemplateKey({
                  ...b.spec.resource,
                  namespace: b.spec.resource.namespace ?? '',
                }),
              );
        }, 1000);
      },
      membersChanged: () => {
        observeMembers();
        enqueueAll();
        policyStatusChanged();
      },
      stillUsed: (member) =>
        bindings().some(
          (b) =>
            (b.spec.clusters ?? []).some((c) => c.name === member) ||
            (b.status?.aggregatedStatus ?? []).some((s) => s.clusterName === member && s.applied),
        ),
    },
    opts.probeIntervalMs,
  );

  // propagateDeps: an edit of a hub ConfigMap (Secret, ...) re-syncs the workloads using it.
  const dependencyWatch = new DependencyWatch(opts.hub, logger, (kind, namespace, name) => {
    for (const b of bindings()) {
      if (b.spec.resource.namespace !== namespace) continue;
      const t = templates.get(b.spec.resource, namespace, b.spec.resource.name);
      if (!t) continue;
      if (dependenciesOf(t as TemplateObject).some((r) => r.kind === kind && r.name === name))
        queue.add(formatTemplateKey({ ...b.spec.resource, namespace }));
    }
  });
  const watchDependencies = () => {
    if (policies().some((p) => p.spec.propagateDeps === true))
      void dependencyWatch
        .ensure()
        .catch((err: unknown) =>
          logger.warn('could not watch dependencies', { error: errorMessage(err) }),
        );
  };

  const onPolicies = async () => {
    const kinds = policies().flatMap((p) =>
      p.spec.resourceSelectors.map((s) => ({ apiVersion: s.apiVersion, kind: s.kind })),
    );
    await templates.ensure(kinds);
    watchDependencies();
    enqueueAll();
    await writePolicyStatuses();
  };
  let policyTimer: NodeJS.Timeout | undefined;
  const policyChanged = () => {
    policyTimer ??= setTimeout(() => {
      policyTimer = undefined;
      void onPolicies().catch((err: unknown) =>
        logger.warn('policy update failed', { error: errorMessage(err) }),
      );
    }, 200);
  };
  // A status-only update (ours: matchedTemplates, conditions) leaves the generation as it is and
  // changes no placement: re-queueing every template for it would be a storm on a busy hub.
  const seenGeneration = new Map<string, number | undefined>();
  const onPolicyEvent = (o: KubernetesObject, e: 'add' | 'update' | 'delete' | 'resync') => {
    if (e === 'resync') return;
    const uid = o.metadata?.uid ?? '';
    const generation = o.metadata?.generation;
    if (e === 'update' && seenGeneration.has(uid) && seenGeneration.get(uid) === generation) return;
    if (e === 'delete') seenGeneration.delete(uid);
    else seenGeneration.set(uid, generation);
    policyChanged();
  };
  policyCache.on(onPolicyEvent);
  clusterPolicyCache.on(onPolicyEvent);
  // A binding being deleted (by hand, by the garbage collector or with its namespace) waits on
  // its finalizer for the reconcile that removes its member copies.
  bindingCache.on((o, e) => {
    if (e !== 'resync' && o.metadata?.deletionTimestamp) {
      const b = o as unknown as ResourceBinding;
      queue.add(
        formatTemplateKey({ ...b.spec.resource, namespace: b.spec.resource.namespace ?? '' }),
      );
    }
  });
  // WorkloadRebalancers: asked bindings and their outcome (rebalancer-sync.ts), on any change
  // of a rebalancer or a binding, once at a time; only the leader writes.
  // Every writer of bindings in this process tells it what its write returned, so the
  // reconcile can use the binding cache when it holds that version (binding-versions.ts).
  const bindingVersions = new BindingVersions();
  const rebalancerSync = new RebalancerSync(
    opts.hub,
    logger,
    (w) => queue.add(formatTemplateKey(w)),
    bindingVersions,
  );
  let rebalancerTimer: NodeJS.Timeout | undefined;
  const rebalancersChanged = (delayMs = 300) => {
    if (rebalancerTimer || rebalancerCache.list().length === 0) return;
    rebalancerTimer = setTimeout(() => {
      void (async () => {
        if (!(elector?.isLeader ?? true)) return undefined;
        return rebalancerSync.sync(
          rebalancerCache.list().map((o) => o as unknown as WorkloadRebalancer),
          (ns, name) => bindingCache.get(name, ns) as unknown as ResourceBinding | undefined,
          Date.now(),
        );
      })()
        .then((next) => {
          rebalancerTimer = undefined;
          if (next !== undefined) rebalancersChanged(next);
        })
        .catch((err: unknown) => {
          rebalancerTimer = undefined;
          logger.warn('WorkloadRebalancer sync failed', { error: errorMessage(err) });
        });
    }, delayMs);
  };
  rebalancerCache.on((_o, e) => {
    if (e !== 'delete') rebalancersChanged();
  });
  bindingCache.on(() => rebalancersChanged());

  // matchedTemplates and the cluster conditions depend on templates and members too.
  let policyStatusTimer: NodeJS.Timeout | undefined;
  const policyStatusChanged = () => {
    policyStatusTimer ??= setTimeout(() => {
      policyStatusTimer = undefined;
      void writePolicyStatuses().catch((err: unknown) =>
        logger.warn('policy status update failed', { error: errorMessage(err) }),
      );
    }, 500);
  };

  const writePolicyStatuses = async () => {
    if (!writeGateOf(opts.hub)()) return; // a standby: the leader writes them
    const now = new Date();
    const all = policies();
    const failedKinds = templates.failures();
    const memberInfos = members.infos();
    // One claim per template for this pass, shared by every policy's status.
    const claims = new Map<string, PolicyChoice | undefined>();
    const choose = (t: TemplateRef): PolicyChoice | undefined => {
      const id = `${t.apiVersion}|${t.kind}|${t.namespace}|${t.name}`;
      if (!claims.has(id)) claims.set(id, choosePolicy(t, all));
      return claims.get(id);
    };
    for (const p of all) {
      const seen = new Set<string>();
      const refs = p.spec.resourceSelectors
        .flatMap((s) => templates.list(s))
        .map((t) => ({
          apiVersion: t.apiVersion ?? '',
          kind: t.kind ?? '',
          namespace: t.metadata?.namespace ?? '',
          name: t.metadata?.name ?? '',
          labels: t.metadata?.labels ?? {},
        }))
        .filter((t) => {
          const id = `${t.apiVersion}|${t.kind}|${t.namespace}|${t.name}`;
          if (seen.has(id)) return false;
          seen.add(id);
          return true;
        });
      const status = policyStatusOf({
        policy: p,
        policies: all,
        templates: refs,
        members: memberInfos,
        choose,
        unknownKinds: [
          ...new Set(
            p.spec.resourceSelectors
              .map((s) => failedKinds.get(kindKey(s)))
              .filter((m): m is string => m !== undefined),
          ),
        ],
        now,
      });
      // Template and member events call this often; write only what changed.
      if (!statusPatchChanges(p.status, status)) continue;
      const plural =
        p.kind === 'PropagationPolicy' ? 'propagationpolicies' : 'clusterpropagationpolicies';
      const body = { status };
      const call =
        p.kind === 'PropagationPolicy'
          ? custom.patchNamespacedCustomObjectStatus(
              {
                group: POLICY_GROUP,
                version: POLICY_VERSION,
                plural,
                namespace: p.metadata.namespace ?? '',
                name: p.metadata.name ?? '',
                body,
              },
              mergePatch,
            )
          : custom.patchClusterCustomObjectStatus(
              {
                group: POLICY_GROUP,
                version: POLICY_VERSION,
                plural,
                name: p.metadata.name ?? '',
                body,
              },
              mergePatch,
            );
      await call.catch((err: unknown) =>
        logger.warn('could not write policy status', {
          policy: p.metadata.name,
          error: errorMessage(err),
        }),
      );
    }
  };

  // Override policies: a change re-syncs the copies of the templates they select (or selected).
  const overrideWatch = new OverrideWatch({
    hub: opts.hub,
    logger,
    policies: overridePolicies,
    templates: () =>
      bindings().map((b) => {
        const ref = { ...b.spec.resource, namespace: b.spec.resource.namespace ?? '' };
        const t = templates.get(ref, ref.namespace, ref.name);
        return { ...ref, labels: t?.metadata?.labels ?? {} };
      }),
    enqueue: (ref) => queue.add(formatTemplateKey(ref)),
  });
  overridePolicyCache.on((o, e) => overrideWatch.onPolicyEvent(asOverride(o), 'OverridePolicy', e));
  clusterOverridePolicyCache.on((o, e) =>
    overrideWatch.onPolicyEvent(asOverride(o), 'ClusterOverridePolicy', e),
  );

  const reconciler = new BindingReconciler({
    port: new KubeReconcilePort({
      hub: opts.hub,
      recorder,
      members,
      templates,
      policies,
      overridePolicies: () => overrideWatch.policies(),
      cachedBinding: (namespace, name) =>
        bindingCache.get(name, namespace) as unknown as ResourceBinding | undefined,
      bindingVersions,
    }),
    logger,
    overrides: overrideWatch,
    metrics,
    recheckMs: opts.recheckMs ?? 5000,
  });

  // Up before the first lists, which wait as long as the hub API server does not answer (an
  // install or an upgrade rolling it): the replica is alive meanwhile, only not ready.
  let listed = false;
  let health: HealthServer | undefined;
  if (opts.healthPort !== undefined) {
    health = await startHealthServer({
      port: opts.healthPort,
      registry,
      ready: () => (listed && templates.synced ? true : 'caches not synced'),
    });
  }

  // Awaited: a copy rendered before the override policies are known would drop their changes.
  // A hub upgraded without their CRDs has none, and waits for nothing.
  const served = (plural: string) =>
    custom.listClusterCustomObject({ group: POLICY_GROUP, version: POLICY_VERSION, plural }).then(
      () => true,
      (err: unknown) => {
        if (statusCode(err) !== 404) return true; // the cache's start retries
        logger.warn('override policy CRD not installed: no overrides apply', { plural });
        return false;
      },
    );
  const overrideCaches = [
    ...((await served('overridepolicies')) ? [overridePolicyCache] : []),
    ...((await served('clusteroverridepolicies')) ? [clusterOverridePolicyCache] : []),
  ];
  await Promise.all([
    policyCache.start(),
    clusterPolicyCache.start(),
    bindingCache.start(),
    ...overrideCaches.map((c) => c.start()),
  ]);
  // Not awaited: a hub upgraded without the WorkloadRebalancer CRD still runs everything else.
  void rebalancerCache.start().then(() => rebalancersChanged());
  await members.start();
  await templates.ensure(
    policies().flatMap((p) =>
      p.spec.resourceSelectors.map((s) => ({ apiVersion: s.apiVersion, kind: s.kind })),
    ),
  );
  // Bound templates whose kind no policy names any more still need their copies cleaned up.
  await templates.ensure(
    bindings().map((b) => ({ apiVersion: b.spec.resource.apiVersion, kind: b.spec.resource.kind })),
  );

  watchDependencies();
  listed = true;

  const memberGauge = setInterval(() => observeMembers(), 5000);
  memberGauge.unref();

  let running: Promise<void> | undefined;
  const startWorking = () => {
    logger.info('starting workers');
    overrideWatch.start();
    running = queue.run((key) => reconciler.reconcile(key), opts.workers ?? DEFAULT_FLEET_WORKERS);
    enqueueAll();
    rebalancersChanged();
    policyStatusChanged();
    void members
      .catchUp()
      .catch((err: unknown) =>
        logger.warn('could not write member statuses', { error: errorMessage(err) }),
      );
  };
  if (leaderElection) {
    elector = new LeaderElector({
      kubeConfig: options.hub,
      namespace: opts.namespace,
      name: 'spillway-fleet-controller',
      logger,
      onStartedLeading: startWorking,
      onStoppedLeading: () => {
        // Another replica may lead now; stop acting at once (the process supervisor restarts us).
        queue.shutdown();
        opts.onLostLeadership?.();
      },
    });
    elector.start();
  } else {
    startWorking();
  }

  return {
    healthPort: health?.port,
    isLeader: () => elector?.isLeader ?? true,
    stop: async () => {
      clearTimeout(capacityTimer);
      clearTimeout(policyTimer);
      clearTimeout(policyStatusTimer);
      queue.shutdown();
      await running;
      await elector?.stop();
      clearInterval(memberGauge);
      members.stop();
      templates.stop();
      dependencyWatch.stop();
      clearTimeout(rebalancerTimer);
      overrideWatch.stop();
      await Promise.all([
        policyCache.stop(),
        clusterPolicyCache.stop(),
        bindingCache.stop(),
        rebalancerCache.stop(),
        ...overrideCaches.map((c) => c.stop()),
      ]);
      await health?.close();
    },
  };
}
