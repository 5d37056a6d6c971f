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
import { setStatusCondition } from '../api/conditions.js';
import { FLEET_GROUP, FLEET_VERSION, type ResourceBinding } from '../api/fleet.js';
import { POLICY_GROUP, POLICY_VERSION, type AnyPropagationPolicy } from '../api/policy.js';
import { EventRecorder } from '../runtime/events.js';
import { startHealthServer, type HealthServer } from '../runtime/health.js';
import { WatchedCache } from '../runtime/informer.js';
import { LeaderElector } from '../runtime/leader.js';
import { createLogger, errorMessage, type Logger } from '../runtime/logger.js';
import { meteredQueueOptions, newControllerMetrics, newRegistry } from '../runtime/metrics.js';
import { WorkQueue } from '../runtime/workqueue.js';
import { BindingReconciler } from './binding-reconciler.js';
import { MemberRegistry } from './member-registry.js';
import { FleetMetrics } from './metrics.js';
import { policySpecificity } from './policy-match.js';
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
  workers?: number;
  logger?: Logger;
  /** Member health probe period. */
  probeIntervalMs?: number;
  /** Re-check period for bindings that wait for capacity or readiness. */
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

export async function runFleetController(opts: FleetControllerOptions): Promise<FleetController> {
  const logger = opts.logger ?? createLogger('fleet-controller');
  const registry = newRegistry();
  const cm = newControllerMetrics(registry);
  const metrics = new FleetMetrics(registry);
  const recorder = new EventRecorder(opts.hub, 'spillway-fleet-controller', logger);
  const custom = opts.hub.makeApiClient(CustomObjectsApi);
  const queue = new WorkQueue(meteredQueueOptions(cm, CONTROLLER, logger));

  const listOf = (group: string, version: string, plural: string) => async () =>
    (await custom.listClusterCustomObject({
      group,
      version,
      plural,
    })) as KubernetesListObject<KubernetesObject>;
  const policyCache = new WatchedCache<KubernetesObject>({
    kubeConfig: opts.hub,
    path: `/apis/${POLICY_GROUP}/${POLICY_VERSION}/propagationpolicies`,
    list: listOf(POLICY_GROUP, POLICY_VERSION, 'propagationpolicies'),
    logger,
  });
  const clusterPolicyCache = new WatchedCache<KubernetesObject>({
    kubeConfig: opts.hub,
    path: `/apis/${POLICY_GROUP}/${POLICY_VERSION}/clusterpropagationpolicies`,
    list: listOf(POLICY_GROUP, POLICY_VERSION, 'clusterpropagationpolicies'),
    logger,
  });
  const bindingCache = new WatchedCache<KubernetesObject>({
    kubeConfig: opts.hub,
    path: `/apis/${FLEET_GROUP}/${FLEET_VERSION}/resourcebindings`,
    list: listOf(FLEET_GROUP, FLEET_VERSION, 'resourcebindings'),
    logger,
  });
  const policies = (): AnyPropagationPolicy[] => [
    ...policyCache.list().map((o) => ({ ...asPolicy(o), kind: 'PropagationPolicy' as const })),
    ...clusterPolicyCache
      .list()
      .map((o) => ({ ...asPolicy(o), kind: 'ClusterPropagationPolicy' as const })),
  ];
  const bindings = (): ResourceBinding[] =>
    bindingCache.list().map((o) => o as unknown as ResourceBinding);

  const enqueueTemplate = (o: KubernetesObject) =>
    queue.add(
      formatTemplateKey({
        apiVersion: o.apiVersion ?? '',
        kind: o.kind ?? '',
        namespace: o.metadata?.namespace ?? '',
        name: o.metadata?.name ?? '',
      }),
    );
  const templates = new TemplateKinds(opts.hub, logger, enqueueTemplate);

  /** Every template a policy could claim and every template bound now. */
  const enqueueAll = () => {
    for (const p of policies())
      for (const s of p.spec.resourceSelectors)
        for (const t of templates.list(s)) enqueueTemplate(t);
    for (const b of bindings())
      queue.add(
        formatTemplateKey({ ...b.spec.resource, namespace: b.spec.resource.namespace ?? '' }),
      );
  };
  let capacityTimer: NodeJS.Timeout | undefined;
  const members = new MemberRegistry(
    opts.hub,
    logger,
    {
      copyChanged: (bindingKey) => {
        const [ns = '', name = ''] = bindingKey.split('/');
        const b = bindingCache.get(name, ns) as unknown as ResourceBinding | undefined;
        if (b)
          queue.add(
            formatTemplateKey({ ...b.spec.resource, namespace: b.spec.resource.namespace ?? '' }),
          );
      },
      capacityChanged: () => {
        // Node and pod events come in bursts; one re-check per second is enough.
        capacityTimer ??= setTimeout(() => {
          capacityTimer = undefined;
          for (const b of bindings())
            if ((b.status?.waitingForCapacity ?? 0) > 0)
              queue.add(
                formatTemplateKey({
                  ...b.spec.resource,
                  namespace: b.spec.resource.namespace ?? '',
                }),
              );
        }, 1000);
      },
      membersChanged: enqueueAll,
    },
    opts.probeIntervalMs,
  );

  const onPolicies = async () => {
    const kinds = policies().flatMap((p) =>
      p.spec.resourceSelectors.map((s) => ({ apiVersion: s.apiVersion, kind: s.kind })),
    );
    const failed = await templates.ensure(kinds);
    enqueueAll();
    await writePolicyStatuses(failed);
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
  policyCache.on((_o, e) => e !== 'resync' && policyChanged());
  clusterPolicyCache.on((_o, e) => e !== 'resync' && policyChanged());

  const writePolicyStatuses = async (failedKinds: Map<string, string>) => {
    const now = new Date();
    for (const p of policies()) {
      const matched = p.spec.resourceSelectors
        .flatMap((s) => templates.list(s))
        .filter(
          (t) =>
            policySpecificity(
              {
                apiVersion: t.apiVersion ?? '',
                kind: t.kind ?? '',
                namespace: t.metadata?.namespace ?? '',
                name: t.metadata?.name ?? '',
                labels: t.metadata?.labels ?? {},
              },
              p,
            ) > 0,
        ).length;
      const problems = p.spec.resourceSelectors
        .map((s) => failedKinds.get(kindKey(s)))
        .filter((m): m is string => m !== undefined);
      const status = {
        observedGeneration: p.metadata.generation,
        matchedTemplates: matched,
        affinityGroups: (p.spec.placement?.clusterAffinities ?? [])
          .map((a) => a.affinityName)
          .join(', '),
        conditions: setStatusCondition(
          p.status?.conditions,
          {
            type: 'Accepted',
            status: problems.length > 0 ? 'False' : 'True',
            reason: problems.length > 0 ? 'UnknownKind' : 'Accepted',
            message:
              problems.length > 0
                ? problems.join('; ')
                : p.spec.rebalance?.enabled
                  ? // Accepted, but say plainly that this opt-in does nothing yet.
                    'the policy is in effect; rebalance is not available in this version: overflow stays where it runs until scale-in'
                  : 'the policy is in effect',
            ...(p.metadata.generation !== undefined
              ? { observedGeneration: p.metadata.generation }
              : {}),
          },
          now,
        ),
      };
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

  const reconciler = new BindingReconciler({
    hub: opts.hub,
    logger,
    recorder,
    members,
    templates,
    policies,
    metrics,
    recheckMs: opts.recheckMs ?? 5000,
  });

  await Promise.all([policyCache.start(), clusterPolicyCache.start(), bindingCache.start()]);
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

  let health: HealthServer | undefined;
  if (opts.healthPort !== undefined) {
    health = await startHealthServer({
      port: opts.healthPort,
      registry,
      ready: () =>
        templates.synced && policyCache.hasSynced && bindingCache.hasSynced
          ? true
          : 'caches not synced',
    });
  }
  const memberGauge = setInterval(() => {
    for (const mc of members.infos())
      metrics.memberReady.set(
        { cluster: mc.name },
        members.get(mc.name)?.connection?.probeResult.ready ? 1 : 0,
      );
  }, 5000);
  memberGauge.unref();

  let running: Promise<void> | undefined;
  const startWorking = () => {
    logger.info('starting workers');
    running = queue.run((key) => reconciler.reconcile(key), opts.workers ?? 2);
    enqueueAll();
  };
  let elector: LeaderElector | undefined;
  if (opts.leaderElection ?? true) {
    elector = new LeaderElector({
      kubeConfig: opts.hub,
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
      queue.shutdown();
      await running;
      await elector?.stop();
      clearInterval(memberGauge);
      members.stop();
      templates.stop();
      await Promise.all([policyCache.stop(), clusterPolicyCache.stop(), bindingCache.stop()]);
      await health?.close();
    },
  };
}
