/**
 * Status tells the truth: member workload failures reach the binding and the hub template (and
 * replicas that cannot get a pod spill over), Duplicated cannot hide a failed cluster, Events on
 * first placement and scale to 0, policy conditions for problems the schema cannot see, policy
 * and template status kept current, and metric series that leave with their objects.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { REPO_ROOT, hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { clients, deployment } from '../support/kube.js';
import { kubectl } from '../support/spillway.js';

const fleet = useFleet('status', 'demo.yaml', { provisioner: false });
const controller = useFleetController(fleet, { leaderElection: false, healthPort: 0 });
const NS = 'apps';

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubKc = () => hub(fleet.state).kubeconfigPath;
const hubClients = () => clients(kubeConfigFor(hub(fleet.state)));
const custom = () => kubeConfigFor(hub(fleet.state)).makeApiClient(CustomObjectsApi);

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface WithConditions {
  status?: { conditions?: Cond[]; matchedTemplates?: number; readyReplicas?: number };
}

const condition = (o: WithConditions | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);

const binding = (name: string) =>
  custom()
    .getNamespacedCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'resourcebindings',
      namespace: NS,
      name: `${name}-deployment`,
    })
    .catch(() => undefined) as Promise<WithConditions | undefined>;

const policy = (name: string) =>
  custom()
    .getNamespacedCustomObject({
      group: 'policy.one.alibabacloud.com',
      version: 'v1alpha1',
      plural: 'propagationpolicies',
      namespace: NS,
      name,
    })
    .catch(() => undefined) as Promise<WithConditions | undefined>;

const template = (name: string): Promise<V1Deployment> =>
  hubClients().apps.readNamespacedDeployment({ name, namespace: NS });
const templateCondition = async (name: string, type: string) =>
  (await template(name)).status?.conditions?.find((c) => c.type === type);

const memberDeploy = (c: ReturnType<typeof idc>, name: string) =>
  clients(kubeConfigFor(c))
    .apps.readNamespacedDeployment({ name, namespace: NS })
    .catch(() => undefined);

const eventsOf = async (name: string) =>
  (
    await kubeConfigFor(hub(fleet.state))
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name}` })
  ).items;

async function metricsText(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${controller.healthPort ?? 0}/metrics`);
  return res.text();
}

function apply(yaml: string): void {
  kubectl(hubKc(), ['apply', '-f', '-'], yaml);
}

/** A policy: idc first, then the cloud; spill-over after `spillover` seconds (0: never). */
function tiered(name: string, selector: string, spillover: number): string {
  return `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: ${name}, namespace: ${NS} }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment, ${selector} }]
  failover: { application: { spilloverAfterSeconds: ${spillover} } }
  placement:
    clusterAffinities:
      - { affinityName: idc, clusterNames: [${idc().name}] }
      - { affinityName: cloud, clusterNames: [${bj().name}] }
    replicaScheduling: { replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated }
`;
}

function withPriorityClass(name: string, replicas: number, priorityClass: string): V1Deployment {
  const d = deployment(name, NS, replicas, { cpu: '100m' });
  if (d.spec?.template.spec) d.spec.template.spec.priorityClassName = priorityClass;
  return d;
}

const priorityClass = (name: string) => `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: ${name} }
value: 1000
`;

beforeAll(() => {
  kubectl(hubKc(), ['create', 'ns', NS]);
  // "spill-high" exists only in the cloud cluster, "idc-only" only on premises.
  kubectl(bj().kubeconfigPath, ['apply', '-f', '-'], priorityClass('spill-high'));
  kubectl(idc().kubeconfigPath, ['apply', '-f', '-'], priorityClass('idc-only'));
});

describe('status a user can act on', () => {
  it('summarises a member FailedCreate on the binding and the hub, then spills the podless replicas', async () => {
    apply(tiered('prio', 'name: prio', 0));
    await hubClients().apps.createNamespacedDeployment({
      namespace: NS,
      body: withPriorityClass('prio', 2, 'spill-high'),
    });
    await waitFor('binding Ready=False MemberWorkloadFailed', 60_000, async () => {
      return condition(await binding('prio'), 'Ready')?.reason === 'MemberWorkloadFailed';
    });
    const ready = condition(await binding('prio'), 'Ready');
    expect(ready?.status).toBe('False');
    expect(ready?.message).toContain(idc().name);
    expect(ready?.message).toMatch(/FailedCreate.*no PriorityClass with name spill-high/);
    expect(ready?.message).not.toContain('\n');

    await waitFor('hub ReplicaFailure', 30_000, async () => {
      return (await templateCondition('prio', 'ReplicaFailure'))?.status === 'True';
    });
    expect((await templateCondition('prio', 'ReplicaFailure'))?.message).toMatch(/spill-high/);
    // `kubectl describe` on the hub shows the failure, the placement and Spillway's Events.
    const described = kubectl(hubKc(), ['describe', 'deploy', 'prio', `-n${NS}`]);
    expect(described).toMatch(/ReplicaFailure\s+True\s+FailedCreate/);
    expect(described).toContain(`fleet.spillway.dev/placement: ${idc().name} (idc): 2`);
    expect(described).toMatch(/Scheduled/);
    expect(described).toMatch(/MemberWorkloadFailed/);
    // First placement has its Event.
    expect((await eventsOf('prio')).some((e) => e.reason === 'Scheduled')).toBe(true);

    // With spill-over on, replicas that cannot even get a pod move to the next group.
    apply(tiered('prio', 'name: prio', 5));
    await waitFor('replicas moved to the cloud and ready', 90_000, async () => {
      const d = await memberDeploy(bj(), 'prio');
      return d?.status?.readyReplicas === 2;
    });
    await waitFor('hub healed', 60_000, async () => {
      const t = await template('prio');
      return (
        t.status?.readyReplicas === 2 &&
        !(t.status.conditions ?? []).some((c) => c.type === 'ReplicaFailure')
      );
    });
    expect(condition(await binding('prio'), 'Ready')?.reason).toBe('AllReplicasReady');
    // kubectl get answers "is it working, where are my replicas" without -o yaml.
    const rb = kubectl(hubKc(), ['get', 'rb', 'prio-deployment', `-n${NS}`]).split('\n');
    expect(rb[0]).toMatch(/^NAME\s+REPLICAS\s+READY\s+WAITING\s+PLACEMENT\s+STATUS\s+AGE$/);
    expect(rb[1]).toContain(`${bj().name}: 2`);
    expect(rb[1]).toContain('AllReplicasReady');
    const mc = kubectl(hubKc(), ['get', 'membercluster', idc().name]).split('\n');
    expect(mc[0]).toMatch(/^NAME\s+ALIAS\s+READY\s+REASON\s+VERSION\s+NODES/);
    expect(mc[1]).toMatch(/True\s+ClusterReady/);
  }, 240_000);

  it('Duplicated: a cluster at 0/2 shows on the hub, not hidden by the healthy one', async () => {
    apply(`apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: dup, namespace: ${NS} }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment, name: dup }]
  placement:
    clusterAffinity: { clusterNames: [${idc().name}, ${bj().name}] }
    replicaScheduling: { replicaSchedulingType: Duplicated }
`);
    await hubClients().apps.createNamespacedDeployment({
      namespace: NS,
      body: withPriorityClass('dup', 2, 'idc-only'),
    });
    await waitFor('idc copy ready', 60_000, async () => {
      return (await memberDeploy(idc(), 'dup'))?.status?.readyReplicas === 2;
    });
    await waitFor('binding names the failed cluster', 60_000, async () => {
      return condition(await binding('dup'), 'Ready')?.message.includes(bj().name) ?? false;
    });
    const t = await template('dup');
    expect(t.status?.readyReplicas ?? 0).toBe(0);
    expect(condition(await binding('dup'), 'Ready')?.status).toBe('False');
  }, 120_000);

  it('gives scale to 0 a Scheduled message and Event', async () => {
    kubectl(hubKc(), ['scale', 'deploy', 'prio', `-n${NS}`, '--replicas=0']);
    await waitFor('scaled to 0', 60_000, async () => {
      return condition(await binding('prio'), 'Scheduled')?.message.startsWith('scaled to 0')
        ? true
        : false;
    });
    const events = await eventsOf('prio');
    expect(
      events.some((e) => e.reason === 'Scheduled' && (e.message ?? '').startsWith('scaled to 0')),
    ).toBe(true);
  }, 90_000);

  it('keeps policy matchedTemplates current as templates come, change and go', async () => {
    apply(tiered('late', 'labelSelector: { matchLabels: { tier: late } }', 0));
    await waitFor('policy status written', 30_000, async () => {
      return (await policy('late'))?.status?.matchedTemplates === 0;
    });
    const d = deployment('late', NS, 1, { cpu: '100m' });
    d.metadata = { ...d.metadata, labels: { tier: 'late' } };
    await hubClients().apps.createNamespacedDeployment({ namespace: NS, body: d });
    await waitFor('matched 1', 30_000, async () => {
      return (await policy('late'))?.status?.matchedTemplates === 1;
    });
    kubectl(hubKc(), ['label', 'deploy', 'late', `-n${NS}`, 'tier=other', '--overwrite']);
    await waitFor('matched 0 again', 30_000, async () => {
      return (await policy('late'))?.status?.matchedTemplates === 0;
    });
  }, 90_000);

  it('reports policy problems the schema cannot see, and a tie', async () => {
    apply(`apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: messy, namespace: ${NS} }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment, namespace: elsewhere, name: x }]
  placement:
    clusterAffinities:
      - { affinityName: first, clusterNames: [${idc().name}, no-such-cluster] }
      - { affinityName: second, clusterNames: [${idc().name}, ${bj().name}] }
`);
    await waitFor('messy conditions', 30_000, async () => {
      return condition(await policy('messy'), 'ClustersResolved')?.status === 'False';
    });
    const messy = await policy('messy');
    expect(condition(messy, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'SelectorNamespaceMismatch',
    });
    expect(condition(messy, 'Accepted')?.message).toContain('elsewhere');
    const resolved = condition(messy, 'ClustersResolved');
    expect(resolved?.reason).toBe('UnknownClusters');
    expect(resolved?.message).toContain('no-such-cluster');
    expect(resolved?.message).toContain(`${idc().name} is in groups first, second`);
    expect(condition(messy, 'Ready')?.status).toBe('False');
    expect(kubectl(hubKc(), ['get', 'pp', 'messy', `-n${NS}`])).toMatch(
      /MATCHED\s+READY\s+REASON[\s\S]*False\s+SelectorNamespaceMismatch/,
    );

    // Two policies of equal rank claim "tied": both say so, and so does the template.
    for (const name of ['tie-a', 'tie-b']) apply(tiered(name, 'name: tied', 0));
    await hubClients().apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('tied', NS, 1, { cpu: '100m' }),
    });
    await waitFor('tie on both policies', 30_000, async () => {
      const a = condition(await policy('tie-a'), 'Conflict');
      const b = condition(await policy('tie-b'), 'Conflict');
      return a?.reason === 'PolicyTie' && b?.reason === 'PolicyTie';
    });
    expect(condition(await policy('tie-b'), 'Conflict')?.message).toContain(
      `PropagationPolicy ${NS}/tie-a`,
    );
    await waitFor('tie Event on the template', 30_000, async () =>
      (await eventsOf('tied')).some((e) => e.reason === 'PolicyTie' && e.type === 'Warning'),
    );

    // A binding whose only cluster is unknown names it.
    apply(`apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: ghost, namespace: ${NS} }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment, name: ghost }]
  placement:
    clusterAffinity: { clusterNames: [ghost-cluster] }
    replicaScheduling: { replicaSchedulingType: Divided }
`);
    await hubClients().apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('ghost', NS, 1, { cpu: '100m' }),
    });
    await waitFor('ghost binding', 30_000, async () => {
      return condition(await binding('ghost'), 'Scheduled')?.reason === 'NoCluster';
    });
    expect(condition(await binding('ghost'), 'Scheduled')?.message).toContain('ghost-cluster');
  }, 120_000);

  it('clears the hub status and the metric series when no policy claims the template any more', async () => {
    await waitFor('dup series exported', 30_000, async () =>
      (await metricsText()).includes('workload="deployment/dup"'),
    );
    kubectl(hubKc(), ['delete', 'propagationpolicy', 'dup', `-n${NS}`]);
    await waitFor('hub status cleared', 60_000, async () => {
      const t = await template('dup');
      return t.status?.readyReplicas === undefined && (t.status?.conditions ?? []).length === 0;
    });
    expect((await template('dup')).status?.replicas).toBeUndefined();
    expect(await metricsText()).not.toContain('workload="deployment/dup"');
  }, 90_000);

  it('installs kubectl-amc on the PATH with make install-plugin; -A prints NAMESPACE', () => {
    const prefix = join(fleet.state.stateDir, 'plugin');
    execFileSync('make', ['install-plugin', `PREFIX=${prefix}`], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
    const env = {
      ...process.env,
      PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`,
      KUBECONFIG: hubKc(),
    };
    expect(execFileSync('kubectl', ['plugin', 'list'], { env, encoding: 'utf8' })).toContain(
      'kubectl-amc',
    );
    const out = execFileSync('kubectl', ['amc', 'get', 'pod', '-M', '-A'], {
      env,
      encoding: 'utf8',
    }).split('\n');
    expect(out[0]).toMatch(/^NAMESPACE\s+NAME\s+CLUSTER\s+CLUSTER_ALIAS/);
    // "tied" runs in cluster-idc-demo at this point.
    expect(out.some((l) => l.startsWith(`${NS} `) && l.includes('cluster-idc-demo'))).toBe(true);
  }, 240_000);

  it('drops a deleted MemberCluster from the metrics at once', async () => {
    const series = `spillway_member_cluster_ready{cluster="${bj().name}"}`;
    await waitFor('member series exported', 30_000, async () =>
      (await metricsText()).includes(series),
    );
    await custom().deleteClusterCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'memberclusters',
      name: bj().name,
    });
    await waitFor(
      'member series gone',
      10_000,
      async () => !(await metricsText()).includes(series),
    );
    expect(await metricsText()).toContain(`spillway_member_cluster_ready{cluster="${idc().name}"}`);
  }, 60_000);
});
