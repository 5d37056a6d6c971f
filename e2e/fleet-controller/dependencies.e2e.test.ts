/**
 * propagateDeps: the ConfigMaps and Secrets a Deployment's pod template references follow it
 * to exactly the members that hold its replicas, leave a member with its last replica (unless
 * another workload there still uses them), carry hub edits, are reported when missing on the
 * hub, never overwrite a member object Spillway did not create, and go with the workload.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { clients, deployment, ensureNamespace } from '../support/kube.js';
import { kubectl, readBinding, tieredPolicy } from '../support/spillway.js';

const fleet = useFleet('dependencies', 'demo.yaml', { provisioner: false });
const NS = 'deps';
const MANAGED = 'app.kubernetes.io/managed-by';
const REQUIRED_BY = 'requiredby.fleet.spillway.dev/';

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubKc = () => hub(fleet.state).kubeconfigPath;
const hubCore = () => clients(kubeConfigFor(hub(fleet.state))).core;
const hubApps = () => clients(kubeConfigFor(hub(fleet.state))).apps;
type Member = ReturnType<typeof idc>;

const memberDeploy = (c: Member, name: string) =>
  clients(kubeConfigFor(c))
    .apps.readNamespacedDeployment({ name, namespace: NS })
    .catch(() => undefined);
const memberConfigMap = (c: Member, name: string) =>
  clients(kubeConfigFor(c))
    .core.readNamespacedConfigMap({ name, namespace: NS })
    .catch(() => undefined);
const memberSecret = (c: Member, name: string) =>
  clients(kubeConfigFor(c))
    .core.readNamespacedSecret({ name, namespace: NS })
    .catch(() => undefined);
const requiredBy = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .filter(([k]) => k.startsWith(REQUIRED_BY))
    .map(([, v]) => v)
    .sort();

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
const bindingConditions = async (name: string): Promise<Condition[]> => {
  const b = await readBinding<{ status?: { conditions?: Condition[] } }>(
    kubeConfigFor(hub(fleet.state)),
    NS,
    `${name}-deployment`,
  ).catch(() => undefined);
  return b?.status?.conditions ?? [];
};

/** A policy with propagateDeps over the given groups, for one Deployment. */
function policy(app: string, groups: [string, string[]][]): string {
  const yaml = tieredPolicy({
    name: app,
    namespace: NS,
    groups,
    selector: { kind: 'Deployment', name: app },
  }).replace(
    '  preserveResourcesOnDeletion: false\n',
    '  preserveResourcesOnDeletion: false\n  propagateDeps: true\n',
  );
  expect(yaml).toContain('propagateDeps: true');
  return yaml;
}

/** A Deployment whose containers read `configMap` through envFrom and mount `secret`, if given. */
function workload(
  name: string,
  replicas: number,
  cpu: string,
  refs: { configMap?: string; secret?: string },
): V1Deployment {
  const d = deployment(name, NS, replicas, { cpu });
  const pod = d.spec?.template.spec;
  const container = pod?.containers[0];
  if (!pod || !container) throw new Error('deployment() has no pod template');
  if (refs.configMap) container.envFrom = [{ configMapRef: { name: refs.configMap } }];
  if (refs.secret) {
    pod.volumes = [{ name: 'creds', secret: { secretName: refs.secret } }];
    container.volumeMounts = [{ name: 'creds', mountPath: '/creds' }];
  }
  return d;
}

useFleetController(fleet, { leaderElection: false });
beforeAll(async () => {
  kubectl(hubKc(), ['create', 'ns', NS]);
  await hubCore().createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name: 'app-config' }, data: { GREETING: 'hello' } },
  });
  await hubCore().createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'app-secret' }, stringData: { token: 's3cret' } },
  });
});

describe('propagateDeps: dependencies follow the workload', () => {
  it('copies the ConfigMap and Secret to both groups when the Deployment spills', async () => {
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      policy('web', [
        ['idc', [idc().name]],
        ['cloud', [bj().name]],
      ]),
    );
    // 6 CPUs a replica: the IDC group takes 6 (two on each 16-CPU node), the cloud 2.
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: workload('web', 8, '6', { configMap: 'app-config', secret: 'app-secret' }),
    });
    await waitFor('web spilled 6 + 2', 90_000, async () => {
      const [a, b] = await Promise.all([memberDeploy(idc(), 'web'), memberDeploy(bj(), 'web')]);
      return a?.spec?.replicas === 6 && b?.spec?.replicas === 2;
    });
    for (const c of [idc(), bj()]) {
      await waitFor(`dependencies in ${c.alias}`, 30_000, async () => {
        const [cm, secret] = await Promise.all([
          memberConfigMap(c, 'app-config'),
          memberSecret(c, 'app-secret'),
        ]);
        return cm !== undefined && secret !== undefined;
      });
      const cm = await memberConfigMap(c, 'app-config');
      expect(cm?.data).toEqual({ GREETING: 'hello' });
      expect(cm?.metadata?.labels?.[MANAGED]).toBe('spillway');
      expect(requiredBy(cm?.metadata?.labels)).toEqual(['web-deployment']);
      const secret = await memberSecret(c, 'app-secret');
      expect(Buffer.from(secret?.data?.token ?? '', 'base64').toString()).toBe('s3cret');
    }
    await waitFor('DependenciesApplied=True', 30_000, async () =>
      (await bindingConditions('web')).some(
        (c) => c.type === 'DependenciesApplied' && c.status === 'True',
      ),
    );
  }, 180_000);

  it('withdraws them from a member that loses its last replica, unless another workload there uses them', async () => {
    // A second workload in the cloud group only, sharing the ConfigMap.
    kubectl(hubKc(), ['apply', '-f', '-'], policy('batch', [['cloud', [bj().name]]]));
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: workload('batch', 1, '100m', { configMap: 'app-config' }),
    });
    await waitFor('batch labels the shared ConfigMap in the cloud', 60_000, async () => {
      const cm = await memberConfigMap(bj(), 'app-config');
      return requiredBy(cm?.metadata?.labels).join() === 'batch-deployment,web-deployment';
    });

    kubectl(hubKc(), ['scale', 'deploy', 'web', `-n${NS}`, '--replicas=4']);
    await waitFor('web left the cloud', 60_000, async () => {
      const [a, b] = await Promise.all([memberDeploy(idc(), 'web'), memberDeploy(bj(), 'web')]);
      return a?.spec?.replicas === 4 && b === undefined;
    });
    await waitFor(
      'Secret withdrawn from the cloud',
      30_000,
      async () => (await memberSecret(bj(), 'app-secret')) === undefined,
    );
    await waitFor('only batch still needs the ConfigMap in the cloud', 30_000, async () => {
      const cm = await memberConfigMap(bj(), 'app-config');
      return requiredBy(cm?.metadata?.labels).join() === 'batch-deployment';
    });
    // The IDC group keeps both: web still runs there.
    expect(await memberSecret(idc(), 'app-secret')).toBeDefined();
    expect(requiredBy((await memberConfigMap(idc(), 'app-config'))?.metadata?.labels)).toEqual([
      'web-deployment',
    ]);
  }, 180_000);

  it('carries an edit of the hub ConfigMap to every copy', async () => {
    kubectl(hubKc(), [
      'patch',
      'configmap',
      'app-config',
      `-n${NS}`,
      '--type=merge',
      '-p',
      '{"data":{"GREETING":"bonjour"}}',
    ]);
    for (const c of [idc(), bj()])
      await waitFor(
        `edit reached ${c.alias}`,
        30_000,
        async () => (await memberConfigMap(c, 'app-config'))?.data?.GREETING === 'bonjour',
      );
  }, 90_000);

  it('withdraws them when propagateDeps is turned off, and leaves the workload in place', async () => {
    kubectl(hubKc(), [
      'patch',
      'propagationpolicy',
      'batch',
      `-n${NS}`,
      '--type=merge',
      '-p',
      '{"spec":{"propagateDeps":false}}',
    ]);
    // web left the cloud already: batch was the last binding needing the ConfigMap there.
    await waitFor(
      'ConfigMap withdrawn from the cloud',
      30_000,
      async () => (await memberConfigMap(bj(), 'app-config')) === undefined,
    );
    await waitFor('no DependenciesApplied condition without propagateDeps', 30_000, async () =>
      (await bindingConditions('batch')).every((c) => c.type !== 'DependenciesApplied'),
    );
    expect((await memberDeploy(bj(), 'batch'))?.spec?.replicas).toBe(1);
    // web still uses it in the IDC group.
    expect(requiredBy((await memberConfigMap(idc(), 'app-config'))?.metadata?.labels)).toEqual([
      'web-deployment',
    ]);
  }, 90_000);

  it('reports a dependency missing on the hub, and never overwrites a member object Spillway did not create', async () => {
    // The IDC member has its own ConfigMap "local-only", made by hand.
    const idcCore = clients(kubeConfigFor(idc())).core;
    await ensureNamespace(idcCore, NS);
    await idcCore.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'local-only' }, data: { mine: 'yes' } },
    });
    kubectl(hubKc(), ['apply', '-f', '-'], policy('lonely', [['idc', [idc().name]]]));
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: workload('lonely', 1, '100m', { configMap: 'local-only' }),
    });
    await waitFor('DependencyMissing reported', 60_000, async () =>
      (await bindingConditions('lonely')).some(
        (c) =>
          c.type === 'DependenciesApplied' &&
          c.status === 'False' &&
          c.reason === 'DependencyMissing' &&
          c.message.includes('not on the hub: ConfigMap local-only'),
      ),
    );
    const events = await hubCore().listNamespacedEvent({
      namespace: NS,
      fieldSelector: 'involvedObject.name=lonely',
    });
    expect(events.items.some((e) => e.reason === 'DependencyMissing' && e.type === 'Warning')).toBe(
      true,
    );
    // The workload itself is still propagated.
    expect((await memberDeploy(idc(), 'lonely'))?.spec?.replicas).toBe(1);

    // Now the hub has one too: the member's own object is reported, not overwritten.
    await hubCore().createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'local-only' }, data: { mine: 'hub' } },
    });
    await waitFor('conflict reported', 30_000, async () =>
      (await bindingConditions('lonely')).some(
        (c) =>
          c.type === 'DependenciesApplied' &&
          c.status === 'False' &&
          c.message.includes(
            `${idc().name}: a ConfigMap ${NS}/local-only that Spillway did not create exists`,
          ),
      ),
    );
    const untouched = await memberConfigMap(idc(), 'local-only');
    expect(untouched?.data).toEqual({ mine: 'yes' });
    expect(untouched?.metadata?.labels?.[MANAGED]).toBeUndefined();
    await waitFor('DependenciesNotApplied Event', 30_000, async () =>
      (
        await hubCore().listNamespacedEvent({
          namespace: NS,
          fieldSelector: 'involvedObject.name=lonely',
        })
      ).items.some((e) => e.reason === 'DependenciesNotApplied' && e.type === 'Warning'),
    );
  }, 150_000);

  it('shares a ConfigMap that a policy also selects itself: its own placement leaving a member keeps it there while a workload needs it', async () => {
    await hubCore().createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'shared-cfg' }, data: { LEVEL: '1' } },
    });
    const ownPolicy = (cluster: string) => `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: shared-cfg, namespace: ${NS} }
spec:
  resourceSelectors: [{ apiVersion: v1, kind: ConfigMap, name: shared-cfg }]
  placement: { clusterAffinity: { clusterNames: [${cluster}] } }
`;
    kubectl(hubKc(), ['apply', '-f', '-'], ownPolicy(idc().name));
    kubectl(hubKc(), ['apply', '-f', '-'], policy('reader', [['idc', [idc().name]]]));
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: workload('reader', 1, '100m', { configMap: 'shared-cfg' }),
    });
    await waitFor(
      'shared-cfg in the IDC group, both as a copy and as a dependency',
      60_000,
      async () => {
        const cm = await memberConfigMap(idc(), 'shared-cfg');
        return (
          cm?.metadata?.annotations?.['fleet.spillway.dev/binding'] ===
            `${NS}/shared-cfg-configmap` &&
          requiredBy(cm.metadata.labels).join() === 'reader-deployment'
        );
      },
    );

    // Its own policy moves it to the cloud: the IDC copy stays, since reader runs there.
    kubectl(hubKc(), ['apply', '-f', '-'], ownPolicy(bj().name));
    await waitFor(
      'own copy in the cloud',
      60_000,
      async () => (await memberConfigMap(bj(), 'shared-cfg')) !== undefined,
    );
    await waitFor('the IDC copy is only a dependency now', 30_000, async () => {
      const cm = await memberConfigMap(idc(), 'shared-cfg');
      return (
        cm !== undefined &&
        cm.metadata?.annotations?.['fleet.spillway.dev/binding'] === undefined &&
        requiredBy(cm.metadata?.labels).join() === 'reader-deployment'
      );
    });

    // reader goes: the last claim on the IDC copy goes with it; the cloud copy is its own.
    kubectl(hubKc(), ['delete', 'deploy', 'reader', `-n${NS}`, '--wait=false']);
    await waitFor(
      'IDC copy removed with reader',
      60_000,
      async () => (await memberConfigMap(idc(), 'shared-cfg')) === undefined,
    );
    expect((await memberConfigMap(bj(), 'shared-cfg'))?.data).toEqual({ LEVEL: '1' });
    kubectl(hubKc(), ['delete', 'configmap', 'shared-cfg', `-n${NS}`, '--wait=false']);
    await waitFor(
      'cloud copy removed with its template',
      60_000,
      async () => (await memberConfigMap(bj(), 'shared-cfg')) === undefined,
    );
  }, 240_000);

  it('removes the dependencies with the workloads that used them', async () => {
    kubectl(hubKc(), ['delete', 'deploy', 'web', `-n${NS}`, '--wait=false']);
    await waitFor('web and its Secret gone from the IDC group', 60_000, async () => {
      const [d, s, cm] = await Promise.all([
        memberDeploy(idc(), 'web'),
        memberSecret(idc(), 'app-secret'),
        memberConfigMap(idc(), 'app-config'),
      ]);
      return d === undefined && s === undefined && cm === undefined;
    });
    kubectl(hubKc(), ['delete', 'deploy', 'batch', `-n${NS}`, '--wait=false']);
    await waitFor(
      'batch gone',
      60_000,
      async () => (await memberDeploy(bj(), 'batch')) === undefined,
    );
    // Removing the member's own ConfigMap was never Spillway's to do.
    kubectl(hubKc(), ['delete', 'deploy', 'lonely', `-n${NS}`, '--wait=false']);
    await waitFor(
      'lonely gone',
      60_000,
      async () => (await memberDeploy(idc(), 'lonely')) === undefined,
    );
    expect((await memberConfigMap(idc(), 'local-only'))?.data).toEqual({ mine: 'yes' });
    // Nothing of Spillway's is left in either member's namespace.
    for (const c of [idc(), bj()]) {
      const core = kubeConfigFor(c).makeApiClient(CoreV1Api);
      const selector = `${MANAGED}=spillway`;
      const [cms, secrets] = await Promise.all([
        core.listNamespacedConfigMap({ namespace: NS, labelSelector: selector }),
        core.listNamespacedSecret({ namespace: NS, labelSelector: selector }),
      ]);
      expect([...cms.items, ...secrets.items].map((o) => o.metadata?.name)).toEqual([]);
    }
  }, 180_000);
});
