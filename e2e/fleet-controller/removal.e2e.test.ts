/**
 * Removal, whatever the order the hub deletes things in: a hub namespace deleted with its
 * templates and bindings, a binding deleted by hand, a template that stops matching its policy,
 * a member that was never reachable, and a member removed from the fleet. Nothing is orphaned
 * in a member, no reconcile gets stuck, and no replica is sent where nobody can run it.
 */
import { describe, expect, it } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { clients, deployment } from '../support/kube.js';
import { SYSTEM_NAMESPACE, kubectl, memberClusterGone, tieredPolicy } from '../support/spillway.js';

const fleet = useFleet('removal', 'demo.yaml', { provisioner: false });
useFleetController(fleet, { leaderElection: false });

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubKc = () => hub(fleet.state).kubeconfigPath;
const hubConfig = (): KubeConfig => kubeConfigFor(hub(fleet.state));
const hubApps = () => clients(hubConfig()).apps;
const MANAGED = 'app.kubernetes.io/managed-by=spillway';

const memberDeploy = (c: ReturnType<typeof idc>, ns: string, name: string) =>
  clients(kubeConfigFor(c))
    .apps.readNamespacedDeployment({ name, namespace: ns })
    .catch(() => undefined);

interface Binding {
  metadata: { uid: string; finalizers?: string[] };
  spec: { clusters?: { name: string; replicas?: number; waitingForCapacity?: number }[] };
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
}
const readBinding = (ns: string, name: string) =>
  hubConfig()
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'resourcebindings',
      namespace: ns,
      name,
    })
    .catch(() => undefined) as Promise<Binding | undefined>;
const placed = (b: Binding | undefined) =>
  Object.fromEntries((b?.spec.clusters ?? []).map((c) => [c.name, c.replicas ?? 0]));
const condition = (b: Binding | undefined, type: string) =>
  b?.status?.conditions?.find((c) => c.type === type);

async function events(ns: string, name: string): Promise<{ reason?: string; type?: string }[]> {
  return (
    await hubConfig()
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })
  ).items;
}

/** Every object of ours in a member namespace, by kind/name. */
async function ours(c: ReturnType<typeof idc>, ns: string): Promise<string[]> {
  const { core, apps } = clients(kubeConfigFor(c));
  const [d, s, cm] = await Promise.all([
    apps.listNamespacedDeployment({ namespace: ns, labelSelector: MANAGED }),
    core.listNamespacedService({ namespace: ns, labelSelector: MANAGED }),
    core.listNamespacedConfigMap({ namespace: ns, labelSelector: MANAGED }),
  ]);
  return [
    ...d.items.map((o) => `Deployment/${o.metadata?.name}`),
    ...s.items.map((o) => `Service/${o.metadata?.name}`),
    ...cm.items.map((o) => `ConfigMap/${o.metadata?.name}`),
  ];
}

function tiers(name: string, ns: string, app: string, more: { tolerationSeconds?: number } = {}) {
  return tieredPolicy({
    name,
    namespace: ns,
    groups: [
      ['idc', [idc().name]],
      ['cloud', [bj().name]],
    ],
    selector: { kind: 'Deployment', name: app },
    ...more,
  });
}

describe('removal in any order', () => {
  it('never gives replicas to a member that has never been reachable, and lets it go at once', async () => {
    const core = hubConfig().makeApiClient(CoreV1Api);
    // A kubeconfig whose API server does not exist (port 1 on loopback refuses at once).
    const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: ghost, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: ghost, user: {token: none}}]
contexts: [{name: ghost, context: {cluster: ghost, user: ghost}}]
current-context: ghost
`;
    await core.createNamespacedSecret({
      namespace: SYSTEM_NAMESPACE,
      body: { metadata: { name: 'member-ghost' }, stringData: { kubeconfig } },
    });
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      `apiVersion: fleet.spillway.dev/v1alpha1
kind: MemberCluster
metadata: { name: ghost }
spec:
  kubeconfigSecretRef: { namespace: ${SYSTEM_NAMESPACE}, name: member-ghost }
`,
    );
    kubectl(hubKc(), ['create', 'ns', 'ghosts']);
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      tieredPolicy({
        name: 'ghost-first',
        namespace: 'ghosts',
        groups: [
          ['ghost', ['ghost']],
          ['idc', [idc().name]],
        ],
        selector: { kind: 'Deployment', name: 'web' },
      }),
    );
    await hubApps().createNamespacedDeployment({
      namespace: 'ghosts',
      body: deployment('web', 'ghosts', 2, { cpu: '100m' }),
    });
    await waitFor('web placed in idc', 60_000, async () => {
      const b = await readBinding('ghosts', 'web-deployment');
      return placed(b)[idc().name] === 2;
    });
    await waitFor(
      'Scheduled condition',
      30_000,
      async () =>
        condition(await readBinding('ghosts', 'web-deployment'), 'Scheduled') !== undefined,
    );
    const b = await readBinding('ghosts', 'web-deployment');
    expect(placed(b)).toEqual({ [idc().name]: 2 });
    expect(condition(b, 'Scheduled')?.status).toBe('True');

    kubectl(hubKc(), ['delete', 'membercluster', 'ghost', '--wait=false']);
    await waitFor('ghost MemberCluster gone', 30_000, async () =>
      memberClusterGone(hubConfig(), 'ghost'),
    );
    kubectl(hubKc(), ['delete', 'ns', 'ghosts', '--wait=false']);
  }, 150_000);

  it('keeps the copies and their placement when a binding is deleted by hand', async () => {
    kubectl(hubKc(), ['create', 'ns', 'byhand']);
    kubectl(hubKc(), ['apply', '-f', '-'], tiers('web', 'byhand', 'web'));
    await hubApps().createNamespacedDeployment({
      namespace: 'byhand',
      body: deployment('web', 'byhand', 2, { cpu: '100m' }),
    });
    await waitFor(
      'copy in idc',
      60_000,
      async () => (await memberDeploy(idc(), 'byhand', 'web'))?.spec?.replicas === 2,
    );
    const before = await readBinding('byhand', 'web-deployment');
    const copyUid = (await memberDeploy(idc(), 'byhand', 'web'))?.metadata?.uid;
    expect(before?.metadata.finalizers).toContain('fleet.spillway.dev/member-copies');

    kubectl(hubKc(), ['delete', 'resourcebinding', 'web-deployment', '-nbyhand', '--wait=false']);
    await waitFor('a new binding', 30_000, async () => {
      const b = await readBinding('byhand', 'web-deployment');
      return b !== undefined && b.metadata.uid !== before?.metadata.uid;
    });
    expect(placed(await readBinding('byhand', 'web-deployment'))).toEqual({ [idc().name]: 2 });
    const copy = await memberDeploy(idc(), 'byhand', 'web');
    expect(copy?.metadata?.uid).toBe(copyUid);
    expect(copy?.spec?.replicas).toBe(2);
  }, 120_000);

  it('keeps the copies of a template that stops matching its policy, and removes them with the policy', async () => {
    kubectl(hubKc(), ['create', 'ns', 'relabel']);
    const policy = tiers('by-label', 'relabel', 'unused').replace(
      '    name: unused',
      '    labelSelector:\n      matchLabels: { tier: web }',
    );
    expect(policy).toContain('tier: web');
    kubectl(hubKc(), ['apply', '-f', '-'], policy);
    const d = deployment('front', 'relabel', 2, { cpu: '100m' });
    d.metadata = { ...d.metadata, labels: { tier: 'web' } };
    await hubApps().createNamespacedDeployment({ namespace: 'relabel', body: d });
    await waitFor(
      'copy in idc',
      60_000,
      async () => (await memberDeploy(idc(), 'relabel', 'front'))?.spec?.replicas === 2,
    );
    const copyUid = (await memberDeploy(idc(), 'relabel', 'front'))?.metadata?.uid;

    kubectl(hubKc(), ['label', 'deploy', 'front', '-nrelabel', 'tier-']);
    await waitFor('Unclaimed condition', 30_000, async () => {
      const c = condition(await readBinding('relabel', 'front-deployment'), 'Scheduled');
      return c?.reason === 'Unclaimed' && c.status === 'False';
    });
    expect(
      condition(await readBinding('relabel', 'front-deployment'), 'Scheduled')?.message,
    ).toMatch(/copies stay as they are/);
    expect((await events('relabel', 'front')).some((e) => e.reason === 'Unclaimed')).toBe(true);
    // A one-label edit is not an outage: the copy is the same object, still at 2.
    const kept = await memberDeploy(idc(), 'relabel', 'front');
    expect(kept?.metadata?.uid).toBe(copyUid);
    expect(kept?.spec?.replicas).toBe(2);

    kubectl(hubKc(), ['label', 'deploy', 'front', '-nrelabel', 'tier=web']);
    await waitFor('claimed again', 30_000, async () => {
      const c = condition(await readBinding('relabel', 'front-deployment'), 'Scheduled');
      return c?.status === 'True';
    });
    kubectl(hubKc(), ['label', 'deploy', 'front', '-nrelabel', 'tier-']);
    await waitFor('Unclaimed again', 30_000, async () => {
      const c = condition(await readBinding('relabel', 'front-deployment'), 'Scheduled');
      return c?.reason === 'Unclaimed';
    });
    kubectl(hubKc(), ['delete', 'propagationpolicy', 'by-label', '-nrelabel', '--wait=false']);
    await waitFor(
      'copy removed with its policy',
      30_000,
      async () => (await memberDeploy(idc(), 'relabel', 'front')) === undefined,
    );
    await waitFor(
      'binding released',
      30_000,
      async () => (await readBinding('relabel', 'front-deployment')) === undefined,
    );
  }, 180_000);

  it('works with names as long as Kubernetes allows, up to asking for nodes', async () => {
    const NS = 'long';
    // A Deployment name leaves room for its ReplicaSet's suffix in the member; a ConfigMap name
    // may take all 253 characters, so its binding name must be cut and hashed.
    const app = `a${'-b'.repeat(99)}`; // 199 characters
    const settings = `c${'.d'.repeat(126)}`; // 253 characters
    kubectl(hubKc(), ['create', 'ns', NS]);
    const policy = tieredPolicy({
      name: 'long',
      namespace: NS,
      groups: [
        ['idc', [idc().name]],
        ['cloud', [bj().name]],
      ],
      selector: { kind: 'Deployment' },
      ecsProvision: true,
    }).replace(
      '  - apiVersion: apps/v1\n    kind: Deployment',
      `  - apiVersion: apps/v1\n    kind: Deployment\n  - apiVersion: v1\n    kind: ConfigMap\n    name: ${settings}`,
    );
    expect(policy).toContain(settings);
    kubectl(hubKc(), ['apply', '-f', '-'], policy);
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${settings}, namespace: ${NS} }\ndata: { a: b }\n`,
    );
    // 10 replicas of 6 CPUs: 6 fit in idc, 2 in the cloud, 2 wait there for nodes.
    const long = deployment(app, NS, 10, { cpu: '6' });
    if (long.spec) {
      // Label values stop at 63 characters: the workload's own label is short.
      long.spec.selector = { matchLabels: { app: 'long' } };
      long.spec.template.metadata = { labels: { app: 'long' } };
    }
    await hubApps().createNamespacedDeployment({ namespace: NS, body: long });
    const custom = kubeConfigFor(bj()).makeApiClient(CustomObjectsApi);
    type Request = { metadata: { name: string }; spec: { podSets: { count: number }[] } };
    let requests: Request[] = [];
    await waitFor('a ProvisioningRequest for the 2 waiting replicas', 90_000, async () => {
      requests = (
        (await custom.listNamespacedCustomObject({
          group: 'autoscaling.x-k8s.io',
          version: 'v1',
          plural: 'provisioningrequests',
          namespace: NS,
        })) as { items: Request[] }
      ).items;
      return requests.length === 1;
    });
    expect(requests[0]?.spec.podSets.map((p) => p.count)).toEqual([2]);
    const name = requests[0]?.metadata.name ?? '';
    expect(name.length).toBeLessThanOrEqual(253);
    await clients(kubeConfigFor(bj())).core.readNamespacedPodTemplate({ name, namespace: NS });
    const b = await readBinding(NS, `${app}-deployment`);
    expect(b?.spec.clusters).toEqual([
      expect.objectContaining({ name: idc().name, replicas: 6 }),
      expect.objectContaining({ name: bj().name, replicas: 4, waitingForCapacity: 2 }),
    ]);
    // The 253-character ConfigMap has a binding (its name cut and hashed) and its copy in the
    // selected group (Duplicated: the first group with a usable cluster).
    await waitFor('the long ConfigMap in idc', 60_000, async () =>
      clients(kubeConfigFor(idc()))
        .core.readNamespacedConfigMap({ name: settings, namespace: NS })
        .then(() => true)
        .catch(() => false),
    );
    const bindings = (
      (await hubConfig().makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
        group: 'fleet.spillway.dev',
        version: 'v1alpha1',
        plural: 'resourcebindings',
        namespace: NS,
      })) as { items: { metadata: { name: string } }[] }
    ).items.map((i) => i.metadata.name);
    const cmBinding = bindings.find((n) => n.endsWith('-configmap')) ?? '';
    expect(cmBinding.length).toBeLessThanOrEqual(253);
    expect(cmBinding).toMatch(/-[0-9a-f]{8}-configmap$/);
    expect(cmBinding.startsWith('c.d.d')).toBe(true);

    kubectl(hubKc(), ['delete', 'ns', NS, '--wait=false']);
    await waitFor('the request goes with the workload', 90_000, async () => {
      const left = (await custom.listNamespacedCustomObject({
        group: 'autoscaling.x-k8s.io',
        version: 'v1',
        plural: 'provisioningrequests',
        namespace: NS,
      })) as { items: unknown[] };
      return left.items.length === 0 && (await ours(bj(), NS)).length === 0;
    });
  }, 240_000);

  it('removes every copy in every member when a whole hub namespace is deleted', async () => {
    const NS = 'doomed';
    kubectl(hubKc(), ['create', 'ns', NS]);
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: everything, namespace: ${NS} }
spec:
  resourceSelectors:
  - { apiVersion: apps/v1, kind: Deployment }
  - { apiVersion: v1, kind: Service }
  - { apiVersion: v1, kind: ConfigMap, name: settings }
  placement:
    clusterAffinities:
    - { affinityName: idc, clusterNames: [${idc().name}] }
    - { affinityName: cloud, clusterNames: [${bj().name}] }
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: { dynamicWeight: AvailableReplicas }
`,
    );
    // 8 replicas of 6 CPUs: idc (three 16-CPU nodes) runs 6, the other 2 spill to the cloud.
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: deployment('a', NS, 8, { cpu: '6' }),
    });
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: deployment('b', NS, 1, { cpu: '100m' }),
    });
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NS} }
spec: { ports: [{ port: 80 }], selector: { app: a } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: ${NS} }
data: { mode: fast }
`,
    );
    await waitFor('copies in both members', 90_000, async () => {
      const [i, c] = await Promise.all([ours(idc(), NS), ours(bj(), NS)]);
      return (
        i.includes('Deployment/a') &&
        i.includes('Deployment/b') &&
        i.includes('Service/web') &&
        i.includes('ConfigMap/settings') &&
        c.includes('Deployment/a')
      );
    });

    kubectl(hubKc(), ['delete', 'ns', NS, '--wait=false']);
    await waitFor('hub namespace gone', 120_000, async () =>
      hubConfig()
        .makeApiClient(CoreV1Api)
        .readNamespace({ name: NS })
        .then(() => false)
        .catch(() => true),
    );
    expect(await ours(idc(), NS)).toEqual([]);
    expect(await ours(bj(), NS)).toEqual([]);
  }, 240_000);

  it('reschedules at once and cleans up a member that is removed from the fleet', async () => {
    const NS = 'leaving';
    kubectl(hubKc(), ['create', 'ns', NS]);
    kubectl(hubKc(), ['apply', '-f', '-'], tiers('big', NS, 'big'));
    // 8 replicas of 6 CPUs: 6 in idc, 2 in the cloud.
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: deployment('big', NS, 8, { cpu: '6' }),
    });
    await waitFor('spilled to the cloud', 90_000, async () => {
      const b = await readBinding(NS, 'big-deployment');
      return placed(b)[idc().name] === 6 && placed(b)[bj().name] === 2;
    });
    await waitFor(
      'cloud copy exists',
      30_000,
      async () => (await memberDeploy(bj(), NS, 'big'))?.spec?.replicas === 2,
    );

    kubectl(hubKc(), ['delete', 'membercluster', bj().name, '--wait=false']);
    await waitFor('replicas rescheduled off the removed member', 30_000, async () => {
      const b = await readBinding(NS, 'big-deployment');
      return placed(b)[bj().name] === undefined && placed(b)[idc().name] === 8;
    });
    await waitFor(
      'copy removed from the leaving member',
      30_000,
      async () => (await memberDeploy(bj(), NS, 'big')) === undefined,
    );
    await waitFor('MemberCluster gone', 60_000, async () =>
      memberClusterGone(hubConfig(), bj().name),
    );
    const b = await readBinding(NS, 'big-deployment');
    // idc has room for 6: the 2 that came back wait there for capacity, they are not lost.
    expect(b?.spec.clusters).toEqual([
      expect.objectContaining({ name: idc().name, replicas: 8, waitingForCapacity: 2 }),
    ]);
    expect(condition(b, 'Scheduled')?.status).toBe('True');
    const warnings = (await events(NS, 'big')).filter((e) => e.type === 'Warning');
    expect(warnings.map((e) => e.reason)).not.toContain('ScheduleFailed');
  }, 240_000);
});
