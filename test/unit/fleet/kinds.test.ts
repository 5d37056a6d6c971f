import { describe, expect, it } from '@jest/globals';
import {
  KINDS,
  explicitNodePorts,
  hasReplicas,
  keepImmutable,
  kindOf,
  podSelectorOf,
  podTemplateOf,
  replicasOf,
  shareFields,
  watchedKinds,
  type CopyView,
} from '../../../src/fleet/kinds.js';
import { memberCopy, type TemplateObject } from '../../../src/fleet/member-copy.js';

const NOW = '2026-12-01T12:00:00.000Z';
const podTemplate = (labels: Record<string, string> = { app: 'w' }) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }] },
});
const workload = (apiVersion: string, kind: string, spec: Record<string, unknown>) =>
  ({
    apiVersion,
    kind,
    metadata: { name: 'w', namespace: 'ns', uid: 'hub-uid', generation: 5 },
    spec,
  }) as TemplateObject;

/** A Job as the hub's API server stores it: selector and labels generated from its uid. */
const hubJob = (spec: Record<string, unknown> = {}): TemplateObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'w',
    namespace: 'ns',
    uid: 'hub-uid',
    labels: {
      app: 'w',
      'batch.kubernetes.io/controller-uid': 'hub-uid',
      'controller-uid': 'hub-uid',
      'batch.kubernetes.io/job-name': 'w',
      'job-name': 'w',
    },
  },
  spec: {
    parallelism: 4,
    completions: 6,
    backoffLimit: 2,
    ttlSecondsAfterFinished: 60,
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'hub-uid' } },
    template: podTemplate({
      app: 'w',
      'batch.kubernetes.io/controller-uid': 'hub-uid',
      'controller-uid': 'hub-uid',
      'batch.kubernetes.io/job-name': 'w',
      'job-name': 'w',
    }),
    ...spec,
  },
});

describe('the kinds table', () => {
  it('has one entry per kind Spillway treats specially', () => {
    expect(KINDS.map((k) => k.key)).toEqual([
      'apps/v1|Deployment',
      'apps/v1|StatefulSet',
      'apps/v1|ReplicaSet',
      'apps/v1|DaemonSet',
      'batch/v1|Job',
      'batch/v1|CronJob',
      'v1|Service',
      'v1|Secret',
      'v1|ServiceAccount',
      'v1|PersistentVolumeClaim',
    ]);
    expect(new Set(KINDS.map((k) => k.key)).size).toBe(KINDS.length);
  });

  it('watches the copies of every kind whose status is aggregated on the hub', () => {
    expect(watchedKinds().map((k) => `${k.apiVersion}|${k.kind}|${k.plural}`)).toEqual([
      'apps/v1|Deployment|deployments',
      'apps/v1|StatefulSet|statefulsets',
      'apps/v1|ReplicaSet|replicasets',
      'apps/v1|DaemonSet|daemonsets',
      'batch/v1|Job|jobs',
      'batch/v1|CronJob|cronjobs',
    ]);
    for (const k of KINDS) expect(k.hubStatus !== undefined).toBe(k.plural !== undefined);
  });

  it.each([
    ['apps/v1', 'Deployment', { replicas: 3 }, true, 3],
    ['apps/v1', 'StatefulSet', { replicas: 2 }, true, 2],
    ['apps/v1', 'ReplicaSet', { replicas: 5 }, true, 5],
    ['apps/v1', 'DaemonSet', {}, false, 1],
    ['batch/v1', 'Job', { parallelism: 4, completions: 10 }, true, 4],
    // More parallelism than completions is never used (as Karmada counts it).
    ['batch/v1', 'Job', { parallelism: 8, completions: 3 }, true, 3],
    ['batch/v1', 'Job', { parallelism: 5 }, true, 5],
    ['batch/v1', 'CronJob', {}, false, 1],
    ['v1', 'Service', {}, false, 1],
    ['v1', 'ConfigMap', {}, false, 1],
    // A custom resource is copied whole, spec.replicas or not (Karmada needs an interpreter too).
    ['example.com/v1', 'Widget', { replicas: 3 }, false, 1],
  ] as const)('%s %s %j: divided %s, %d replicas', (apiVersion, kind, spec, divided, n) => {
    const t = workload(apiVersion, kind, { ...spec });
    expect(hasReplicas(t)).toBe(divided);
    expect(replicasOf(t)).toBe(n);
  });

  it.each([
    ['apps/v1', 'Deployment', { template: podTemplate() }],
    ['apps/v1', 'StatefulSet', { template: podTemplate() }],
    ['apps/v1', 'ReplicaSet', { template: podTemplate() }],
    ['apps/v1', 'DaemonSet', { template: podTemplate() }],
    ['batch/v1', 'Job', { template: podTemplate() }],
    ['batch/v1', 'CronJob', { jobTemplate: { spec: { template: podTemplate() } } }],
  ] as const)('finds the pod template of a %s %s', (apiVersion, kind, spec) => {
    expect(podTemplateOf(workload(apiVersion, kind, spec))?.spec?.containers).toHaveLength(1);
  });

  it('finds no pod template in kinds that run no pods, or in a custom resource', () => {
    expect(podTemplateOf(workload('v1', 'Service', { template: podTemplate() }))).toBeUndefined();
    expect(podTemplateOf(workload('example.com/v1', 'Widget', {}))).toBeUndefined();
  });
});

describe('Job copies', () => {
  it('drop the hub-generated selector, its labels and the TTL, and keep the rest', () => {
    const copy = memberCopy(hubJob(), 'ns/w-job', 2, { completions: 3 });
    expect(copy.spec).toEqual({
      parallelism: 2,
      completions: 3,
      backoffLimit: 2,
      template: podTemplate({ app: 'w' }),
    });
    expect(copy.metadata.labels).toEqual({
      app: 'w',
      'batch.kubernetes.io/job-name': 'w',
      'job-name': 'w',
      'app.kubernetes.io/managed-by': 'spillway',
    });
  });

  it('keep a selector the user chose (manualSelector: true)', () => {
    const selector = { matchLabels: { app: 'w' } };
    const copy = memberCopy(hubJob({ manualSelector: true, selector }), 'ns/w-job', undefined);
    expect(copy.spec?.selector).toEqual(selector);
    expect(copy.spec?.parallelism).toBe(4);
  });

  it('split completions in proportion to each cluster parallelism share', () => {
    const fields = shareFields(hubJob({ parallelism: 4, completions: 10 }), [
      { cluster: 'a', replicas: 3 },
      { cluster: 'b', replicas: 1 },
    ]);
    expect(Object.fromEntries(fields)).toEqual({
      a: { parallelism: 3, completions: 8 },
      b: { parallelism: 1, completions: 2 },
    });
    const workQueue = shareFields(hubJob({ completions: undefined }), [
      { cluster: 'a', replicas: 2 },
    ]);
    expect(workQueue.get('a')).toEqual({ parallelism: 2 });
  });

  it('keep the completions a member already has: they cannot change on a Job', () => {
    const copy = memberCopy(hubJob(), 'ns/w-job', 2, { completions: 3 });
    keepImmutable(copy, { spec: { completions: 4 } });
    expect(copy.spec?.completions).toBe(4);
    keepImmutable(copy, undefined);
    expect(copy.spec?.completions).toBe(4);
  });

  it('find their pods by job-name, not by the hub selector', () => {
    expect(podSelectorOf(hubJob())).toEqual({
      matchLabels: { 'batch.kubernetes.io/job-name': 'w' },
    });
    const d = workload('apps/v1', 'Deployment', { selector: { matchLabels: { app: 'w' } } });
    expect(podSelectorOf(d)).toEqual({ matchLabels: { app: 'w' } });
  });
});

describe('Service copies', () => {
  const managedFields = [
    {
      manager: 'kubectl',
      operation: 'Apply',
      fieldsV1: {
        'f:spec': {
          'f:type': {},
          'f:ports': {
            'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:nodePort': {}, 'f:port': {} },
            'k:{"port":81,"protocol":"TCP"}': { '.': {}, 'f:port': {} },
          },
        },
      },
    },
  ];
  const svc = (
    spec: Record<string, unknown>,
    fields: unknown[] = managedFields,
  ): TemplateObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'w', namespace: 'ns', managedFields: fields },
    spec,
  });

  it('keep node ports a client set, and drop the ones the hub allocated', () => {
    const copy = memberCopy(
      svc({
        type: 'NodePort',
        clusterIP: '10.96.0.7',
        clusterIPs: ['10.96.0.7'],
        ports: [
          { port: 80, protocol: 'TCP', nodePort: 30080 },
          { port: 81, protocol: 'TCP', nodePort: 31234 },
        ],
      }),
      'ns/w-service',
      undefined,
    );
    expect(copy.spec).toEqual({
      type: 'NodePort',
      ports: [
        { port: 80, protocol: 'TCP', nodePort: 30080 },
        { port: 81, protocol: 'TCP' },
      ],
    });
  });

  it('read explicit ports from any field manager, healthCheckNodePort too', () => {
    const fields = [
      { fieldsV1: { 'f:spec': { 'f:healthCheckNodePort': {} } } },
      {
        fieldsV1: {
          'f:spec': { 'f:ports': { 'k:{"port":53,"protocol":"UDP"}': { 'f:nodePort': {} } } },
        },
      },
    ];
    const explicit = explicitNodePorts(svc({}, fields));
    expect([...explicit.ports]).toEqual(['53/UDP']);
    expect(explicit.healthCheck).toBe(true);
    const lb = svc({ type: 'LoadBalancer', healthCheckNodePort: 32000, ports: [] }, []);
    expect(memberCopy(lb, 'k', undefined).spec).toEqual({ type: 'LoadBalancer', ports: [] });
  });

  it('keep a headless clusterIP: None', () => {
    const copy = memberCopy(svc({ clusterIP: 'None', clusterIPs: ['None'] }), 'k', undefined);
    expect(copy.spec).toEqual({ clusterIP: 'None', clusterIPs: ['None'] });
  });
});

describe('ServiceAccount and Secret copies', () => {
  it('drop the token Secrets the hub generated for a ServiceAccount', () => {
    const sa: TemplateObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'runner', namespace: 'ns' },
      secrets: [{ name: 'runner-token-x7k2p' }, { name: 'registry-pull' }],
    };
    expect(memberCopy(sa, 'k', undefined).secrets).toEqual([{ name: 'registry-pull' }]);
  });

  it('drop the token and the hub ServiceAccount uid from a token Secret, and nothing else', () => {
    const token: TemplateObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'runner-token',
        namespace: 'ns',
        annotations: {
          'kubernetes.io/service-account.name': 'runner',
          'kubernetes.io/service-account.uid': 'hub-sa-uid',
        },
      },
      data: { token: 'aHVi' },
    };
    const copy = memberCopy(token, 'k', undefined);
    expect(copy.data).toBeUndefined();
    expect(copy.metadata.annotations).toEqual({
      'kubernetes.io/service-account.name': 'runner',
      'fleet.spillway.dev/binding': 'k',
    });
    const plain = { ...token, type: 'Opaque' };
    expect(memberCopy(plain, 'k', undefined).data).toEqual({ token: 'aHVi' });
  });
});

describe('PersistentVolumeClaim copies', () => {
  it('drop the hub volume binding and its annotations', () => {
    const pvc: TemplateObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'data',
        namespace: 'ns',
        annotations: {
          'pv.kubernetes.io/bind-completed': 'yes',
          'volume.kubernetes.io/selected-node': 'n1',
          'volume.kubernetes.io/storage-provisioner': 'x',
          note: 'kept',
        },
      },
      spec: { accessModes: ['ReadWriteOnce'], volumeName: 'pv-1', resources: {} },
    };
    const copy = memberCopy(pvc, 'ns/data-persistentvolumeclaim', undefined);
    expect(copy.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: {} });
    expect(copy.metadata.annotations).toEqual({
      note: 'kept',
      'fleet.spillway.dev/binding': 'ns/data-persistentvolumeclaim',
    });
  });
});

describe('hub status', () => {
  const view = (cluster: string, status: Record<string, unknown>, gen = 1): CopyView => ({
    cluster,
    upToDate: ((status.observedGeneration as number | undefined) ?? gen) >= gen,
    live: { metadata: { generation: gen }, status },
  });

  it('sums a Deployment and moves observedGeneration only when every copy is current', () => {
    const kind = kindOf({ apiVersion: 'apps/v1', kind: 'Deployment' });
    const t = workload('apps/v1', 'Deployment', {});
    t.status = { observedGeneration: 4 };
    const a = view('a', { replicas: 2, readyReplicas: 2, observedGeneration: 1 });
    const b = view('b', { replicas: 3, readyReplicas: 1, observedGeneration: 1 });
    expect(kind.hubStatus?.(t, [a, b], NOW)).toMatchObject({
      replicas: 5,
      readyReplicas: 3,
      observedGeneration: 5,
    });
    const behind = view('b', { replicas: 3, observedGeneration: 1 }, 2);
    expect(kind.hubStatus?.(t, [a, behind], NOW)).toMatchObject({ observedGeneration: 4 });
    expect(kind.hubStatus?.(t, [a, { cluster: 'c', upToDate: false }], NOW)).toMatchObject({
      observedGeneration: 4,
    });
  });

  it('sums a DaemonSet and a StatefulSet field by field', () => {
    const ds = kindOf({ apiVersion: 'apps/v1', kind: 'DaemonSet' });
    const s = { desiredNumberScheduled: 3, numberReady: 2, currentNumberScheduled: 3 };
    expect(
      ds.hubStatus?.(workload('apps/v1', 'DaemonSet', {}), [view('a', s), view('b', s)], NOW),
    ).toMatchObject({ desiredNumberScheduled: 6, numberReady: 4, currentNumberScheduled: 6 });
    expect(ds.counts?.(s)).toMatchObject({ replicas: 3, readyReplicas: 2 });
    const sts = kindOf({ apiVersion: 'apps/v1', kind: 'StatefulSet' });
    expect(
      sts.hubStatus?.(
        workload('apps/v1', 'StatefulSet', {}),
        [view('a', { replicas: 1, currentReplicas: 1 }), view('b', { replicas: 2 })],
        NOW,
      ),
    ).toMatchObject({ replicas: 3, currentReplicas: 1 });
  });

  it('reports the latest schedule and success of a CronJob, and nothing before the first run', () => {
    const cron = kindOf({ apiVersion: 'batch/v1', kind: 'CronJob' });
    const t = workload('batch/v1', 'CronJob', {});
    expect(cron.hubStatus?.(t, [view('a', {}), view('b', {})], NOW)).toBeUndefined();
    const a = view('a', { lastScheduleTime: '2026-12-01T03:00:00Z', active: [{ name: 'x' }] });
    const b = view('b', {
      lastScheduleTime: '2026-12-01T04:00:00Z',
      lastSuccessfulTime: '2026-12-01T04:01:00Z',
    });
    expect(cron.hubStatus?.(t, [a, b], NOW)).toEqual({
      lastScheduleTime: '2026-12-01T04:00:00Z',
      lastSuccessfulTime: '2026-12-01T04:01:00Z',
    });
  });

  describe('Job', () => {
    const job = kindOf({ apiVersion: 'batch/v1', kind: 'Job' });
    const complete = (t: string) => ({
      succeeded: 3,
      startTime: '2026-12-01T11:00:00Z',
      completionTime: t,
      conditions: [{ type: 'Complete', status: 'True' }],
    });

    it('sums active, ready, succeeded and failed, and starts when every copy started', () => {
      const a = view('a', { active: 2, ready: 1, failed: 1, startTime: '2026-12-01T11:00:05Z' });
      const b = view('b', { active: 1, succeeded: 2 });
      expect(job.hubStatus?.(hubJob(), [a, b], NOW)).toEqual({
        active: 3,
        ready: 1,
        succeeded: 2,
        failed: 1,
      });
      const b2 = view('b', { active: 1, startTime: '2026-12-01T11:00:01Z' });
      expect(job.hubStatus?.(hubJob(), [a, b2], NOW)?.startTime).toBe('2026-12-01T11:00:01Z');
    });

    it('completes once every copy completed, with the latest completion time', () => {
      const s = job.hubStatus?.(
        hubJob(),
        [view('a', complete('2026-12-01T11:02:00Z')), view('b', complete('2026-12-01T11:05:00Z'))],
        NOW,
      );
      expect(s).toMatchObject({ succeeded: 6, completionTime: '2026-12-01T11:05:00Z' });
      expect((s?.conditions as { type: string }[]).map((c) => c.type)).toEqual([
        'SuccessCriteriaMet',
        'Complete',
      ]);
      const half = job.hubStatus?.(
        hubJob(),
        [view('a', complete('2026-12-01T11:02:00Z')), view('b', { active: 1 })],
        NOW,
      );
      expect(half?.conditions).toBeUndefined();
    });

    it('fails once a copy failed and nothing runs any more', () => {
      const failed = {
        failed: 3,
        startTime: '2026-12-01T11:00:00Z',
        conditions: [{ type: 'Failed', status: 'True' }],
      };
      const running = view('b', { active: 1, startTime: '2026-12-01T11:00:00Z' });
      expect(
        job.hubStatus?.(hubJob(), [view('a', failed), running], NOW)?.conditions,
      ).toBeUndefined();
      const s = job.hubStatus?.(hubJob(), [view('a', failed), view('b', complete(NOW))], NOW);
      expect((s?.conditions as { type: string }[]).map((c) => c.type)).toEqual([
        'FailureTarget',
        'Failed',
      ]);
    });

    it('never rewrites a finished hub Job', () => {
      const done = hubJob();
      done.status = { conditions: [{ type: 'Complete', status: 'True' }] };
      expect(job.hubStatus?.(done, [view('a', { active: 1 })], NOW)).toBeUndefined();
    });

    it('counts a copy as current as soon as it exists (Jobs record no observedGeneration)', () => {
      expect(job.upToDate({ metadata: { generation: 3 }, status: {} })).toBe(true);
      const d = kindOf({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(d.upToDate({ metadata: { generation: 3 }, status: { observedGeneration: 2 } })).toBe(
        false,
      );
    });
  });
});
