/**
 * The simulated cloud provisioner of the local fleet: for each member that can provision,
 * every second it looks at pods the scheduler could not place for lack of resources and at
 * ProvisioningRequests, adds kwok nodes to elastic pools after the pool's delay, and removes
 * pool nodes that stayed empty for the pool's idle time. Polling (not watches) keeps it small;
 * at test scale a list per second is cheap. Test and demo infrastructure, not product.
 *
 * Usage: tsx e2e/provisioner/main.ts --state <fleet state dir> [--idle-seconds N] [--scale-up-delay-seconds N]
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { kubeConfigFor, member, readState } from '../fleet/fleet.js';
import { ELASTIC_LABEL, nodeManifest, POOL_LABEL } from '../fleet/nodes.js';
import type { MemberSpec, NodePool } from '../fleet/topology.js';
import {
  addInto,
  assignPools,
  idleNodes,
  nodesNeeded,
  resources,
  scaleUp,
  type PendingPod,
  type PoolNode,
  type PoolShape,
  type Resources,
} from './plan.js';

const { values } = parseArgs({
  options: {
    state: { type: 'string' },
    'idle-seconds': { type: 'string' },
    'scale-up-delay-seconds': { type: 'string' },
  },
});
if (!values.state) throw new Error('--state is required');
const state = readState(values.state);
if (!state) throw new Error(`no fleet state in ${values.state}`);
const idleOverride =
  values['idle-seconds'] === undefined ? undefined : Number(values['idle-seconds']);
const delayOverride =
  values['scale-up-delay-seconds'] === undefined
    ? undefined
    : Number(values['scale-up-delay-seconds']);

/**
 * Annotations by which a pod says a ProvisioningRequest covers it (cluster-autoscaler's current
 * key and its deprecated one): such pods get nodes through their request, not on their own.
 */
const CONSUME_PR = [
  'cluster-autoscaler.kubernetes.io/consume-provisioning-request',
  'autoscaling.x-k8s.io/consume-provisioning-request',
];
const CHECK_CAPACITY = 'check-capacity.autoscaling.x-k8s.io';
const setMergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const PR = {
  group: 'autoscaling.x-k8s.io',
  version: 'v1',
  plural: 'provisioningrequests',
} as const;

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }) + '\n');
}

function shapeOf(pool: NodePool): PoolShape {
  const node = nodeManifest(pool, 'x', '');
  return {
    pool,
    labels: node.metadata?.labels ?? {},
    taints: (node.spec?.taints ?? []).map((t) => ({
      key: t.key,
      value: t.value,
      effect: t.effect as 'NoSchedule',
    })),
    capacity: resources(pool.capacity),
  };
}

function podRequests(spec: V1PodSpec | undefined): Resources {
  // Effective request: max(sum of containers, largest init container) plus overhead.
  const sum: Resources = new Map();
  for (const c of spec?.containers ?? [])
    addInto(sum, resources(c.resources?.requests as Record<string, string> | undefined));
  for (const c of spec?.initContainers ?? []) {
    for (const [k, v] of resources(c.resources?.requests as Record<string, string> | undefined)) {
      if (v > (sum.get(k) ?? 0n)) sum.set(k, v);
    }
  }
  addInto(sum, resources(spec?.overhead as Record<string, string> | undefined));
  return sum;
}

function pendingOf(spec: V1PodSpec | undefined): PendingPod {
  return {
    requests: podRequests(spec),
    nodeSelector: spec?.nodeSelector ?? {},
    tolerations: (spec?.tolerations ?? []).map((t) => ({
      key: t.key,
      operator: t.operator,
      value: t.value,
      effect: t.effect,
    })),
  };
}

function isUnschedulable(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Pending' &&
    !pod.spec?.nodeName &&
    (pod.status.conditions ?? []).some(
      (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
    )
  );
}

function isTerminated(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

interface ProvisioningRequest {
  metadata: { name: string; namespace: string; generation?: number };
  spec: {
    provisioningClassName: string;
    podSets: { podTemplateRef: { name: string }; count: number }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}

class MemberProvisioner {
  private readonly core;
  private readonly custom;
  private readonly shapes: PoolShape[];
  private readonly inFlight = new Map<string, number>();
  private readonly idleSince = new Map<string, number>();

  constructor(private readonly spec: MemberSpec) {
    const kc = kubeConfigFor(member(state as NonNullable<typeof state>, spec.id));
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.shapes = spec.nodePools.filter((p) => p.elastic).map(shapeOf);
  }

  private delayMs(pool: NodePool): number {
    return (delayOverride ?? pool.elastic?.scaleUpDelaySeconds ?? 10) * 1000;
  }

  private idleMs(pool: NodePool): number {
    return (idleOverride ?? pool.elastic?.idleSeconds ?? 600) * 1000;
  }

  async tick(): Promise<void> {
    const now = Date.now();
    const [nodeList, podList] = await Promise.all([
      this.core.listNode({ labelSelector: ELASTIC_LABEL }),
      this.core.listPodForAllNamespaces(),
    ]);
    const poolNodes = this.poolNodes(nodeList.items, podList.items);
    const pending = podList.items
      .filter(isUnschedulable)
      .filter((p) => !CONSUME_PR.some((k) => p.metadata?.annotations?.[k]));
    const byPool = assignPools(
      pending.map((p) => pendingOf(p.spec)),
      this.shapes,
    );
    for (const shape of this.shapes) {
      const nodes = poolNodes.filter((n) => n.pool === shape.pool.name);
      const add = scaleUp({
        shape,
        pods: byPool.get(shape.pool.name) ?? [],
        nodes,
        inFlight: this.inFlight.get(shape.pool.name) ?? 0,
        freshWindowMs: 30_000,
        nowMs: now,
      });
      if (add > 0) this.addNodes(shape.pool, add, 'unschedulable pods');
      this.removeIdle(shape.pool, nodes, now);
    }
    await this.provisioningRequests(poolNodes);
  }

  private poolNodes(nodes: V1Node[], pods: V1Pod[]): PoolNode[] {
    const used = new Map<string, { pods: number; req: Resources }>();
    for (const p of pods) {
      const nodeName = p.spec?.nodeName;
      if (!nodeName || isTerminated(p)) continue;
      const u = used.get(nodeName) ?? { pods: 0, req: new Map() };
      u.pods += 1;
      addInto(u.req, podRequests(p.spec));
      used.set(nodeName, u);
    }
    return nodes.map((n) => {
      const name = n.metadata?.name ?? '';
      const u = used.get(name);
      const free = resources(n.status?.allocatable);
      for (const [k, v] of u?.req ?? []) free.set(k, (free.get(k) ?? 0n) - v);
      free.set('pods', (free.get('pods') ?? 0n) - BigInt(u?.pods ?? 0) * 1000n);
      return {
        name,
        pool: n.metadata?.labels?.[POOL_LABEL] ?? '',
        createdAtMs: n.metadata?.creationTimestamp
          ? new Date(n.metadata.creationTimestamp).getTime()
          : 0,
        pods: u?.pods ?? 0,
        free,
      };
    });
  }

  private addNodes(pool: NodePool, count: number, why: string): void {
    this.inFlight.set(pool.name, (this.inFlight.get(pool.name) ?? 0) + count);
    log('scale-up decided', {
      cluster: this.spec.alias,
      pool: pool.name,
      count,
      why,
      delaySeconds: this.delayMs(pool) / 1000,
    });
    setTimeout(() => {
      void (async () => {
        for (let i = 0; i < count; i++) {
          const name = `${pool.name}-${randomBytes(3).toString('hex')}`;
          try {
            await this.core.createNode({ body: nodeManifest(pool, name, 'v1.34.4-kwok') });
            log('node added', { cluster: this.spec.alias, pool: pool.name, node: name });
          } catch (err) {
            log('node add failed', { cluster: this.spec.alias, node: name, error: String(err) });
          }
        }
        this.inFlight.set(pool.name, Math.max(0, (this.inFlight.get(pool.name) ?? 0) - count));
      })();
    }, this.delayMs(pool));
  }

  private removeIdle(pool: NodePool, nodes: PoolNode[], now: number): void {
    for (const n of nodes) {
      if (n.pods > 0) this.idleSince.delete(n.name);
      else if (!this.idleSince.has(n.name)) this.idleSince.set(n.name, now);
    }
    for (const name of idleNodes(nodes, this.idleSince, this.idleMs(pool), now)) {
      this.idleSince.delete(name);
      log('removing idle node', { cluster: this.spec.alias, pool: pool.name, node: name });
      void this.core
        .deleteNode({ name })
        .catch((err: unknown) => log('node delete failed', { node: name, error: String(err) }));
    }
  }

  /** Answers ProvisioningRequests the way cluster-autoscaler does, for the classes it knows. */
  private async provisioningRequests(poolNodes: PoolNode[]): Promise<void> {
    let list: { items: ProvisioningRequest[] };
    try {
      list = (await this.custom.listClusterCustomObject(PR)) as { items: ProvisioningRequest[] };
    } catch {
      return; // CRD not installed in this member
    }
    for (const pr of list.items) {
      // Accepted requests are being served already; decided ones are done.
      const decided = (pr.status?.conditions ?? []).some((c) =>
        ['Accepted', 'Provisioned', 'Failed'].includes(c.type),
      );
      if (decided) continue;
      const pods: PendingPod[] = [];
      for (const set of pr.spec.podSets) {
        const tpl = await this.core
          .readNamespacedPodTemplate({
            name: set.podTemplateRef.name,
            namespace: pr.metadata.namespace,
          })
          .catch(() => undefined);
        if (!tpl) {
          await this.setCondition(
            pr,
            'Failed',
            'True',
            'PodTemplateNotFound',
            `pod template ${set.podTemplateRef.name} not found`,
          );
          continue;
        }
        for (let i = 0; i < set.count; i++) pods.push(pendingOf(tpl.template?.spec));
      }
      const byPool = assignPools(pods, this.shapes);
      const unplaceable = pods.length - [...byPool.values()].reduce((n, l) => n + l.length, 0);
      const plan = this.shapes.map((shape) => {
        // Free room on the pool's nodes and on nodes already on their way (for pending pods,
        // which may be these same pods) counts first, so one need is never provisioned twice.
        const spare = [
          ...poolNodes.filter((n) => n.pool === shape.pool.name).map((n) => n.free),
          ...Array.from(
            { length: this.inFlight.get(shape.pool.name) ?? 0 },
            () => new Map(shape.capacity),
          ),
        ];
        return { shape, add: nodesNeeded(byPool.get(shape.pool.name) ?? [], shape, spare) };
      });
      const tooMany = plan.find(({ shape, add }) => {
        const have =
          poolNodes.filter((n) => n.pool === shape.pool.name).length +
          (this.inFlight.get(shape.pool.name) ?? 0);
        return have + add > (shape.pool.elastic?.max ?? 0);
      });
      const ok = unplaceable === 0 && !tooMany;
      if (pr.spec.provisioningClassName === CHECK_CAPACITY) {
        const fits = ok && plan.every((p) => p.add === 0);
        await this.setCondition(
          pr,
          'Provisioned',
          fits ? 'True' : 'False',
          fits ? 'CapacityIsFound' : 'CapacityIsNotFound',
          fits ? 'capacity is available now' : 'capacity is not available now',
        );
        continue;
      }
      if (!ok) {
        await this.setCondition(
          pr,
          'Provisioned',
          'False',
          'CapacityLimitReached',
          unplaceable > 0
            ? `${unplaceable} pods fit no elastic pool`
            : `pool ${tooMany?.shape.pool.name} would exceed its max`,
        );
        continue;
      }
      for (const { shape, add } of plan)
        if (add > 0)
          this.addNodes(
            shape.pool,
            add,
            `ProvisioningRequest ${pr.metadata.namespace}/${pr.metadata.name}`,
          );
      const delay = Math.max(
        0,
        ...plan.filter((p) => p.add > 0).map((p) => this.delayMs(p.shape.pool)),
      );
      await this.setCondition(pr, 'Accepted', 'True', 'Accepted', 'provisioning request accepted');
      setTimeout(() => {
        void this.setCondition(
          pr,
          'Provisioned',
          'True',
          'Provisioned',
          'capacity is provisioned and booked for the request',
        );
      }, delay + 1000);
    }
  }

  private async setCondition(
    pr: ProvisioningRequest,
    type: string,
    status: string,
    reason: string,
    message: string,
  ): Promise<void> {
    const conditions = (pr.status?.conditions ?? []).filter((c) => c.type !== type);
    conditions.push({
      type,
      status,
      reason,
      message,
      lastTransitionTime: new Date().toISOString(),
      observedGeneration: pr.metadata.generation ?? 1,
    } as { type: string; status: string });
    pr.status = { ...pr.status, conditions };
    await this.custom
      .patchNamespacedCustomObjectStatus(
        {
          ...PR,
          namespace: pr.metadata.namespace,
          name: pr.metadata.name,
          body: { status: pr.status },
        },
        setMergePatch,
      )
      .catch((err: unknown) =>
        log('status update failed', { request: pr.metadata.name, error: String(err) }),
      );
    log('provisioning request condition', {
      cluster: this.spec.alias,
      request: `${pr.metadata.namespace}/${pr.metadata.name}`,
      type,
      status,
      reason,
    });
  }
}

const provisioners = state.topology.members
  .filter((m) => m.provisioning)
  .map((m) => new MemberProvisioner(m));
log('provisioner started', { members: provisioners.length, idleOverride, delayOverride });
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
while (!stopping) {
  await Promise.all(
    provisioners.map((p) =>
      p.tick().catch((err: unknown) => log('tick failed', { error: String(err) })),
    ),
  );
  await new Promise((r) => setTimeout(r, 1000));
}
process.exit(0);
