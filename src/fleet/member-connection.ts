/**
 * One member cluster as the fleet controller sees it: a client from its kubeconfig Secret,
 * node and pod streams feeding the estimator and the pending-pod index, a watch of Spillway's
 * own workload copies (for status), and a health probe. A member that cannot be reached only
 * makes its own streams retry; nothing here blocks other members.
 */
import { fenceWrites } from '../runtime/write-fence.js';
import {
  ApisApi,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { Estimator, podKey } from '../estimator/index.js';
import type { NodeInput, PodInput } from '../estimator/index.js';
import { shareConnections } from '../runtime/connections.js';
import { ListWatchStream } from '../runtime/stream.js';
import { WatchedCache } from '../runtime/informer.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import { watchedKinds, type LiveCopy } from './kinds.js';
import { BINDING_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.js';
import { SettledPods } from './settled-pods.js';
import { PendingPods } from './pending-pods.js';

export interface ProbeResult {
  ready: boolean;
  message: string;
  version?: string;
  provisioningRequestSupported?: boolean;
}

export interface MemberEvents {
  /**
   * One of Spillway's copies was added, changed or deleted: re-reconcile its template. A copy
   * has its template's apiVersion, kind, namespace and name, so no hub cache (that may not have
   * seen a new binding yet) stands between a copy becoming Ready and its reconcile.
   * `resync`: the periodic resync of the copies' watch, not a change (a sweep: low priority).
   */
  copyChanged: (
    template: {
      apiVersion: string;
      kind: string;
      namespace: string;
      name: string;
    },
    resync: boolean,
  ) => void;
  /** Nodes or pods changed: capacity may have moved. */
  capacityChanged: (member: string) => void;
}

export class MemberConnection {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly estimator = new Estimator();
  readonly pending = new PendingPods();
  /** Pods bound or unschedulable, by labels: they end placement reservations (reserved-room.ts). */
  readonly settled = new SettledPods();
  private readonly nodes: ListWatchStream<V1Node>;
  private readonly pods: ListWatchStream<V1Pod>;
  /** Spillway's copies in this member, one watch per kind whose status is aggregated. */
  private readonly copies = new Map<string, WatchedCache<KubernetesObject>>();
  /** Names and keys currently in the estimator, to drop what a re-list no longer has. */
  private readonly nodeNames = new Set<string>();
  private readonly podKeys = new Set<string>();
  private started = false;
  private stopped = false;
  /** ms since epoch when the last successful probe was; 0 before any. */
  lastReadyMs = 0;
  /** ms since epoch when the member stopped answering; undefined while Ready. */
  notReadySinceMs: number | undefined;
  probeResult: ProbeResult = { ready: false, message: 'not probed yet' };
  /** False until the first probe finished, whatever its outcome. */
  probed = false;

  constructor(
    readonly name: string,
    kubeconfigYaml: string,
    private readonly logger: Logger,
    private readonly events: MemberEvents,
    /** Writes into the member only while this replica leads (write-fence.ts). */
    mayWrite: () => boolean = () => true,
  ) {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml);
    shareConnections(kc);
    this.kubeConfig = fenceWrites(kc, mayWrite);
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.apps = this.kubeConfig.makeApiClient(AppsV1Api);
    const log = logger.child({ member: name });
    this.nodes = new ListWatchStream<V1Node>({
      kubeConfig: this.kubeConfig,
      path: '/api/v1/nodes',
      list: (token) => this.core.listNode({ limit: 500, _continue: token }),
      logger: log,
      onSnapshot: (items) => {
        const now = new Set(items.map((i) => i.metadata?.name ?? ''));
        for (const n of this.nodeNames) if (!now.has(n)) this.estimator.removeNode(n);
        this.nodeNames.clear();
        for (const n of items) this.upsertNode(n);
        this.events.capacityChanged(name);
      },
      onEvent: (type, n) => {
        if (type === 'DELETED') {
          this.estimator.removeNode(n.metadata?.name ?? '');
          this.nodeNames.delete(n.metadata?.name ?? '');
        } else this.upsertNode(n);
        this.events.capacityChanged(name);
      },
    });
    this.pods = new ListWatchStream<V1Pod>({
      kubeConfig: this.kubeConfig,
      path: '/api/v1/pods',
      list: (token) => this.core.listPodForAllNamespaces({ limit: 500, _continue: token }),
      logger: log,
      onSnapshot: (items) => {
        const now = new Set(items.map((i) => podKey(i as PodInput)));
        for (const key of this.podKeys) if (!now.has(key)) this.estimator.removePod(key);
        this.podKeys.clear();
        for (const p of items) this.upsertPod(p);
        this.pending.reset(items);
        this.settled.reset(items);
        this.events.capacityChanged(name);
      },
      onEvent: (type, p) => {
        if (type === 'DELETED') {
          this.estimator.removePod(p as PodInput);
          this.podKeys.delete(podKey(p as PodInput));
          this.pending.remove(p);
          this.settled.remove(p);
        } else {
          this.upsertPod(p);
          this.pending.upsert(p);
          this.settled.upsert(p);
        }
        this.events.capacityChanged(name);
      },
    });
    // Deployments, the common case, from the start: a copy the binding forgot is found even
    // when its template is being released in the first pass after a restart.
    this.watchCopies({ apiVersion: 'apps/v1', kind: 'Deployment' });
  }

  /**
   * Starts watching our copies of a kind, once, if its status is aggregated (kinds.ts). Lazily:
   * only kinds some template uses are watched, and a kind the member does not let us list
   * holds up only the templates of that kind.
   */
  watchCopies(k: { apiVersion: string; kind: string }): void {
    const key = `${k.apiVersion}|${k.kind}`;
    const watched = watchedKinds().find((w) => `${w.apiVersion}|${w.kind}` === key);
    if (!watched || this.copies.has(key) || this.stopped) return;
    const [group = '', version = ''] = k.apiVersion.split('/');
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
    const custom = this.kubeConfig.makeApiClient(CustomObjectsApi);
    const cache = new WatchedCache<KubernetesObject>({
      kubeConfig: this.kubeConfig,
      path: `/apis/${k.apiVersion}/${watched.plural}`,
      labelSelector: selector,
      list: () =>
        custom.listClusterCustomObject({
          group,
          version,
          plural: watched.plural,
          labelSelector: selector,
        }) as Promise<KubernetesListObject<KubernetesObject>>,
      logger: this.logger.child({ member: this.name }),
      // A safety net only: each resync re-queues the template of every copy (see template-kinds).
      resyncMs: 5 * 60_000,
    });
    cache.on((d, event) => {
      if (!d.metadata?.annotations?.[BINDING_ANNOTATION]) return;
      this.events.copyChanged(
        {
          apiVersion: k.apiVersion,
          kind: k.kind,
          namespace: d.metadata.namespace ?? '',
          name: d.metadata.name ?? '',
        },
        event === 'resync',
      );
    });
    this.copies.set(key, cache);
    if (this.started) void cache.start();
  }

  /** The watch of our copies of this kind has listed them (true for kinds not watched). */
  copiesSynced(k: { apiVersion: string; kind: string }): boolean {
    return this.copies.get(`${k.apiVersion}|${k.kind}`)?.hasSynced ?? true;
  }

  /** Our copy of a template in this member, as its watch last saw it (watched kinds only). */
  copyOf(
    k: { apiVersion: string; kind: string },
    name: string,
    namespace: string,
  ): (LiveCopy & KubernetesObject) | undefined {
    return this.copies.get(`${k.apiVersion}|${k.kind}`)?.get(name, namespace) as
      (LiveCopy & KubernetesObject) | undefined;
  }

  private upsertNode(n: V1Node): void {
    this.estimator.upsertNode(n as NodeInput);
    this.nodeNames.add(n.metadata?.name ?? '');
  }

  private upsertPod(p: V1Pod): void {
    this.estimator.upsertPod(p as PodInput);
    this.podKeys.add(podKey(p as PodInput));
  }

  /** Starts the streams in the background; the first probe decides readiness. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.nodes.start();
    void this.pods.start();
    for (const c of this.copies.values()) void c.start();
  }

  get synced(): boolean {
    return this.nodes.hasSynced && this.pods.hasSynced;
  }

  async probe(nowMs = Date.now(), timeoutMs = 5000): Promise<ProbeResult> {
    let timer: NodeJS.Timeout | undefined;
    // A member that accepts connections but never answers must not stall the probe loop.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${timeoutMs / 1000}s`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.probeOnce(nowMs), timeout]);
    } catch (err) {
      this.notReadySinceMs ??= nowMs;
      this.probeResult = { ready: false, message: `API server unreachable: ${errorMessage(err)}` };
      this.logger.warn('member probe failed', { member: this.name, error: errorMessage(err) });
      return this.probeResult;
    } finally {
      clearTimeout(timer);
      this.probed = true;
    }
  }

  private async probeOnce(nowMs: number): Promise<ProbeResult> {
    const version = await this.kubeConfig.makeApiClient(VersionApi).getCode();
    await this.core.listNode({ limit: 1 });
    const prSupported = await this.kubeConfig
      .makeApiClient(ApisApi)
      .getAPIVersions()
      .then((g) => g.groups.some((x) => x.name === 'autoscaling.x-k8s.io'))
      .catch(() => false);
    this.lastReadyMs = nowMs;
    this.notReadySinceMs = undefined;
    this.probeResult = {
      ready: true,
      message: 'API server reachable',
      version: version.gitVersion,
      provisioningRequestSupported: prSupported,
    };
    return this.probeResult;
  }

  /** Seconds since the member stopped answering (0 while Ready). */
  notReadySeconds(nowMs = Date.now()): number {
    return this.notReadySinceMs === undefined
      ? 0
      : Math.floor((nowMs - this.notReadySinceMs) / 1000);
  }

  stop(): void {
    this.nodes.stop();
    this.pods.stop();
    this.stopped = true;
    for (const c of this.copies.values()) void c.stop();
  }
}
