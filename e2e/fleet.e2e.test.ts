/**
 * The local fleet itself: real control planes, kwok nodes, the simulated cloud provisioner,
 * and a hub that never creates pods. What every later e2e test stands on.
 */
import { describe, expect, it } from '@jest/globals';
import { CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { fleetDown, fleetUp, hub, kubeConfigFor, member } from './fleet/index.js';
import { isRunning as processRunning } from './fleet/processes.js';
import { waitFor } from './fleet/readiness.js';
import { useFleet } from './support/fleet.js';
import {
  clients,
  deployment,
  ensureNamespace,
  isRunning,
  isUnschedulable,
  podsOf,
} from './support/kube.js';

const fleet = useFleet('foundation', 'demo.yaml', { idleSeconds: 5, scaleUpDelaySeconds: 2 });
const NS = 'test';

describe('local fleet', () => {
  it('runs a Deployment applied to a member as Running pods on kwok nodes', async () => {
    const { core, apps } = clients(kubeConfigFor(member(fleet.state, 'cluster-idc-demo')));
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual([
      'idc-cpu-0',
      'idc-gpu-0',
      'idc-gpu-1',
    ]);
    await ensureNamespace(core, NS);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('web', NS, 3, { cpu: '500m', memory: '256Mi' }),
    });
    await waitFor('3 Running web pods in cluster-idc-demo', 60_000, async () => {
      const pods = await podsOf(core, NS, 'web');
      return pods.length === 3 && pods.every(isRunning);
    });
    const pods = await podsOf(core, NS, 'web');
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBeGreaterThan(0);
    for (const p of pods) expect(nodes.map((n) => n.metadata?.name)).toContain(p.spec?.nodeName);
  }, 90_000);

  it('keeps kwok nodes Ready and their pods Ready past the node monitor grace period', async () => {
    const kc = kubeConfigFor(member(fleet.state, 'cluster-idc-demo'));
    const { core } = clients(kc);
    const leases = kc.makeApiClient(CoordinationV1Api);
    const nodes = (await core.listNode()).items;
    const born = Math.max(
      ...nodes.map((n) => new Date(n.metadata?.creationTimestamp ?? 0).getTime()),
    );
    // Each node's Lease is renewed, the way the member's node lifecycle controller expects.
    const renewed = async () =>
      new Map(
        (await leases.listNamespacedLease({ namespace: 'kube-node-lease' })).items.map((l) => [
          l.metadata?.name ?? '',
          new Date(l.spec?.renewTime ?? 0).getTime(),
        ]),
      );
    await waitFor('a Lease for every node', 30_000, async () => (await renewed()).size >= 3);
    const first = await renewed();
    // The member's node lifecycle controller gives a silent node 50 s before it marks it and its
    // pods not Ready; wait well past that, counted from the nodes' creation.
    await waitFor('90 s since the nodes joined', 120_000, () =>
      Promise.resolve(Date.now() - born > 90_000),
    );
    await waitFor('every node Lease renewed again', 30_000, async () => {
      const now = await renewed();
      return nodes.every(
        (n) => (now.get(n.metadata?.name ?? '') ?? 0) > (first.get(n.metadata?.name ?? '') ?? 0),
      );
    });
    for (const n of (await core.listNode()).items) {
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      expect([n.metadata?.name, ready?.status]).toEqual([n.metadata?.name, 'True']);
    }
    // The node lifecycle controller never found a node silent (it records NodeNotReady).
    const notReady = await core.listEventForAllNamespaces({ fieldSelector: 'reason=NodeNotReady' });
    expect(notReady.items.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}`)).toEqual(
      [],
    );
    const pods = await podsOf(core, NS, 'web');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
      expect([p.metadata?.name, ready?.status]).toEqual([p.metadata?.name, 'True']);
    }
  }, 240_000);

  it('leaves a GPU pod Pending when no GPU is free, and Running once the provisioner adds a node', async () => {
    const { core, apps } = clients(kubeConfigFor(member(fleet.state, 'cluster-bj-demo')));
    const gpuNodes = async () =>
      (await core.listNode()).items.filter(
        (n) => n.status?.allocatable?.['nvidia.com/gpu'] === '1',
      );
    expect(await gpuNodes()).toHaveLength(0);
    await ensureNamespace(core, NS);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('llm', NS, 2, { 'nvidia.com/gpu': '1' }),
    });
    await waitFor('2 unschedulable llm pods', 30_000, async () => {
      const pods = await podsOf(core, NS, 'llm');
      return pods.length === 2 && pods.every(isUnschedulable);
    });
    await waitFor('2 Running llm pods', 90_000, async () => {
      const pods = await podsOf(core, NS, 'llm');
      return pods.length === 2 && pods.every(isRunning);
    });
    // One GPU per node: exactly two nodes were added, no more.
    expect(await gpuNodes()).toHaveLength(2);

    // Idle nodes go away after the (shortened) idle time once the pods are gone.
    await apps.patchNamespacedDeploymentScale({
      name: 'llm',
      namespace: NS,
      body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
    });
    await waitFor(
      'elastic GPU nodes removed when idle',
      60_000,
      async () => (await gpuNodes()).length === 0,
    );
  }, 200_000);

  it('adds nodes for a ProvisioningRequest and marks it Provisioned', async () => {
    const kc = kubeConfigFor(member(fleet.state, 'cluster-bj-demo'));
    const { core } = clients(kc);
    const custom = kc.makeApiClient(CustomObjectsApi);
    await ensureNamespace(core, NS);
    await core.createNamespacedPodTemplate({
      namespace: NS,
      body: {
        metadata: { name: 'llm-capacity' },
        template: {
          spec: {
            containers: [
              {
                name: 'main',
                image: 'x',
                resources: {
                  requests: { 'nvidia.com/gpu': '1' },
                  limits: { 'nvidia.com/gpu': '1' },
                },
              },
            ],
          },
        },
      },
    });
    await custom.createNamespacedCustomObject({
      group: 'autoscaling.x-k8s.io',
      version: 'v1',
      plural: 'provisioningrequests',
      namespace: NS,
      body: {
        apiVersion: 'autoscaling.x-k8s.io/v1',
        kind: 'ProvisioningRequest',
        metadata: { name: 'llm-capacity' },
        spec: {
          provisioningClassName: 'best-effort-atomic-scale-up.autoscaling.x-k8s.io',
          podSets: [{ podTemplateRef: { name: 'llm-capacity' }, count: 3 }],
        },
      },
    });
    await waitFor('ProvisioningRequest Provisioned', 60_000, async () => {
      const pr = (await custom.getNamespacedCustomObject({
        group: 'autoscaling.x-k8s.io',
        version: 'v1',
        plural: 'provisioningrequests',
        namespace: NS,
        name: 'llm-capacity',
      })) as { status?: { conditions?: { type: string; status: string }[] } };
      return (pr.status?.conditions ?? []).some(
        (c) => c.type === 'Provisioned' && c.status === 'True',
      );
    });
    const gpu = (await core.listNode()).items.filter(
      (n) => n.status?.allocatable?.['nvidia.com/gpu'] === '1',
    );
    expect(gpu).toHaveLength(3);
  }, 120_000);

  it('creates no pods for a Deployment applied to the hub', async () => {
    const { core, apps } = clients(kubeConfigFor(hub(fleet.state)));
    await ensureNamespace(core, NS);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('web', NS, 3, { cpu: '100m' }),
    });
    // Give a controller-manager every chance to act; the hub runs none that would.
    await new Promise((r) => setTimeout(r, 5000));
    expect((await apps.listNamespacedReplicaSet({ namespace: NS })).items).toHaveLength(0);
    expect((await core.listNamespacedPod({ namespace: NS })).items).toHaveLength(0);
    // The template itself is stored as written.
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(d.spec?.replicas).toBe(3);
  }, 30_000);

  it('treats a second fleet-up as a no-op and fleet-down as leaving no process behind', async () => {
    const again = await fleetUp({
      topologyPath: fleet.state.topologyPath,
      stateDir: fleet.state.stateDir,
    });
    expect(again.processes.map((p) => p.pid)).toEqual(fleet.state.processes.map((p) => p.pid));
    await fleetDown(fleet.state.stateDir);
    for (const p of fleet.state.processes) expect(processRunning(p)).toBe(false);
  }, 60_000);
});
