/**
 * OverridePolicy and ClusterOverridePolicy on the local fleet, in the seed's setting: a
 * Deployment spills from the IDC cluster to the cloud cluster; the IDC pulls images from its own
 * registry, and each cluster names its GPU nodes differently. Overrides change the member copies
 * only, follow edits of the policy, report a bad patch without touching the other member, apply
 * in Karmada's order, and go away with the policy.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleetController } from '../support/controller-fixture.js';
import { useFleet } from '../support/fleet.js';
import { clients, deployment } from '../support/kube.js';
import { kubectl, tieredPolicy } from '../support/spillway.js';

const fleet = useFleet('overrides', 'overrides.yaml', { provisioner: false });
useFleetController(fleet, { leaderElection: false });

const NS = 'ovr';
const IMAGE = 'docker.io/vllm/vllm-openai:v0.8.5';
const IDC_GPU = { 'idc.example.com/gpu': 'a10' };
const CLOUD_GPU = { 'node.kubernetes.io/instance-type': 'ecs.gn7i-c8g1.2xlarge' };

const idc = () => member(fleet.state, 'cluster-idc');
const cloud = () => member(fleet.state, 'cluster-cloud');
const hubKc = () => hub(fleet.state).kubeconfigPath;
const hubCustom = () => kubeConfigFor(hub(fleet.state)).makeApiClient(CustomObjectsApi);
type Member = ReturnType<typeof idc>;

const copyOf = (c: Member): Promise<V1Deployment | undefined> =>
  clients(kubeConfigFor(c))
    .apps.readNamespacedDeployment({ name: 'web', namespace: NS })
    .catch(() => undefined);
const podSpec = (d: V1Deployment | undefined) => d?.spec?.template.spec;
const imageOf = (d: V1Deployment | undefined) => podSpec(d)?.containers[0]?.image;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface WithStatus {
  status?: { conditions?: Condition[]; appliedCopies?: number };
}
const conditionOf = (o: WithStatus | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);
const binding = async (): Promise<WithStatus | undefined> =>
  (await hubCustom()
    .getNamespacedCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'resourcebindings',
      namespace: NS,
      name: 'web-deployment',
    })
    .catch(() => undefined)) as WithStatus | undefined;
const overridePolicy = async (name: string): Promise<WithStatus | undefined> =>
  (await hubCustom()
    .getNamespacedCustomObject({
      group: 'policy.one.alibabacloud.com',
      version: 'v1alpha1',
      plural: 'overridepolicies',
      namespace: NS,
      name,
    })
    .catch(() => undefined)) as WithStatus | undefined;

/** The seed-style OverridePolicy: the IDC registry for the IDC copy, a GPU selector per cluster. */
function sitePolicy(opts: { registry: string; idcExtra?: string; cloudExtra?: string }): string {
  return `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: OverridePolicy
metadata:
  name: web-sites
  namespace: ${NS}
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: web
  overrideRules:
    - targetCluster:
        clusterNames: [${idc().name}]
      overriders:
        imageOverrider:
          - component: Registry
            operator: replace
            value: ${opts.registry}
        plaintext:
          - path: /spec/template/spec/nodeSelector
            operator: add
            value: ${JSON.stringify(IDC_GPU)}
${opts.idcExtra ?? ''}    - targetCluster:
        labelSelector:
          matchLabels: { location: cloud }
      overriders:
        plaintext:
          - path: /spec/template/spec/nodeSelector
            operator: add
            value: ${JSON.stringify(CLOUD_GPU)}
${opts.cloudExtra ?? ''}`;
}

beforeAll(async () => {
  kubectl(hubKc(), ['create', 'ns', NS]);
  kubectl(
    hubKc(),
    ['apply', '-f', '-'],
    tieredPolicy({
      name: 'web',
      namespace: NS,
      groups: [
        ['idc', [idc().name]],
        ['cloud', [cloud().name]],
      ],
      selector: { kind: 'Deployment', name: 'web' },
    }),
  );
  // 6 CPUs a replica: the IDC's two 16-CPU nodes take 4, the cloud's two 8-CPU nodes 2.
  const d = deployment('web', NS, 6, { cpu: '6' });
  const container = d.spec?.template.spec?.containers[0];
  if (container) container.image = IMAGE;
  await clients(kubeConfigFor(hub(fleet.state))).apps.createNamespacedDeployment({
    namespace: NS,
    body: d,
  });
  await waitFor('web spilled 4 + 2', 90_000, async () => {
    const [a, b] = await Promise.all([copyOf(idc()), copyOf(cloud())]);
    return a?.spec?.replicas === 4 && b?.spec?.replicas === 2;
  });
}, 120_000);

describe('OverridePolicy: the seed scenario', () => {
  it('gives the IDC copy its registry and each copy its GPU node selector, never the hub template', async () => {
    kubectl(hubKc(), ['apply', '-f', '-'], sitePolicy({ registry: 'registry.idc.example.com' }));
    await waitFor('copies overridden', 60_000, async () => {
      const [a, b] = await Promise.all([copyOf(idc()), copyOf(cloud())]);
      return (
        imageOf(a) === 'registry.idc.example.com/vllm/vllm-openai:v0.8.5' &&
        podSpec(b)?.nodeSelector !== undefined
      );
    });
    const [a, b] = await Promise.all([copyOf(idc()), copyOf(cloud())]);
    expect(podSpec(a)?.nodeSelector).toEqual(IDC_GPU);
    expect(imageOf(b)).toBe(IMAGE);
    expect(podSpec(b)?.nodeSelector).toEqual(CLOUD_GPU);
    expect([a?.spec?.replicas, b?.spec?.replicas]).toEqual([4, 2]);

    const template = await clients(kubeConfigFor(hub(fleet.state))).apps.readNamespacedDeployment({
      name: 'web',
      namespace: NS,
    });
    expect(imageOf(template)).toBe(IMAGE);
    expect(podSpec(template)?.nodeSelector).toBeUndefined();

    // The selectors match each cluster's GPU nodes: every replica runs.
    await waitFor('all 6 replicas ready', 60_000, async () => {
      const [x, y] = await Promise.all([copyOf(idc()), copyOf(cloud())]);
      return x?.status?.readyReplicas === 4 && y?.status?.readyReplicas === 2;
    });
    await waitFor('conditions report the overrides', 30_000, async () => {
      const [bc, pc] = [
        conditionOf(await binding(), 'OverridesApplied'),
        await overridePolicy('web-sites'),
      ];
      return bc?.status === 'True' && pc?.status?.appliedCopies === 2;
    });
    expect(conditionOf(await binding(), 'OverridesApplied')?.message).toBe(
      `${cloud().name}: OverridePolicy ${NS}/web-sites; ${idc().name}: OverridePolicy ${NS}/web-sites`,
    );
    expect(conditionOf(await overridePolicy('web-sites'), 'Applied')).toMatchObject({
      status: 'True',
      reason: 'Applied',
      message: 'applied to 2 member copies',
    });
  }, 180_000);

  it('re-syncs the copy an edit changes and writes nothing to the copy it does not', async () => {
    const before = await copyOf(cloud());
    const spillwayTime = (d: V1Deployment | undefined) =>
      d?.metadata?.managedFields?.find((f) => f.manager === 'spillway' && f.operation === 'Apply')
        ?.time;
    kubectl(hubKc(), ['apply', '-f', '-'], sitePolicy({ registry: 'registry2.idc.example.com' }));
    await waitFor(
      'IDC copy follows the edit',
      60_000,
      async () =>
        imageOf(await copyOf(idc())) === 'registry2.idc.example.com/vllm/vllm-openai:v0.8.5',
    );
    const after = await copyOf(cloud());
    expect(after?.metadata?.generation).toBe(before?.metadata?.generation);
    expect(spillwayTime(after)).toEqual(spillwayTime(before));
  }, 180_000);

  it('reports a bad patch on the policy and the binding, keeps that copy, and updates the other member', async () => {
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      sitePolicy({
        registry: 'registry3.idc.example.com',
        idcExtra: `          - path: /spec/template/spec/tolerations/0
            operator: replace
            value: { key: gpu, operator: Exists }
`,
        cloudExtra: `        labelsOverrider:
          - operator: add
            value: { example.com/site: cloud }
`,
      }),
    );
    await waitFor('the failure is reported', 60_000, async () => {
      const [bc, pc] = [
        conditionOf(await binding(), 'OverridesApplied'),
        conditionOf(await overridePolicy('web-sites'), 'Applied'),
      ];
      return bc?.reason === 'OverrideFailed' && pc?.reason === 'OverrideFailed';
    });
    const bc = conditionOf(await binding(), 'OverridesApplied');
    expect(bc?.status).toBe('False');
    expect(bc?.message).toContain(
      `${idc().name}: OverridePolicy ${NS}/web-sites overrideRules[0]: plaintext[1]: path /spec/template/spec/tolerations/0: /spec/template/spec has no field "tolerations"`,
    );
    expect(conditionOf(await overridePolicy('web-sites'), 'Applied')?.message).toContain(
      `Deployment ${NS}/web in ${idc().name}: overrideRules[0]: plaintext[1]`,
    );
    await waitFor(
      'the cloud copy still follows the policy',
      60_000,
      async () => (await copyOf(cloud()))?.metadata?.labels?.['example.com/site'] === 'cloud',
    );
    // The IDC copy is left as it was: the last good registry, no half-applied rule.
    const a = await copyOf(idc());
    expect(imageOf(a)).toBe('registry2.idc.example.com/vllm/vllm-openai:v0.8.5');
    expect([a?.spec?.replicas, (await copyOf(cloud()))?.spec?.replicas]).toEqual([4, 2]);
  }, 180_000);

  it('applies ClusterOverridePolicies first, less specific first, then the OverridePolicy', async () => {
    const label = (value: string) => `        labelsOverrider:
          - operator: add
            value: { example.com/tier: ${value} }
`;
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      sitePolicy({ registry: 'registry2.idc.example.com', idcExtra: label('namespace') }),
    );
    // By name, "a-web" would come first; its selector by name is more specific, so it applies
    // after "z-deployments" (kind alone) and wins where both set the label.
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: ClusterOverridePolicy
metadata:
  name: a-web
spec:
  resourceSelectors:
    - { apiVersion: apps/v1, kind: Deployment, namespace: ${NS}, name: web }
  overrideRules:
    - overriders:
${label('cluster-by-name')}---
apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: ClusterOverridePolicy
metadata:
  name: z-deployments
spec:
  resourceSelectors:
    - { apiVersion: apps/v1, kind: Deployment }
  overrideRules:
    - overriders:
${label('cluster-by-kind')}        annotationsOverrider:
          - operator: add
            value: { example.com/owner: platform }
`,
    );
    await waitFor('the order decides the label', 60_000, async () => {
      const [a, b] = await Promise.all([copyOf(idc()), copyOf(cloud())]);
      return (
        a?.metadata?.labels?.['example.com/tier'] === 'namespace' &&
        b?.metadata?.labels?.['example.com/tier'] === 'cluster-by-name'
      );
    });
    const b = await copyOf(cloud());
    expect(b?.metadata?.annotations?.['example.com/owner']).toBe('platform');
    expect(b?.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('spillway');
    await waitFor('the binding lists the order', 30_000, async () =>
      (conditionOf(await binding(), 'OverridesApplied')?.message ?? '').includes(
        `${idc().name}: ClusterOverridePolicy z-deployments, ClusterOverridePolicy a-web, OverridePolicy ${NS}/web-sites`,
      ),
    );
    expect(conditionOf(await binding(), 'OverridesApplied')?.status).toBe('True');
  }, 180_000);

  it('reverts the copies to the template when the policies are deleted', async () => {
    kubectl(hubKc(), ['delete', 'overridepolicy', '-n', NS, 'web-sites']);
    kubectl(hubKc(), ['delete', 'clusteroverridepolicy', 'a-web', 'z-deployments']);
    await waitFor('copies reverted', 60_000, async () => {
      const [a, b] = await Promise.all([copyOf(idc()), copyOf(cloud())]);
      return (
        imageOf(a) === IMAGE &&
        podSpec(a)?.nodeSelector === undefined &&
        podSpec(b)?.nodeSelector === undefined &&
        b?.metadata?.labels?.['example.com/tier'] === undefined &&
        b?.metadata?.annotations?.['example.com/owner'] === undefined
      );
    });
    expect([
      (await copyOf(idc()))?.spec?.replicas,
      (await copyOf(cloud()))?.spec?.replicas,
    ]).toEqual([4, 2]);
    await waitFor(
      'the binding condition goes',
      30_000,
      async () => conditionOf(await binding(), 'OverridesApplied') === undefined,
    );
  }, 180_000);
});
