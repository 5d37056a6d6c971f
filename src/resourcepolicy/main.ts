/**
 * `spillway resource-policy-controller`: the webhook that gates selected pods and the
 * controller that sends them to units, with leader election, probes, metrics and JSON logs.
 * Every replica serves the webhook and keeps its caches warm; only the leader decides.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Namespace,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import {
  RESOURCE_POLICY_GROUP,
  RESOURCE_POLICY_PLURAL,
  RESOURCE_POLICY_VERSION,
  type ResourcePolicy,
} from '../api/resourcepolicy.js';
import { Estimator } from '../estimator/index.js';
import { EventRecorder } from '../runtime/events.js';
import { startHealthServer, type HealthServer } from '../runtime/health.js';
import { shareConnections, registerRequestMetric } from '../runtime/connections.js';
import { WatchedCache } from '../runtime/informer.js';
import { LeaderElector } from '../runtime/leader.js';
import { createLogger, type Logger } from '../runtime/logger.js';
import { meteredQueueOptions, newControllerMetrics, newRegistry } from '../runtime/metrics.js';
import { WorkQueue } from '../runtime/workqueue.js';
import { generateTls, loadTls, type TlsFiles } from './certs.js';
import { ANNOTATION_POLICY, GATE } from './constants.js';
import { namespaceLabelInLine, syncNamespaceLabel } from './namespace-label.js';
import { newResourcePolicyMetrics } from './metrics.js';
import { PodView } from './pod-view.js';
import { PolicyCounts } from './policy-counts.js';
import { AdmissionDecider } from './admission.js';
import { ReservationLedger } from './reservations.js';
import { NamespaceReconciler } from './reconciler.js';
import { readPolicy, type Policy } from './spec.js';
import { hasGate } from './types.js';
import { startWebhookServer, type WebhookServer } from './webhook.js';
import {
  deleteWebhookConfiguration,
  ensureWebhookConfiguration,
  webhookConfiguration,
  type FailurePolicy,
  type WebhookEndpoint,
} from './webhook-config.js';

const CONTROLLER = 'resourcepolicy';

export interface ResourcePolicyControllerOptions {
  kubeConfig: KubeConfig;
  /** Namespace of the leader Lease (default kube-system). */
  namespace?: string;
  /** Default true. Off: this process decides alone (tests, single replica). */
  leaderElection?: boolean;
  /** Lease name (default spillway-resource-policy-controller). */
  leaseName?: string;
  /** Port of /healthz, /readyz, /metrics; 0 picks a free one; undefined disables it. */
  healthPort?: number;
  healthHost?: string;
  webhook: {
    /** Listen address (default 0.0.0.0). */
    host?: string;
    /** 0 picks a free port (default 9443). */
    port?: number;
    /** TLS from files; without them a CA and certificate are generated at start-up. */
    tls?: TlsFiles;
    /** Names in the generated certificate (default: the URL's host, or the Service's DNS names). */
    certHosts?: string[];
    /** How the API server reaches the webhook: a URL, or a Service. {port} in url is replaced. */
    endpoint: WebhookEndpoint;
    /** Create or update the MutatingWebhookConfiguration at start-up (default true). */
    manageConfiguration?: boolean;
    /** Its name (default spillway-resource-policy). */
    configurationName?: string;
    /**
     * Namespaces whose pods are never sent to the webhook (default kube-system). The
     * controller's own namespace (`namespace`) is always added, so it can restart while its
     * webhook is down.
     */
    skipNamespaces?: string[];
    /**
     * For pods in namespaces that hold a ResourcePolicy (default Fail: refused while the
     * webhook is down, never created ungated). Ignore lets them through ungated instead.
     */
    failurePolicy?: FailurePolicy;
    /** Delete the configuration on stop (default false: a restart keeps gating). */
    removeConfigurationOnStop?: boolean;
  };
  /**
   * Send a selected pod straight to its unit at admission when the unit is certain (default
   * true); off, every selected pod is gated and decided by a pass.
   */
  admissionDecisions?: boolean;
  /** How long a place taken at admission is held for a pod the watch does not show (30 s). */
  admissionReservationMs?: number;
  /** Namespaces reconciled in parallel (each namespace by one worker at a time). Default 4. */
  workers?: number;
  logger?: Logger;
  /** Registry for /metrics (default: a new one with process metrics). */
  registry?: Registry;
}

export interface ResourcePolicyController {
  webhookPort: number;
  healthPort?: number;
  registry: Registry;
  isLeader(): boolean;
  stop(): Promise<void>;
}

function certHostsFor(endpoint: WebhookEndpoint): string[] {
  if (endpoint.url) return [new URL(endpoint.url.replace('{port}', '1')).hostname];
  const s = endpoint.service;
  if (!s) throw new Error('webhook.endpoint needs a url or a service');
  return [`${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}.svc.cluster.local`];
}

export async function runResourcePolicyController(
  opts: ResourcePolicyControllerOptions,
): Promise<ResourcePolicyController> {
  const logger = opts.logger ?? createLogger('resource-policy-controller');
  const registry = opts.registry ?? newRegistry();
  const cm = newControllerMetrics(registry);
  const metrics = newResourcePolicyMetrics(registry);
  const kc = shareConnections(opts.kubeConfig);
  registerRequestMetric(registry);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const estimator = new Estimator();
  // Counts of each policy's pods for admission decisions, built at a namespace's first
  // admission from the pods as the reconciler sees them, and following every change after.
  const counts = new PolicyCounts({
    pods: (ns) => podView.view(podCache.list(ns)),
    nodeLabels: (name) => nodeCache.get(name)?.metadata?.labels,
  });
  const podView: PodView = new PodView((ns, name, uid) => {
    const cached = podCache.get(name, ns);
    const shown = cached?.metadata?.uid === uid ? podView.effective(cached) : undefined;
    counts.setPod(ns, uid, shown);
  });
  const ledger = new ReservationLedger(opts.admissionReservationMs ?? 30_000);
  const recorder = new EventRecorder(kc, 'spillway-resource-policy-controller', logger);

  const policyCache = new WatchedCache<KubernetesObject>({
    kubeConfig: kc,
    path: `/apis/${RESOURCE_POLICY_GROUP}/${RESOURCE_POLICY_VERSION}/${RESOURCE_POLICY_PLURAL}`,
    list: async () =>
      (await custom.listClusterCustomObject({
        group: RESOURCE_POLICY_GROUP,
        version: RESOURCE_POLICY_VERSION,
        plural: RESOURCE_POLICY_PLURAL,
      })) as KubernetesListObject<KubernetesObject>,
    logger,
  });
  const podCache = new WatchedCache<V1Pod>({
    kubeConfig: kc,
    path: '/api/v1/pods',
    list: () => core.listPodForAllNamespaces(),
    logger,
  });
  // The leader keeps a label on namespaces with policies (the webhook's namespaceSelector).
  const namespaceCache = new WatchedCache<V1Namespace>({
    kubeConfig: kc,
    path: '/api/v1/namespaces',
    list: () => core.listNamespace(),
    logger,
  });
  const nodeCache = new WatchedCache<V1Node>({
    kubeConfig: kc,
    path: '/api/v1/nodes',
    list: () => core.listNode(),
    logger,
  });

  // Custom objects arrive as plain JSON (timestamps are strings), the shape of our API types.
  const policiesIn = (ns?: string) => policyCache.list(ns) as unknown as ResourcePolicy[];
  // Valid policies for the webhook, re-read only when the cache changes.
  let validPolicies: Policy[] = [];
  const refreshPolicies = () => {
    validPolicies = policiesIn()
      .map((p) => readPolicy(p).policy)
      .filter((p): p is Policy => p !== undefined);
  };

  const queue = new WorkQueue(meteredQueueOptions(cm, CONTROLLER, logger));
  /** Namespaces with pods behind the gate: capacity anywhere may free room for them. */
  const waitingNamespaces = new Set<string>();
  const namespacesWithPolicies = () => new Set(policiesIn().map((p) => p.metadata.namespace ?? ''));

  policyCache.on((p) => {
    refreshPolicies();
    const ns = p.metadata?.namespace ?? '';
    if (!validPolicies.some((v) => v.namespace === ns)) counts.forget(ns);
    queue.add(ns);
  });
  podCache.on((pod, event) => {
    const gone = event === 'delete';
    podView.observed(pod, gone);
    ledger.observed(pod);
    if (gone) estimator.removePod(pod);
    else estimator.upsertPod(pod);
    const ns = pod.metadata?.namespace ?? '';
    // Pods placed by a policy that is gone still matter while unbound (they may be stranded).
    const placedUnbound =
      pod.metadata?.annotations?.[ANNOTATION_POLICY] !== undefined && !pod.spec?.nodeName;
    if (hasGate(pod, GATE) || placedUnbound || validPolicies.some((p) => p.namespace === ns))
      queue.add(ns);
    // Freed capacity may let gated pods of other namespaces go.
    if (gone || pod.metadata?.deletionTimestamp) for (const w of waitingNamespaces) queue.add(w);
  });
  namespaceCache.on((ns, event) => {
    const name = ns.metadata?.name ?? '';
    if (event !== 'delete' && !namespaceLabelInLine(ns, policiesIn(name).length > 0))
      queue.add(name);
  });
  nodeCache.on((node, event) => {
    if (event === 'delete') estimator.removeNode(node.metadata?.name ?? '');
    else estimator.upsertNode(node);
    counts.nodeChanged(node.metadata?.name ?? '');
    if (event !== 'resync') for (const ns of namespacesWithPolicies()) queue.add(ns);
  });

  const reconciler = new NamespaceReconciler({
    kubeConfig: kc,
    policies: (ns) => policiesIn(ns),
    pods: (ns) => podCache.list(ns),
    allPods: () => podCache.list(),
    node: (name) => nodeCache.get(name),
    nodes: () => nodeCache.list(),
    estimator,
    podView,
    recorder,
    metrics,
    logger,
    reservations: ledger,
  });

  const synced = () =>
    policyCache.hasSynced && podCache.hasSynced && nodeCache.hasSynced && namespaceCache.hasSynced;
  // Up before the first lists, which wait as long as the API server does not answer: the
  // replica is alive meanwhile, only not ready.
  let serving = (): boolean => false;
  let health: HealthServer | undefined;
  if (opts.healthPort !== undefined) {
    health = await startHealthServer({
      port: opts.healthPort,
      ...(opts.healthHost ? { host: opts.healthHost } : {}),
      registry,
      // Ready only while the webhook serves: the Service then sends admission calls to this
      // replica, and with failurePolicy Fail a replica that cannot answer would refuse pods.
      ready: () => (!serving() ? 'webhook not serving' : synced() ? true : 'caches not synced'),
    });
  }
  await Promise.all([
    policyCache.start(),
    nodeCache.start(),
    podCache.start(),
    namespaceCache.start(),
  ]);
  refreshPolicies();

  const tls = opts.webhook.tls
    ? loadTls(opts.webhook.tls)
    : generateTls(opts.webhook.certHosts ?? certHostsFor(opts.webhook.endpoint));
  let leading = false;
  let leadingSinceMs = 0;
  // Only the leader decides at admission (a standby gates), and an elected leader waits a few
  // seconds first, so pods its predecessor admitted into units just before handing over are
  // in its pod cache.
  const electionGraceMs = opts.leaderElection === false ? 0 : 5_000;
  const decider = new AdmissionDecider({
    policies: () => validPolicies,
    rawPolicy: (ns, name) => policiesIn(ns).find((p) => p.metadata.name === name),
    summary: (ns, policies, policy) => {
      podView.sweep();
      return counts.summary(ns, policies, policy.name);
    },
    room: (unit, pod) => reconciler.room(unit, pod, true),
    refusedOwners: (uid) => reconciler.refusedOwners(uid),
    waitSuspended: (policy, raw, nowMs) => reconciler.waitSuspended(policy, raw, nowMs),
    ledger,
    ready: () =>
      opts.admissionDecisions !== false &&
      leading &&
      Date.now() - leadingSinceMs >= electionGraceMs &&
      synced(),
    assigned: () => metrics.decisions.inc({ decision: 'admit', reason: 'HasRoom' }),
  });
  const webhook: WebhookServer = await startWebhookServer({
    tls,
    host: opts.webhook.host ?? '0.0.0.0',
    port: opts.webhook.port ?? 9443,
    policies: () => validPolicies,
    decide: (pod, ns, token) => decider.decide(pod, ns, token),
    metrics,
    logger,
  });
  serving = () => webhook.serving();
  const configName = opts.webhook.configurationName ?? 'spillway-resource-policy';
  if (opts.webhook.manageConfiguration !== false) {
    const endpoint: WebhookEndpoint = opts.webhook.endpoint.url
      ? { url: opts.webhook.endpoint.url.replace('{port}', String(webhook.port)) }
      : opts.webhook.endpoint;
    await ensureWebhookConfiguration(
      kc,
      webhookConfiguration(
        configName,
        endpoint,
        tls.ca,
        [...(opts.webhook.skipNamespaces ?? ['kube-system']), opts.namespace ?? 'kube-system'],
        opts.webhook.failurePolicy ?? 'Fail',
      ),
    );
  }

  let running: Promise<void> | undefined;
  const startLeading = () => {
    leading = true;
    leadingSinceMs = Date.now();
    for (const ns of namespacesWithPolicies()) queue.add(ns);
    for (const ns of namespaceCache.list())
      if (!namespaceLabelInLine(ns, policiesIn(ns.metadata?.name).length > 0))
        queue.add(ns.metadata?.name ?? '');
    for (const pod of podCache.list())
      if (hasGate(pod, GATE)) queue.add(pod.metadata?.namespace ?? '');
    running = queue.run(async (ns) => {
      if (!leading) return undefined;
      if (await syncNamespaceLabel(core, namespaceCache.get(ns), policiesIn(ns).length > 0))
        logger.info('namespace label updated', { namespace: ns, policies: policiesIn(ns).length });
      const r = await reconciler.reconcile(ns);
      if (r.gated > 0) waitingNamespaces.add(ns);
      else waitingNamespaces.delete(ns);
      return r.requeueAfterMs !== undefined ? { requeueAfterMs: r.requeueAfterMs } : undefined;
    }, opts.workers ?? 4);
  };
  let elector: LeaderElector | undefined;
  let stopping = false;
  if (opts.leaderElection === false) startLeading();
  else {
    elector = new LeaderElector({
      kubeConfig: kc,
      namespace: opts.namespace ?? 'kube-system',
      name: opts.leaseName ?? 'spillway-resource-policy-controller',
      logger,
      onStartedLeading: startLeading,
      onStoppedLeading: () => {
        leading = false;
        queue.shutdown();
        if (!stopping) {
          // As client-go: a leader that lost its lease exits, and its restart campaigns afresh.
          logger.error('lost the leader lease; exiting');
          process.exitCode = 1;
        }
      },
    });
    elector.start();
  }

  logger.info('resource policy controller started', {
    webhookPort: webhook.port,
    healthPort: health?.port,
    leaderElection: opts.leaderElection !== false,
  });

  return {
    webhookPort: webhook.port,
    ...(health ? { healthPort: health.port } : {}),
    registry,
    isLeader: () => leading,
    stop: async () => {
      stopping = true;
      leading = false;
      queue.shutdown();
      await elector?.stop();
      await running;
      if (opts.webhook.removeConfigurationOnStop) await deleteWebhookConfiguration(kc, configName);
      await webhook.close();
      await health?.close();
      await Promise.all([
        policyCache.stop(),
        podCache.stop(),
        nodeCache.stop(),
        namespaceCache.stop(),
      ]);
    },
  };
}
