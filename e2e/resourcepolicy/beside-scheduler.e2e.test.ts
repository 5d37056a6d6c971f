/**
 * Where a ResourcePolicy beside kube-scheduler can disagree with one inside it (issue 11), on
 * one shared member: pods the scheduler cannot place in their unit go on to the next unit;
 * moving a Job's pod never costs the Job a failure; deleting a policy strands no pod; unit
 * kinds keep pods on their kind of node; AfterAllUnits preempts where lower-priority pods run;
 * DaemonSet pods are left alone; negative maxResources are rejected at apply time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import { nodeManifest } from '../fleet/nodes.js';
import { waitFor } from '../fleet/readiness.js';
import {
  POOL_A,
  POOL_B,
  apply,
  byPool,
  cleanNamespace,
  deploymentManifest,
  isRunningPod,
  kubectl,
  live,
  memberConfig,
  policyManifest,
  waitPods,
  waitPolicyReady,
} from './support.js';
import { useController } from './fixture.js';

const fleet = useFleet('resourcepolicy-beside', 'resourcepolicy.yaml', { provisioner: false });
const env = useController(fleet);

const WAIT = { 'k8s.aliyun.com/resource-policy-wait-for-ecs-scaling': 'true' };
const SLOW_POOL = { 'alibabacloud.com/nodepool-id': 'npelasticslow0000000000000000000000' };
const ACS_NODE = 'virtual-kubelet-acs-0';
const runningN = (n: number) => (list: V1Pod[]) =>
  live(list).length === n && live(list).every(isRunningPod);

const used: string[] = [];
async function namespace(ns: string): Promise<string> {
  await ensureNamespace(env.core, ns);
  used.push(ns);
  return ns;
}
afterEach(async () => {
  for (const ns of used.splice(0)) {
    await kubectl(env.kubeconfig, ['-n', ns, 'delete', 'jobs,daemonsets', '--all', '--wait=false']);
    await cleanNamespace(env.kubeconfig, env.core, ns);
  }
}, 180_000);

// An ACS virtual node next to the topology's ECI one (kwok runs its pods).
beforeAll(async () => {
  const { kc } = memberConfig(fleet.state);
  const node = nodeManifest(
    {
      name: 'virtual-kubelet-acs',
      count: 1,
      labels: {},
      taints: [],
      capacity: { cpu: '1000', memory: '4000Gi', pods: '1000' },
      virtual: 'acs',
    },
    ACS_NODE,
    'v1.34.4-kwok',
  );
  await kc.makeApiClient(CoreV1Api).createNode({ body: node });
}, 60_000);
afterAll(async () => {
  await kubectl(env.kubeconfig, [
    'delete',
    'priorityclass',
    'rp-low',
    'rp-high',
    '--wait=false',
  ]).catch(() => '');
}, 60_000);

/** A Deployment whose pods never share a node (required inter-pod anti-affinity). */
function oneReplicaPerNode(name: string, ns: string, replicas: number): object {
  const d = deploymentManifest(name, ns, replicas, '100m');
  const spec = d.spec?.template.spec;
  if (spec)
    spec.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: name } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    };
  return d;
}

describe('ResourcePolicy beside kube-scheduler', () => {
  it('sends pods the scheduler cannot place in their unit (anti-affinity) to the next unit', async () => {
    // Item 1: the room estimate ignores anti-affinity, so all 4 replicas are first sent to the
    // 2-node pool A; the 2 that kube-scheduler marks Unschedulable are recreated for pool B.
    const ns = await namespace('rp-anti');
    await apply(
      env.kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
      oneReplicaPerNode('web', ns, 4),
    );
    const list = await waitPods(env.core, ns, 'app=web', '4 Running web pods', runningN(4));
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 2 });
  }, 240_000);

  it('moves a Job pod that timed out in a unit without costing the Job a failure', async () => {
    // Item 2: backoffLimit 0 failed the Job as soon as its waiting pod was deleted.
    const ns = await namespace('rp-job');
    await apply(
      env.kubeconfig,
      policyManifest('batch', ns, {
        selector: { app: 'batch' },
        units: [
          { resource: 'ecs', nodeSelector: SLOW_POOL, podLabels: WAIT },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
        whenTryNextUnits: { policy: 'TimeoutOrExceedMax', timeout: '5s' },
      }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'batch');
    await apply(env.kubeconfig, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'batch', namespace: ns },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels: { app: 'batch' } },
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 0,
            containers: [
              {
                name: 'main',
                image: 'example.invalid/job:1',
                resources: { requests: { cpu: '100m' } },
              },
            ],
          },
        },
      },
    });
    const first = await waitPods(env.core, ns, 'app=batch', 'the Job pod waiting', (l) =>
      live(l).some(
        (p) => p.metadata?.annotations?.['scheduling.spillway.dev/waiting-for-capacity'] === 'true',
      ),
    );
    const waitingUid = live(first)[0]?.metadata?.uid;
    // kwok may run the pod to completion: Running or Succeeded both mean it was not failed.
    const list = await waitPods(env.core, ns, 'app=batch', 'a new Job pod in pool B', (l) =>
      live(l).some(
        (p) =>
          p.metadata?.uid !== waitingUid &&
          (p.status?.phase === 'Running' || p.status?.phase === 'Succeeded'),
      ),
    );
    expect(byPool(list)).toEqual({ 'pool-b': 1 });
    const batch = memberConfig(fleet.state).kc.makeApiClient(BatchV1Api);
    const job = await batch.readNamespacedJob({ name: 'batch', namespace: ns });
    expect(job.status?.failed ?? 0).toBe(0);
    expect(
      job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ?? false,
    ).toBe(false);
  }, 240_000);

  it('deleting the policy recreates pods stranded in a unit that never grows', async () => {
    // Item 7: pods waiting in a pool that never grows kept its nodeSelector after the policy
    // was deleted, and no timeout applied any more.
    const ns = await namespace('rp-gone');
    await apply(
      env.kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        units: [
          { resource: 'ecs', nodeSelector: SLOW_POOL, podLabels: WAIT },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
        whenTryNextUnits: { policy: 'ExceedMax' },
      }),
      deploymentManifest('web', ns, 2, '100m'),
    );
    await waitPods(
      env.core,
      ns,
      'app=web',
      '2 pods waiting in the slow pool',
      (l) =>
        live(l).length === 2 &&
        live(l).every(
          (p) =>
            p.spec?.nodeSelector?.['alibabacloud.com/nodepool-id'] ===
              SLOW_POOL['alibabacloud.com/nodepool-id'] &&
            (p.status?.conditions ?? []).some((c) => c.reason === 'Unschedulable'),
        ),
    );
    await kubectl(env.kubeconfig, ['-n', ns, 'delete', 'rsp', 'web']);
    const list = await waitPods(env.core, ns, 'app=web', '2 Running web pods', runningN(2));
    for (const p of list)
      expect(p.spec?.nodeSelector?.['alibabacloud.com/nodepool-id']).toBeUndefined();
  }, 240_000);

  it('keeps acs units on ACS nodes within max and ecs units off virtual nodes', async () => {
    // Items 3 and 4.
    const ns = await namespace('rp-kinds');
    const tolerant = deploymentManifest('tolerant', ns, 4, '100m');
    const tspec = tolerant.spec?.template.spec;
    if (tspec) tspec.tolerations = [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }];
    await apply(
      env.kubeconfig,
      policyManifest('serverless', ns, {
        selector: { app: 'serverless' },
        units: [
          { resource: 'acs', max: 2 },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
      policyManifest('tolerant', ns, {
        selector: { app: 'tolerant' },
        units: [{ resource: 'ecs' }],
      }),
      deploymentManifest('serverless', ns, 4, '100m'),
      tolerant,
    );
    const serverless = await waitPods(env.core, ns, 'app=serverless', '4 Running', runningN(4));
    expect(byPool(serverless)).toEqual({ 'virtual-kubelet-acs': 2, 'pool-b': 2 });
    await waitFor('status 2/2,2', 30_000, async () => {
      const s = await kubectl(env.kubeconfig, [
        '-n',
        ns,
        'get',
        'rsp',
        'serverless',
        '-o',
        'jsonpath={.status.summary}',
      ]);
      return s === '2/2,2';
    });
    const others = await waitPods(env.core, ns, 'app=tolerant', '4 Running', runningN(4));
    for (const p of others) expect(p.spec?.nodeName ?? '').not.toMatch(/^virtual-kubelet/);
  }, 240_000);

  it('AfterAllUnits preempts in the unit where lower-priority pods run', async () => {
    // Item 6: pool A is full of lower-priority pods, pool B (the last unit) of equal priority.
    const ns = await namespace('rp-preempt');
    await apply(
      env.kubeconfig,
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'rp-low' },
        value: 10,
      },
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'rp-high' },
        value: 1000,
      },
    );
    const filler = (name: string, pool: Record<string, string>, priorityClassName: string) => {
      const d = deploymentManifest(name, ns, 2, '1500m');
      const spec = d.spec?.template.spec;
      if (spec) {
        spec.nodeSelector = pool;
        spec.priorityClassName = priorityClassName;
      }
      return d;
    };
    await apply(env.kubeconfig, filler('low', POOL_A, 'rp-low'), filler('peer', POOL_B, 'rp-high'));
    await waitPods(env.core, ns, 'app=low', 'pool A full', runningN(2));
    await waitPods(env.core, ns, 'app=peer', 'pool B full', runningN(2));
    const web = deploymentManifest('web', ns, 1, '1');
    const wspec = web.spec?.template.spec;
    if (wspec) wspec.priorityClassName = 'rp-high';
    await apply(
      env.kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'web');
    await apply(env.kubeconfig, web);
    const list = await waitPods(env.core, ns, 'app=web', 'web Running in pool A', runningN(1));
    expect(byPool(list)).toEqual({ 'pool-a': 1 });
  }, 240_000);

  it('leaves DaemonSet pods alone under an empty-selector policy', async () => {
    // Item 9: the DaemonSet's nodes (pool A) are outside every unit.
    const ns = await namespace('rp-daemon');
    await apply(
      env.kubeconfig,
      policyManifest('all', ns, { units: [{ resource: 'ecs', nodeSelector: POOL_B }] }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'all');
    await apply(env.kubeconfig, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            nodeSelector: POOL_A,
            terminationGracePeriodSeconds: 0,
            containers: [
              {
                name: 'main',
                image: 'example.invalid/agent:1',
                resources: { requests: { cpu: '10m' } },
              },
            ],
          },
        },
      },
    });
    const list = await waitPods(env.core, ns, 'app=agent', '2 Running agents', runningN(2));
    expect(byPool(list)).toEqual({ 'pool-a': 2 });
    for (const p of list) expect(p.spec?.schedulingGates ?? []).toEqual([]);
  }, 240_000);

  it('rejects a negative maxResources at apply time', async () => {
    // Item 13.
    const ns = await namespace('rp-negative');
    const err = await apply(
      env.kubeconfig,
      policyManifest('bad', ns, {
        units: [{ resource: 'ecs', maxResources: { cpu: '-1' } }],
      }),
    ).then(
      () => '',
      (e: unknown) => String((e as { stderr?: string }).stderr ?? e),
    );
    expect(err).toMatch(/maxResources amounts must not be negative/);
  }, 60_000);

  it('tells a pod its own nodeSelector excludes every unit, and counts pods outside units', async () => {
    // Items 15 and 12.
    const ns = await namespace('rp-own');
    await apply(env.kubeconfig, deploymentManifest('early', ns, 2, '100m'));
    await waitPods(env.core, ns, 'app=early', '2 early pods Running', runningN(2));
    await apply(
      env.kubeconfig,
      // The early pods run on real nodes: outside the policy's only unit.
      policyManifest('all', ns, { units: [{ resource: 'eci' }] }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'all');
    const picky = deploymentManifest('picky', ns, 1, '100m');
    const pspec = picky.spec?.template.spec;
    if (pspec) pspec.nodeSelector = { disk: 'ssd' };
    await apply(env.kubeconfig, picky);
    await waitFor('PodConstraintsExcludeUnits event', 60_000, async () => {
      const events = await kubectl(env.kubeconfig, [
        '-n',
        ns,
        'get',
        'events',
        '--field-selector',
        'reason=PodConstraintsExcludeUnits',
        '-o',
        'jsonpath={.items[*].message}',
      ]);
      return /own nodeSelector, node affinity or tolerations exclude every unit/.test(events);
    });
    await waitFor('2 pods outside units in status', 30_000, async () => {
      const n = await kubectl(env.kubeconfig, [
        '-n',
        ns,
        'get',
        'rsp',
        'all',
        '-o',
        'jsonpath={.status.podsOutsideUnits}',
      ]);
      return n === '2';
    });
  }, 240_000);

  it('removes the gated_pods series of a deleted policy', async () => {
    // Item 10: the gauge kept its last value after the policy was deleted.
    const ns = await namespace('rp-metric');
    await apply(
      env.kubeconfig,
      policyManifest('full', ns, {
        selector: { app: 'web' },
        units: [{ resource: 'ecs', nodeSelector: POOL_A, max: 0 }],
      }),
      deploymentManifest('web', ns, 1, '100m'),
    );
    const series = `spillway_resourcepolicy_gated_pods{namespace="${ns}",policy="full"} 1`;
    await waitFor('the gauge reports the gated pod', 30_000, async () =>
      (await env.metrics()).includes(series),
    );
    await kubectl(env.kubeconfig, ['-n', ns, 'delete', 'rsp', 'full']);
    await waitFor(
      'the series is gone',
      30_000,
      async () => !(await env.metrics()).includes(`namespace="${ns}",policy="full"`),
    );
  }, 120_000);

  it('counts a pod in the unit it was sent to when units overlap', async () => {
    // Item 5: unit 0 (every real node) contains pool B, unit 1; pods sent to unit 1 were
    // counted in unit 0, so unit 1 never reached its max and status read 7/2,0/2,7.
    const ns = await namespace('rp-overlap');
    await apply(
      env.kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        units: [
          { resource: 'ecs', max: 2 },
          { resource: 'ecs', nodeSelector: POOL_B, max: 2 },
          { resource: 'eci' },
        ],
      }),
      deploymentManifest('web', ns, 6, '100m'),
    );
    const list = await waitPods(env.core, ns, 'app=web', '6 Running web pods', runningN(6));
    expect(byPool(list).eci).toBe(2);
    await waitFor('status 2/2,2/2,2', 30_000, async () => {
      const s = await kubectl(env.kubeconfig, [
        '-n',
        ns,
        'get',
        'rsp',
        'web',
        '-o',
        'jsonpath={.status.summary}',
      ]);
      return s === '2/2,2/2,2';
    });
  }, 120_000);
});
