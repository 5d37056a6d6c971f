/**
 * The fleet seed's walkthrough, end to end on the demo fleet, with its manifests verbatim:
 * 2 replicas fill cluster-idc-demo; scaling to 4 on the hub spills 2 to cluster-bj-demo, where
 * they wait (Pending) until the simulated cloud adds GPU nodes; scaling back to 2 removes the
 * cluster-bj-demo replicas first. The hub Deployment's status shows the aggregate throughout.
 */
import { describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { clients, isRunning, isUnschedulable, podsOf } from '../support/kube.js';
import { SEED_DEMO, kubectl, seedPolicy } from '../support/spillway.js';

const fleet = useFleet('seed', 'demo.yaml', { idleSeconds: 30, scaleUpDelaySeconds: 8 });

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubConfig = () => hub(fleet.state).kubeconfigPath;

async function qwen3Pods(cluster: 'idc' | 'bj'): Promise<V1Pod[]> {
  const { core } = clients(kubeConfigFor(cluster === 'idc' ? idc() : bj()));
  return (await podsOf(core, 'test', 'qwen3')).filter((p) => !p.metadata?.deletionTimestamp);
}

async function hubStatus(): Promise<{
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  generation?: number;
}> {
  const d = await kubeConfigFor(hub(fleet.state))
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: 'qwen3', namespace: 'test' });
  return { ...d.status, generation: d.metadata?.generation };
}

const controller = useFleetController(fleet, { healthPort: 0 });

describe('seed walkthrough: elastic scheduling with multi-cluster priorities', () => {
  it('step 1-2: the demo and its policies apply verbatim; both replicas run in the IDC cluster', async () => {
    kubectl(hubConfig(), ['create', 'ns', 'test']);
    expect(kubectl(hubConfig(), ['apply', '-f', SEED_DEMO])).toMatch(
      /deployment.apps\/qwen3 created[\s\S]*service\/qwen3 created/,
    );
    const out = kubectl(hubConfig(), ['apply', '-f', '-'], seedPolicy(idc().name, bj().name));
    expect(out).toMatch(/vllm-deploy-pp created[\s\S]*demo-svc created/);

    await waitFor('2 Running qwen3 pods in cluster-idc-demo', 90_000, async () => {
      const pods = await qwen3Pods('idc');
      return pods.length === 2 && pods.every(isRunning);
    });
    expect(await qwen3Pods('bj')).toHaveLength(0);
    await waitFor('hub status 2/2', 30_000, async () => (await hubStatus()).readyReplicas === 2);
    // The Service is copied to every member cluster.
    for (const c of [idc(), bj()]) {
      await waitFor(`Service qwen3 in ${c.alias}`, 30_000, async () => {
        const svc = await clients(kubeConfigFor(c)).core.readNamespacedService({
          name: 'qwen3',
          namespace: 'test',
        });
        return svc.spec?.ports?.[0]?.port === 8000;
      });
    }
  }, 180_000);

  it('step 3: scaling to 4 spills 2 replicas to cluster-bj-demo, Pending until GPU nodes join', async () => {
    kubectl(hubConfig(), ['scale', 'deploy', 'qwen3', '-ntest', '--replicas=4']);
    await waitFor('2 Pending qwen3 pods in cluster-bj-demo', 60_000, async () => {
      const pods = await qwen3Pods('bj');
      return (
        pods.length === 2 && pods.every((p) => p.status?.phase === 'Pending' && isUnschedulable(p))
      );
    });
    expect(await qwen3Pods('idc')).toHaveLength(2);

    // ecsProvision: the cloud cluster is asked for capacity for exactly the 2 waiting replicas.
    const custom = kubeConfigFor(bj()).makeApiClient(CustomObjectsApi);
    let counts: number[] = [];
    await waitFor('a ProvisioningRequest in cluster-bj-demo', 30_000, async () => {
      const prs = (await custom.listNamespacedCustomObject({
        group: 'autoscaling.x-k8s.io',
        version: 'v1',
        plural: 'provisioningrequests',
        namespace: 'test',
      })) as { items: { spec: { podSets: { count: number }[] } }[] };
      counts = prs.items.map((pr) => pr.spec.podSets[0]?.count ?? 0);
      return counts.length > 0;
    });
    expect(counts).toEqual([2]);

    await waitFor('2 Running qwen3 pods in cluster-bj-demo', 120_000, async () => {
      const pods = await qwen3Pods('bj');
      return pods.length === 2 && pods.every(isRunning);
    });
    const gpuNodes = async () =>
      (await clients(kubeConfigFor(bj())).core.listNode()).items.filter(
        (n) => n.status?.allocatable?.['nvidia.com/gpu'] === '1',
      ).length;
    expect(await gpuNodes()).toBe(2);
    // The pods name their request the way cluster-autoscaler expects, so the simulated cloud
    // serves them through it alone: no third node, however the waiting count moved meanwhile.
    for (const p of await qwen3Pods('bj'))
      expect(p.metadata?.annotations).toMatchObject({
        'cluster-autoscaler.kubernetes.io/consume-provisioning-request':
          'qwen3-deployment-capacity',
        'cluster-autoscaler.kubernetes.io/provisioning-class-name':
          'best-effort-atomic-scale-up.autoscaling.x-k8s.io',
      });
    const watchUntil = Date.now() + 12_000; // past the pool's scale-up delay
    while (Date.now() < watchUntil) {
      expect(await gpuNodes()).toBeLessThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await waitFor('hub status 4/4', 30_000, async () => {
      const s = await hubStatus();
      return s.replicas === 4 && s.readyReplicas === 4 && s.observedGeneration === s.generation;
    });
    const rb = (await kubeConfigFor(hub(fleet.state))
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({
        group: 'fleet.spillway.dev',
        version: 'v1alpha1',
        plural: 'resourcebindings',
        namespace: 'test',
        name: 'qwen3-deployment',
      })) as { spec: { clusters: { name: string; replicas: number; affinityName: string }[] } };
    expect(rb.spec.clusters.map((c) => [c.name, c.replicas, c.affinityName])).toEqual([
      [idc().name, 2, 'idc'],
      [bj().name, 2, 'ack'],
    ]);
  }, 240_000);

  it('step 4: scaling back to 2 removes the cluster-bj-demo replicas first', async () => {
    const idcBefore = (await qwen3Pods('idc')).map((p) => p.metadata?.name).sort();
    kubectl(hubConfig(), ['scale', 'deploy', 'qwen3', '-ntest', '--replicas=2']);
    await waitFor(
      'no qwen3 pods in cluster-bj-demo',
      60_000,
      async () => (await qwen3Pods('bj')).length === 0,
    );
    const idcAfter = await qwen3Pods('idc');
    expect(idcAfter.map((p) => p.metadata?.name).sort()).toEqual(idcBefore);
    expect(idcAfter.every(isRunning)).toBe(true);
    await waitFor('hub status 2/2', 30_000, async () => {
      const s = await hubStatus();
      return s.replicas === 2 && s.readyReplicas === 2;
    });
    // The Service stays everywhere; the idle GPU nodes go after the (shortened) idle time.
    await clients(kubeConfigFor(bj())).core.readNamespacedService({
      name: 'qwen3',
      namespace: 'test',
    });
  }, 120_000);

  it('next: a request the cloud refuses is reported, and nothing waits for it silently', async () => {
    // 10 more GPU replicas than the IDC cluster holds: the cloud's GPU pool stops at 4 nodes.
    kubectl(hubConfig(), ['scale', 'deploy', 'qwen3', '-ntest', '--replicas=12']);
    type Condition = { type: string; status: string; reason: string; message: string };
    let provisioning: Condition | undefined;
    await waitFor('Provisioning=False on the binding', 90_000, async () => {
      const rb = (await kubeConfigFor(hub(fleet.state))
        .makeApiClient(CustomObjectsApi)
        .getNamespacedCustomObject({
          group: 'fleet.spillway.dev',
          version: 'v1alpha1',
          plural: 'resourcebindings',
          namespace: 'test',
          name: 'qwen3-deployment',
        })) as { status?: { conditions?: Condition[] } };
      provisioning = rb.status?.conditions?.find((c) => c.type === 'Provisioning');
      return provisioning?.status === 'False';
    });
    expect(provisioning?.reason).toBe('ProvisioningFailed');
    expect(provisioning?.message).toContain(
      `${bj().name} cannot provision nodes: CapacityLimitReached`,
    );
    const events = await kubeConfigFor(hub(fleet.state))
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: 'test', fieldSelector: 'involvedObject.name=qwen3' });
    expect(
      events.items.some((e) => e.reason === 'ProvisioningFailed' && e.type === 'Warning'),
    ).toBe(true);
    const metrics = await (
      await fetch(`http://127.0.0.1:${controller.healthPort ?? 0}/metrics`)
    ).text();
    expect(metrics).toContain(`spillway_provisioning_failures_total{cluster="${bj().name}"} 1`);

    // Back to 2: the cloud replicas go first, and so does the request.
    kubectl(hubConfig(), ['scale', 'deploy', 'qwen3', '-ntest', '--replicas=2']);
    await waitFor('no request left in the cloud member', 60_000, async () => {
      const prs = (await kubeConfigFor(bj())
        .makeApiClient(CustomObjectsApi)
        .listNamespacedCustomObject({
          group: 'autoscaling.x-k8s.io',
          version: 'v1',
          plural: 'provisioningrequests',
          namespace: 'test',
        })) as { items: unknown[] };
      return prs.items.length === 0 && (await qwen3Pods('bj')).length === 0;
    });
  }, 180_000);
});
