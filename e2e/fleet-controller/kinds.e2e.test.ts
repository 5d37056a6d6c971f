/**
 * Every kind propagates: a Divided Job that really runs (kwok completes its pods) with its
 * status summed back on the hub, a CronJob, StatefulSet, DaemonSet, ReplicaSet, PVC, a custom
 * resource and a Service with an explicit node port, each with the fields its hub generated
 * stripped. Also, on the same fleet: a PropagationPolicy beats a higher-priority
 * ClusterPropagationPolicy, and static weights hold through a scale-in.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member, type ClusterInfo } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { podSpecYaml } from '../support/kube.js';
import { kubectl } from '../support/spillway.js';
import { installWidgets } from '../support/widgets.js';

const fleet = useFleet('kinds', 'demo.yaml', { provisioner: false });
const NS = 'kinds';

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubInfo = () => hub(fleet.state);

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

async function read(c: ClusterInfo, apiVersion: string, kind: string, name: string) {
  return (await KubernetesObjectApi.makeApiClient(kubeConfigFor(c))
    .read({ apiVersion, kind, metadata: { name, namespace: NS } })
    .catch(() => undefined)) as Obj | undefined;
}

/** Waits until `c` has the object and `ok` holds for it; returns it. */
async function eventually(
  c: ClusterInfo,
  apiVersion: string,
  kind: string,
  name: string,
  ok: (o: Obj) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<Obj> {
  let last: Obj | undefined;
  await waitFor(`${kind} ${name} in ${c.alias}`, timeoutMs, async () => {
    last = await read(c, apiVersion, kind, name);
    return last !== undefined && ok(last);
  });
  return last as Obj;
}

const apply = (c: ClusterInfo, yaml: string) =>
  kubectl(c.kubeconfigPath, ['apply', '-f', '-'], yaml);

const policy = () => `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: every-kind, namespace: ${NS} }
spec:
  resourceSelectors:
  - { apiVersion: batch/v1, kind: Job }
  - { apiVersion: batch/v1, kind: CronJob }
  - { apiVersion: apps/v1, kind: StatefulSet }
  - { apiVersion: apps/v1, kind: DaemonSet }
  - { apiVersion: apps/v1, kind: ReplicaSet }
  - { apiVersion: v1, kind: PersistentVolumeClaim }
  - { apiVersion: v1, kind: Service }
  - { apiVersion: e2e.spillway.dev/v1, kind: Widget }
  placement:
    clusterAffinities:
    - { affinityName: idc, clusterNames: [${idc().name}] }
    - { affinityName: cloud, clusterNames: [${bj().name}] }
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: { dynamicWeight: AvailableReplicas }
`;

useFleetController(fleet, { leaderElection: false });
beforeAll(async () => {
  await installWidgets([hubInfo(), idc(), bj()]);
  kubectl(hubInfo().kubeconfigPath, ['create', 'ns', NS]);
  apply(hubInfo(), policy());
}, 60_000);

describe('every kind propagates', () => {
  it('runs a Divided Job in both groups and sums its status on the hub', async () => {
    // 6 CPUs a pod: idc's three 16-CPU nodes hold 6, so the seventh spills to the cloud group
    // (two 8-CPU nodes), where it can run too.
    apply(
      hubInfo(),
      `apiVersion: batch/v1
kind: Job
metadata: { name: crunch, namespace: ${NS} }
spec:
  parallelism: 7
  completions: 7
  backoffLimit: 2
  ttlSecondsAfterFinished: 600
  template:
    spec:
      restartPolicy: Never${podSpecYaml('6')}
`,
    );
    const hubJob = await read(hubInfo(), 'batch/v1', 'Job', 'crunch');
    const hubUid = hubJob?.metadata?.uid ?? '';
    const inIdc = await eventually(idc(), 'batch/v1', 'Job', 'crunch');
    const inBj = await eventually(bj(), 'batch/v1', 'Job', 'crunch');
    expect([inIdc.spec?.parallelism, inIdc.spec?.completions]).toEqual([6, 6]);
    expect([inBj.spec?.parallelism, inBj.spec?.completions]).toEqual([1, 1]);
    for (const copy of [inIdc, inBj]) {
      expect(copy.spec?.backoffLimit).toBe(2);
      expect(copy.spec?.ttlSecondsAfterFinished).toBeUndefined();
      // Each member generated its own selector, from its own Job's uid.
      expect(JSON.stringify(copy.spec?.selector)).toContain(copy.metadata?.uid ?? '?');
      expect(JSON.stringify(copy.spec?.selector)).not.toContain(hubUid);
    }
    const done = await eventually(
      hubInfo(),
      'batch/v1',
      'Job',
      'crunch',
      (j) =>
        ((j.status?.conditions ?? []) as { type: string; status: string }[]).some(
          (c) => c.type === 'Complete' && c.status === 'True',
        ),
      120_000,
    );
    expect(done.status).toMatchObject({ succeeded: 7 });
    expect(done.status?.startTime).toBeDefined();
    expect(done.status?.completionTime).toBeDefined();
  }, 240_000);

  it('reports a Job that failed in its member as Failed on the hub', async () => {
    // No node has this label: the pod never runs and the deadline fails the member's Job.
    apply(
      hubInfo(),
      `apiVersion: batch/v1
kind: Job
metadata: { name: doomed, namespace: ${NS} }
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 3
  template:
    spec:
      restartPolicy: Never
      nodeSelector: { spillway.dev/no-such-node: "true" }${podSpecYaml('10m')}
`,
    );
    const failed = await eventually(
      hubInfo(),
      'batch/v1',
      'Job',
      'doomed',
      (j) =>
        ((j.status?.conditions ?? []) as { type: string; status: string }[]).some(
          (c) => c.type === 'Failed' && c.status === 'True',
        ),
      90_000,
    );
    expect(failed.status?.active ?? 0).toBe(0);
    const message = ((failed.status?.conditions ?? []) as { type: string; message: string }[]).find(
      (c) => c.type === 'Failed',
    )?.message;
    expect(message).toMatch(/failed in member clusters c/);
  }, 120_000);

  it('propagates a CronJob, StatefulSet, DaemonSet and ReplicaSet, with workload status on the hub', async () => {
    apply(
      hubInfo(),
      `apiVersion: batch/v1
kind: CronJob
metadata: { name: every-minute, namespace: ${NS} }
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never${podSpecYaml('10m').replaceAll('\n', '\n    ')}
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
    spec:${podSpecYaml('10m')}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: ${NS} }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:${podSpecYaml('10m')}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:${podSpecYaml('10m')}
`,
    );
    const cron = await eventually(idc(), 'batch/v1', 'CronJob', 'every-minute');
    expect(cron.spec).toMatchObject({ schedule: '* * * * *' });
    const sts = await eventually(idc(), 'apps/v1', 'StatefulSet', 'db');
    expect(sts.spec?.replicas).toBe(2);
    await eventually(idc(), 'apps/v1', 'DaemonSet', 'agent');
    const rs = await eventually(idc(), 'apps/v1', 'ReplicaSet', 'web');
    expect(rs.spec?.replicas).toBe(2);
    // Ready pods in the member show on the hub template, as kubectl get reads them.
    await eventually(
      hubInfo(),
      'apps/v1',
      'StatefulSet',
      'db',
      (o) => o.status?.readyReplicas === 2,
    );
    await eventually(
      hubInfo(),
      'apps/v1',
      'ReplicaSet',
      'web',
      (o) => o.status?.readyReplicas === 2,
    );
    // A DaemonSet runs one pod on each of idc's three nodes.
    await eventually(
      hubInfo(),
      'apps/v1',
      'DaemonSet',
      'agent',
      (o) => o.status?.numberReady === 3 && o.status?.desiredNumberScheduled === 3,
    );
  }, 180_000);

  it('propagates a PVC without the hub volume binding, and a custom resource whole', async () => {
    apply(
      hubInfo(),
      `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: ${NS} }
spec:
  accessModes: [ReadWriteOnce]
  volumeName: hub-only-volume
  resources: { requests: { storage: 1Gi } }
---
apiVersion: e2e.spillway.dev/v1
kind: Widget
metadata: { name: gizmo, namespace: ${NS} }
spec: { size: 3, replicas: 5 }
`,
    );
    const pvc = await eventually(idc(), 'v1', 'PersistentVolumeClaim', 'data');
    expect(pvc.spec?.volumeName).toBeUndefined();
    expect(pvc.spec?.accessModes).toEqual(['ReadWriteOnce']);
    // A custom resource is not divided, even with a spec.replicas: the copy is the template.
    const widget = await eventually(idc(), 'e2e.spillway.dev/v1', 'Widget', 'gizmo');
    expect(widget.spec).toEqual({ size: 3, replicas: 5 });
  }, 120_000);

  it('keeps an explicit Service nodePort in the copy and lets the member allocate the rest', async () => {
    apply(
      hubInfo(),
      `apiVersion: v1
kind: Service
metadata: { name: front, namespace: ${NS} }
spec:
  type: NodePort
  selector: { app: web }
  ports:
  - { name: http, port: 80, nodePort: 30080 }
  - { name: admin, port: 81 }
`,
    );
    const hubSvc = await read(hubInfo(), 'v1', 'Service', 'front');
    const copy = await eventually(idc(), 'v1', 'Service', 'front');
    const ports = (copy.spec?.ports ?? []) as { port: number; nodePort?: number }[];
    expect(ports.find((p) => p.port === 80)?.nodePort).toBe(30080);
    expect(ports.find((p) => p.port === 81)?.nodePort).toBeDefined();
    // Spillway's apply owns only the explicit node port; the allocated one is the member's.
    const owned = (copy.metadata?.managedFields ?? []).find((m) => m.manager === 'spillway')
      ?.fieldsV1 as { 'f:spec': { 'f:ports': Record<string, Record<string, unknown>> } };
    const ownedPorts = owned['f:spec']['f:ports'];
    expect(ownedPorts['k:{"port":80,"protocol":"TCP"}']).toHaveProperty(['f:nodePort']);
    expect(ownedPorts['k:{"port":81,"protocol":"TCP"}']).not.toHaveProperty(['f:nodePort']);
    expect(copy.spec?.clusterIP).not.toBe(hubSvc?.spec?.clusterIP);
  }, 120_000);
});

describe('policy precedence', () => {
  it('lets a PropagationPolicy beat a ClusterPropagationPolicy with a higher priority', async () => {
    apply(
      hubInfo(),
      `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: ClusterPropagationPolicy
metadata: { name: urgent-cluster-default }
spec:
  priority: 100
  resourceSelectors: [{ apiVersion: v1, kind: ConfigMap, name: settings }]
  placement: { clusterAffinity: { clusterNames: [${idc().name}] } }
---
apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: namespace-choice, namespace: ${NS} }
spec:
  priority: 0
  resourceSelectors: [{ apiVersion: v1, kind: ConfigMap, name: settings }]
  placement: { clusterAffinity: { clusterNames: [${bj().name}] } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: ${NS} }
data: { mode: fast }
`,
    );
    const copy = await eventually(bj(), 'v1', 'ConfigMap', 'settings');
    expect((copy as { data?: Record<string, string> }).data).toEqual({ mode: 'fast' });
    const binding = await eventually(
      hubInfo(),
      'fleet.spillway.dev/v1alpha1',
      'ResourceBinding',
      'settings-configmap',
    );
    expect(binding.spec?.policy).toMatchObject({
      kind: 'PropagationPolicy',
      name: 'namespace-choice',
    });
    expect(await read(idc(), 'v1', 'ConfigMap', 'settings')).toBeUndefined();
  }, 120_000);
});

describe('static weights', () => {
  it('hold 1:3 through scaling 8 -> 4 -> 12 (scale-in used to give 2/2, then 4/8)', async () => {
    apply(
      hubInfo(),
      `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: one-to-three, namespace: ${NS} }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment, name: weighted }]
  placement:
    clusterAffinity: { clusterNames: [${idc().name}, ${bj().name}] }
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - { targetCluster: { clusterNames: [${idc().name}] }, weight: 1 }
        - { targetCluster: { clusterNames: [${bj().name}] }, weight: 3 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: weighted, namespace: ${NS} }
spec:
  replicas: 8
  selector: { matchLabels: { app: weighted } }
  template:
    metadata: { labels: { app: weighted } }
    spec:${podSpecYaml('10m')}
`,
    );
    const split = async (idcWant: number, bjWant: number) => {
      await eventually(
        idc(),
        'apps/v1',
        'Deployment',
        'weighted',
        (d) => d.spec?.replicas === idcWant,
      );
      await eventually(
        bj(),
        'apps/v1',
        'Deployment',
        'weighted',
        (d) => d.spec?.replicas === bjWant,
      );
    };
    await split(2, 6);
    // Not-ready replicas go first on scale-in, so let all 8 run before scaling in.
    await eventually(
      hubInfo(),
      'apps/v1',
      'Deployment',
      'weighted',
      (d) => d.status?.readyReplicas === 8,
    );
    const scale = (n: number) =>
      kubectl(hubInfo().kubeconfigPath, ['scale', 'deploy/weighted', `-n${NS}`, `--replicas=${n}`]);
    scale(4);
    await split(1, 3);
    scale(12);
    await split(3, 9);
  }, 120_000);
});

describe('CronJob status', () => {
  // Last in the file: the CronJob created above has had time to run once in its member.
  it('shows the member runs of a CronJob on the hub', async () => {
    const cron = await eventually(
      hubInfo(),
      'batch/v1',
      'CronJob',
      'every-minute',
      (c) => c.status?.lastSuccessfulTime !== undefined,
      120_000,
    );
    expect(cron.status?.lastScheduleTime).toBeDefined();
    expect(cron.status?.active).toBeUndefined();
  }, 150_000);
});
