/**
 * The life of one namespace under one spill policy with propagateDeps, as a user lives it: a
 * Deployment (with a ConfigMap and a Secret it references), a StatefulSet, a Job, a Service, a
 * ConfigMap, a Secret and a custom resource are created and spill; the Deployment scales in;
 * a member is removed from the fleet; the namespace is deleted. At the end no Spillway object is
 * left in any member, and no error repeats in the controller's log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member, type ClusterInfo } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { podSpecYaml } from '../support/kube.js';
import { kubectl, memberClusterGone, readBinding } from '../support/spillway.js';
import { installWidgets } from '../support/widgets.js';

const fleet = useFleet('namespace-life', 'demo.yaml', { provisioner: false });
useFleetController(fleet, { leaderElection: false });

const NS = 'life';
const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubInfo = () => hub(fleet.state);
const apply = (c: ClusterInfo, yaml: string) =>
  kubectl(c.kubeconfigPath, ['apply', '-f', '-'], yaml);

const KINDS = 'deployments,statefulsets,jobs,services,configmaps,secrets,widgets';

/** Spillway's objects in a member's namespace, as kind/name. */
function ours(c: ClusterInfo): string[] {
  return kubectl(c.kubeconfigPath, [
    'get',
    KINDS,
    `-n${NS}`,
    '-l',
    'app.kubernetes.io/managed-by=spillway',
    '-o',
    'name',
  ])
    .split('\n')
    .filter((l) => l.length > 0)
    .sort();
}

const POLICY = () => `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: everything, namespace: ${NS} }
spec:
  propagateDeps: true
  resourceSelectors:
  - { apiVersion: apps/v1, kind: Deployment }
  - { apiVersion: apps/v1, kind: StatefulSet }
  - { apiVersion: batch/v1, kind: Job }
  - { apiVersion: v1, kind: Service }
  - { apiVersion: v1, kind: ConfigMap, name: shared }
  - { apiVersion: v1, kind: Secret, name: token }
  - { apiVersion: e2e.spillway.dev/v1, kind: Widget }
  failover:
    cluster: { tolerationSeconds: 30 }
  placement:
    clusterAffinities:
    - { affinityName: idc, clusterNames: [${idc().name}] }
    - { affinityName: cloud, clusterNames: [${bj().name}] }
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: { dynamicWeight: AvailableReplicas }
`;

const TEMPLATES = `apiVersion: v1
kind: ConfigMap
metadata: { name: api-env, namespace: ${NS} }
data: { MODE: fast }
---
apiVersion: v1
kind: Secret
metadata: { name: api-creds, namespace: ${NS} }
stringData: { password: s3cret }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: ${NS} }
spec:
  replicas: 8
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:${podSpecYaml(
      '6',
      `
        envFrom: [{ configMapRef: { name: api-env } }]
        volumeMounts: [{ name: creds, mountPath: /creds }]
      volumes: [{ name: creds, secret: { secretName: api-creds } }]`,
    )}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: ${NS} }
spec:
  replicas: 2
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:${podSpecYaml('100m')}
---
apiVersion: batch/v1
kind: Job
metadata: { name: migrate, namespace: ${NS} }
spec:
  parallelism: 1
  completions: 1
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never${podSpecYaml('100m')}
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: ${NS} }
spec: { ports: [{ port: 80 }], selector: { app: api } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: shared, namespace: ${NS} }
data: { region: all }
---
apiVersion: v1
kind: Secret
metadata: { name: token, namespace: ${NS} }
stringData: { token: t }
---
apiVersion: e2e.spillway.dev/v1
kind: Widget
metadata: { name: w1, namespace: ${NS} }
spec: { size: 3 }
`;

interface Binding {
  spec: { clusters?: { name: string; replicas?: number }[] };
}
const placement = async (name: string): Promise<Record<string, number>> => {
  const b = await readBinding<Binding>(kubeConfigFor(hubInfo()), NS, name).catch(() => undefined);
  return Object.fromEntries((b?.spec.clusters ?? []).map((c) => [c.name, c.replicas ?? 0]));
};

beforeAll(async () => {
  await installWidgets([hubInfo(), idc(), bj()]);
}, 60_000);

describe('the life of a namespace', () => {
  it('propagates every kind and spills the Deployment with its dependencies', async () => {
    kubectl(hubInfo().kubeconfigPath, ['create', 'ns', NS]);
    apply(hubInfo(), POLICY());
    apply(hubInfo(), TEMPLATES);
    await waitFor('api spilled 6 + 2', 90_000, async () => {
      const p = await placement('api-deployment');
      return p[idc().name] === 6 && p[bj().name] === 2;
    });
    await waitFor('every kind and the dependencies in the idc member', 60_000, async () => {
      const o = ours(idc());
      return [
        'configmap/api-env',
        'configmap/shared',
        'deployment.apps/api',
        'job.batch/migrate',
        'secret/api-creds',
        'secret/token',
        'service/api',
        'statefulset.apps/db',
        'widget.e2e.spillway.dev/w1',
      ].every((n) => o.includes(n));
    });
    // The cloud copy of the Deployment has its dependencies there too.
    await waitFor('api and its dependencies in the cloud member', 60_000, async () => {
      const o = ours(bj());
      return ['configmap/api-env', 'secret/api-creds', 'deployment.apps/api'].every((n) =>
        o.includes(n),
      );
    });
  }, 240_000);

  it('takes the dependencies away with the last replica on scale-in', async () => {
    kubectl(hubInfo().kubeconfigPath, ['scale', 'deploy', 'api', `-n${NS}`, '--replicas=4']);
    await waitFor('api gone from the cloud member with its dependencies', 60_000, async () => {
      const o = ours(bj());
      return !o.some((n) =>
        ['deployment.apps/api', 'configmap/api-env', 'secret/api-creds'].includes(n),
      );
    });
    expect(await placement('api-deployment')).toEqual({ [idc().name]: 4 });
    expect(ours(idc())).toEqual(expect.arrayContaining(['configmap/api-env', 'secret/api-creds']));
  }, 120_000);

  it('cleans a removed member and reschedules its replicas at once', async () => {
    kubectl(hubInfo().kubeconfigPath, ['scale', 'deploy', 'api', `-n${NS}`, '--replicas=8']);
    await waitFor('api back in the cloud member', 60_000, async () =>
      ours(bj()).includes('deployment.apps/api'),
    );
    kubectl(hubInfo().kubeconfigPath, ['delete', 'membercluster', bj().name, '--wait=false']);
    await waitFor('nothing of ours left in the removed member', 90_000, async () => {
      return ours(bj()).length === 0;
    });
    await waitFor('MemberCluster gone', 60_000, async () =>
      memberClusterGone(kubeConfigFor(hubInfo()), bj().name),
    );
    expect(await placement('api-deployment')).toEqual({ [idc().name]: 8 });
  }, 240_000);

  it('leaves nothing in any member when the namespace is deleted, and no error repeats', async () => {
    kubectl(hubInfo().kubeconfigPath, ['delete', 'ns', NS, '--wait=false']);
    await waitFor('hub namespace gone', 120_000, async () =>
      kubeConfigFor(hubInfo())
        .makeApiClient(CoreV1Api)
        .readNamespace({ name: NS })
        .then(() => false)
        .catch(() => true),
    );
    expect(ours(idc())).toEqual([]);
    expect(ours(bj())).toEqual([]);

    // Warnings come and go while things are deleted (a 404 here, a conflict there); one that
    // keeps coming back for the same object is a reconcile stuck for good.
    const log = readFileSync(join(fleet.state.stateDir, 'logs', 'fleet-controller.log'), 'utf8');
    const counts = new Map<string, number>();
    for (const line of log.split('\n')) {
      if (!line.includes('"level":"error"') && !line.includes('"level":"warn"')) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.member) continue; // the removed member's streams retry until they stop
      const key = `${String(entry.message)} ${String(entry.key ?? '')} ${String(entry.error ?? '')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const repeated = [...counts].filter(([, n]) => n > 3);
    expect(repeated).toEqual([]);
  }, 180_000);
});
