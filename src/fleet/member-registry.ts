/**
 * The registered member clusters: watches MemberCluster objects on the hub, keeps a
 * MemberConnection per member (rebuilt when its kubeconfig changes), probes each one
 * periodically and writes the result to MemberCluster.status (Ready condition, version,
 * capacity summary).
 */
import { writeGateOf } from '../runtime/write-fence.js';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { setStatusCondition } from '../api/conditions.js';
import {
  DEFAULT_KUBECONFIG_KEY,
  MemberClusterConditionReasons,
  FLEET_GROUP,
  FLEET_VERSION,
  type MemberCluster,
  type MemberClusterStatus,
} from '../api/fleet.js';
import { formatQuantity } from '../estimator/index.js';
import { WatchedCache } from '../runtime/informer.js';
import { statusCode } from '../runtime/api-errors.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import { MEMBER_FINALIZER } from './ownership.js';
import { MemberConnection, type MemberEvents } from './member-connection.js';
import type { MemberInfo } from './placement.js';
import { statusPatchChanges } from './status-change.js';

/** The watch delivers client-node objects; their JSON is our MemberCluster shape. */
function asMember(o: KubernetesObject): MemberCluster {
  return o as unknown as MemberCluster;
}

const R = MemberClusterConditionReasons.Ready;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** lastProbeTime alone is refreshed this often; any other change is written at once. */
const PROBE_TIME_REFRESH_MS = 5 * 60_000;

export interface RegisteredMember {
  spec: MemberCluster;
  /** ms since epoch when the MemberCluster was marked for deletion; its cleanup started then. */
  leavingSinceMs?: number;
  connection?: MemberConnection;
  /** Why there is no connection (bad Secret, unparsable kubeconfig). */
  error?: string;
}

/** What of a MemberCluster placement and the reconcilers read: not its status. */
function placementView(mc: MemberCluster): string {
  return JSON.stringify([
    mc.metadata.generation,
    mc.metadata.labels ?? {},
    mc.metadata.deletionTimestamp ?? null,
    mc.metadata.finalizers ?? [],
  ]);
}

export class MemberRegistry {
  private readonly cache: WatchedCache<KubernetesObject>;
  private readonly members = new Map<string, RegisteredMember & { secretVersion?: string }>();
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly hub: KubeConfig,
    private readonly logger: Logger,
    private readonly events: MemberEvents & {
      membersChanged: () => void;
      /** Does any binding still remember objects of ours in this member? */
      stillUsed: (member: string) => boolean;
    },
    private readonly probeIntervalMs = 5000,
    /** How long a deleted member may take to have Spillway's objects removed from it. */
    private readonly removalTimeoutMs = 120_000,
  ) {
    this.core = hub.makeApiClient(CoreV1Api);
    this.custom = hub.makeApiClient(CustomObjectsApi);
    this.cache = new WatchedCache<KubernetesObject>({
      kubeConfig: hub,
      path: `/apis/${FLEET_GROUP}/${FLEET_VERSION}/memberclusters`,
      list: async () =>
        (await this.custom.listClusterCustomObject({
          group: FLEET_GROUP,
          version: FLEET_VERSION,
          plural: 'memberclusters',
        })) as KubernetesListObject<KubernetesObject>,
      logger,
      resyncMs: 30_000,
    });
    // Our own status writes (capacity, probe time) are update events too, and every workload
    // is re-queued when members change: only what placement reads (spec, labels, deletion)
    // counts as a change. A status write after each scale re-queued every binding on the hub.
    const seen = new Map<string, string>();
    this.cache.on((obj, event) => {
      if (event === 'resync') return;
      const mc = asMember(obj);
      const name = mc.metadata.name ?? '';
      const before = seen.get(name);
      const now = placementView(mc);
      if (event === 'delete') seen.delete(name);
      else seen.set(name, now);
      const changed = event !== 'update' || before !== now;
      void this.sync(mc, event === 'delete').then(() => {
        if (changed) this.events.membersChanged();
      });
    });
  }

  /** MemberCluster objects as the hub has them. */
  list(): MemberCluster[] {
    return this.cache.list().map(asMember);
  }

  async start(): Promise<void> {
    await this.cache.start();
    await Promise.all(this.list().map((mc) => this.sync(mc, false)));
    await this.probeAll();
    const loop = () => {
      // A probe round in flight when stop() ran must not schedule another one.
      if (this.stopped) return;
      this.probeTimer = setTimeout(() => {
        void this.probeAll().finally(loop);
      }, this.probeIntervalMs);
    };
    loop();
  }

  /**
   * Writes what a standby skipped (finalizers, statuses) right away: called when this replica
   * becomes the leader, so a MemberCluster never waits a probe interval for its status.
   */
  async catchUp(): Promise<void> {
    await Promise.all(this.list().map((mc) => this.sync(mc, false)));
    await this.probeAll();
  }

  stop(): void {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    for (const m of this.members.values()) m.connection?.stop();
    void this.cache.stop();
  }

  /** Registered members, for placement (name and labels); a member being removed is not one. */
  infos(): MemberInfo[] {
    return this.list()
      .filter((mc) => !mc.metadata.deletionTimestamp)
      .map((mc) => ({
        name: mc.metadata.name ?? '',
        labels: mc.metadata.labels ?? {},
      }));
  }

  get(name: string): RegisteredMember | undefined {
    return this.members.get(name);
  }

  get allSynced(): boolean {
    return [...this.members.values()].every(
      (m) => !m.connection || m.connection.synced || !m.connection.probeResult.ready,
    );
  }

  /** One sync at a time per member: two concurrent ones would each build a connection. */
  private readonly syncing = new Map<string, Promise<void>>();

  private sync(mc: MemberCluster, deleted: boolean): Promise<void> {
    const name = mc.metadata.name ?? '';
    const next = (this.syncing.get(name) ?? Promise.resolve()).then(() =>
      this.syncOne(mc, deleted),
    );
    this.syncing.set(name, next);
    return next;
  }

  private async syncOne(mc: MemberCluster, deleted: boolean): Promise<void> {
    const name = mc.metadata.name ?? '';
    const existing = this.members.get(name);
    if (deleted) {
      existing?.connection?.stop();
      this.members.delete(name);
      return;
    }
    if (mc.metadata.deletionTimestamp) {
      // Keep the connection: the copies in this member are removed through it.
      if (existing) {
        existing.spec = mc;
        existing.leavingSinceMs ??= Date.now();
        return;
      }
    } else if (!(mc.metadata.finalizers ?? []).includes(MEMBER_FINALIZER)) {
      await this.setFinalizer(mc, true).catch((err: unknown) =>
        this.logger.warn('could not add the member finalizer', {
          member: name,
          error: errorMessage(err),
        }),
      );
    }
    const ref = mc.spec.kubeconfigSecretRef;
    try {
      const secret = await this.core.readNamespacedSecret({
        name: ref.name,
        namespace: ref.namespace,
      });
      const data = secret.data?.[ref.key ?? DEFAULT_KUBECONFIG_KEY];
      if (!data)
        throw new Error(
          `Secret ${ref.namespace}/${ref.name} has no key ${ref.key ?? DEFAULT_KUBECONFIG_KEY}`,
        );
      const version = secret.metadata?.resourceVersion;
      if (existing?.connection && existing.secretVersion === version) {
        existing.spec = mc;
        return;
      }
      existing?.connection?.stop();
      const connection = new MemberConnection(
        name,
        Buffer.from(data, 'base64').toString('utf8'),
        this.logger,
        this.events,
        writeGateOf(this.hub),
      );
      connection.start();
      // Probe before publishing, so no reconcile ever sees this member as "not reachable"
      // merely because nobody asked yet (it would spill replicas to the next group).
      await connection.probe();
      this.members.set(name, {
        spec: mc,
        connection,
        secretVersion: version,
        ...(mc.metadata.deletionTimestamp ? { leavingSinceMs: Date.now() } : {}),
      });
      this.logger.info('member connected', { member: name });
    } catch (err) {
      existing?.connection?.stop();
      this.members.set(name, {
        spec: mc,
        error: errorMessage(err),
        ...(mc.metadata.deletionTimestamp ? { leavingSinceMs: Date.now() } : {}),
      });
      this.logger.warn('member has no usable kubeconfig', {
        member: name,
        error: errorMessage(err),
      });
    }
  }

  /**
   * A deleted MemberCluster is let go once no binding remembers objects of ours in it (the
   * reconciles removed them), or after the removal timeout when the member cannot be reached.
   */
  private async finishRemovals(nowMs: number): Promise<void> {
    for (const [name, m] of this.members) {
      if (m.leavingSinceMs === undefined) continue;
      const used = this.events.stillUsed(name);
      const timedOut = nowMs - m.leavingSinceMs >= this.removalTimeoutMs;
      if (used && !timedOut) continue;
      if (used)
        this.logger.warn('member removed before its copies could be deleted', {
          member: name,
          waitedSeconds: Math.round((nowMs - m.leavingSinceMs) / 1000),
        });
      else this.logger.info('member removed; no Spillway object left in it', { member: name });
      await this.setFinalizer(m.spec, false).catch((err: unknown) =>
        this.logger.warn('could not release member', { member: name, error: errorMessage(err) }),
      );
    }
  }

  private async setFinalizer(mc: MemberCluster, present: boolean): Promise<void> {
    if (!writeGateOf(this.hub)()) return; // a standby: the leader does it
    const current = mc.metadata.finalizers ?? [];
    const next = present
      ? [...current, MEMBER_FINALIZER]
      : current.filter((f) => f !== MEMBER_FINALIZER);
    try {
      await this.custom.patchClusterCustomObject(
        {
          group: FLEET_GROUP,
          version: FLEET_VERSION,
          plural: 'memberclusters',
          name: mc.metadata.name ?? '',
          // resourceVersion: a concurrent change makes this fail instead of being lost.
          body: { metadata: { finalizers: next, resourceVersion: mc.metadata.resourceVersion } },
        },
        mergePatch,
      );
    } catch (err) {
      const code = statusCode(err);
      // 404: gone already; 409: changed meanwhile, the watch brings the new version back here.
      if (code !== 404 && code !== 409) throw err;
    }
  }

  private async probeAll(): Promise<void> {
    await this.finishRemovals(Date.now());
    await Promise.all(
      [...this.members.entries()].map(async ([name, m]) => {
        const now = new Date();
        const wasReady = m.connection?.probeResult.ready ?? false;
        const result = m.connection
          ? await m.connection.probe(now.getTime())
          : { ready: false, message: m.error ?? 'no connection' };
        if (wasReady !== result.ready) this.events.membersChanged();
        await this.writeStatus(
          name,
          m,
          result.ready,
          result.message,
          now,
          result.version,
          result.provisioningRequestSupported,
        );
      }),
    );
  }

  private async writeStatus(
    name: string,
    m: RegisteredMember,
    ready: boolean,
    message: string,
    now: Date,
    version: string | undefined,
    prSupported: boolean | undefined,
  ): Promise<void> {
    if (!writeGateOf(this.hub)()) return; // a standby: the leader writes member statuses
    const cached = this.cache.get(name);
    const current = cached ? asMember(cached).status : undefined;
    const status: MemberClusterStatus = {
      observedGeneration: m.spec.metadata.generation,
      conditions: setStatusCondition(
        current?.conditions,
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready
            ? R.ClusterReady
            : m.connection
              ? R.ClusterNotReachable
              : R.KubeconfigInvalid,
          message,
          ...(m.spec.metadata.generation !== undefined
            ? { observedGeneration: m.spec.metadata.generation }
            : {}),
        },
        now,
      ),
      lastProbeTime: now.toISOString(),
    };
    if (version) status.kubernetesVersion = version;
    if (prSupported !== undefined) status.provisioningRequestSupported = prSupported;
    const conn = m.connection;
    if (conn?.synced) {
      const totals = conn.estimator.totals();
      const allocatable: Record<string, string> = {};
      const allocated: Record<string, string> = {};
      for (const [r, v] of Object.entries(totals.resources)) {
        allocatable[r] = formatQuantity(r, v.allocatable);
        allocated[r] = formatQuantity(r, v.requested);
      }
      status.capacity = {
        nodeCount: totals.nodes,
        readyNodeCount: totals.schedulableNodes,
        allocatable,
        allocated,
      };
    }
    // Written when it changes; lastProbeTime alone only every few minutes (each write is a
    // watch event for every client of MemberClusters).
    const probedAt = current?.lastProbeTime ? Date.parse(current.lastProbeTime) : NaN;
    const fresh = now.getTime() - probedAt < PROBE_TIME_REFRESH_MS;
    if (fresh && !statusPatchChanges(current, status)) return;
    try {
      await this.custom.patchClusterCustomObjectStatus(
        {
          group: FLEET_GROUP,
          version: FLEET_VERSION,
          plural: 'memberclusters',
          name,
          body: { status },
        },
        mergePatch,
      );
    } catch (err) {
      this.logger.warn('could not write member status', { member: name, error: errorMessage(err) });
    }
  }
}
