import { describe, expect, it } from '@jest/globals';
import {
  dependenciesOf,
  dependencyCopy,
  dependencyDiffers,
  requiredByKeys,
  requiredByLabel,
  withoutRequiredBy,
  type MemberObject,
} from '../../../src/fleet/dependencies.js';
import { dependencyCondition } from '../../../src/fleet/dependencies.js';
import { ownEntries } from '../../../src/fleet/adoption.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';

function workload(
  kind: string,
  podSpec: Record<string, unknown>,
  apiVersion = 'apps/v1',
): TemplateObject {
  const template = { metadata: { labels: { app: 'a' } }, spec: podSpec };
  const spec =
    kind === 'CronJob'
      ? { schedule: '* * * * *', jobTemplate: { spec: { template } } }
      : kind === 'Pod'
        ? podSpec
        : { replicas: 2, template };
  return { apiVersion, kind, metadata: { name: 'a', namespace: 'ns' }, spec };
}

const names = (t: TemplateObject) => dependenciesOf(t).map((d) => `${d.kind}/${d.name}`);

describe('dependencies of a pod template', () => {
  const full = {
    serviceAccountName: 'runner',
    imagePullSecrets: [{ name: 'pull' }],
    volumes: [
      { name: 'v1', configMap: { name: 'cm-vol' } },
      { name: 'v2', secret: { secretName: 'sec-vol' } },
      { name: 'v3', persistentVolumeClaim: { claimName: 'data' } },
      {
        name: 'v4',
        projected: {
          sources: [
            { configMap: { name: 'cm-proj' } },
            { secret: { name: 'sec-proj' } },
            { serviceAccountToken: { path: 't' } },
          ],
        },
      },
      { name: 'v5', csi: { driver: 'x', nodePublishSecretRef: { name: 'sec-csi' } } },
      { name: 'v6', emptyDir: {} },
    ],
    initContainers: [
      { name: 'init', image: 'i', envFrom: [{ configMapRef: { name: 'cm-init' } }] },
    ],
    containers: [
      {
        name: 'main',
        image: 'm',
        env: [
          { name: 'A', value: 'plain' },
          { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } },
          { name: 'C', valueFrom: { secretKeyRef: { name: 'sec-env', key: 'k' } } },
          { name: 'D', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        envFrom: [{ secretRef: { name: 'sec-from' } }],
      },
    ],
    ephemeralContainers: [
      { name: 'debug', image: 'd', envFrom: [{ configMapRef: { name: 'cm-eph' } }] },
    ],
  };

  it('lists ConfigMaps, Secrets, the ServiceAccount and PVCs from every place a pod names them', () => {
    expect(names(workload('Deployment', full))).toEqual([
      'ConfigMap/cm-env',
      'ConfigMap/cm-eph',
      'ConfigMap/cm-init',
      'ConfigMap/cm-proj',
      'ConfigMap/cm-vol',
      'PersistentVolumeClaim/data',
      'Secret/pull',
      'Secret/sec-csi',
      'Secret/sec-env',
      'Secret/sec-from',
      'Secret/sec-proj',
      'Secret/sec-vol',
      'ServiceAccount/runner',
    ]);
  });

  it('reads the pod template of every workload kind, and of a Pod itself', () => {
    const spec = { containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cfg' } }] }] };
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'])
      expect(names(workload(kind, spec))).toEqual(['ConfigMap/cfg']);
    expect(names(workload('Job', spec, 'batch/v1'))).toEqual(['ConfigMap/cfg']);
    expect(names(workload('CronJob', spec, 'batch/v1'))).toEqual(['ConfigMap/cfg']);
    expect(names(workload('Pod', spec, 'v1'))).toEqual(['ConfigMap/cfg']);
    const svc: TemplateObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80 }] },
    };
    expect(dependenciesOf(svc)).toEqual([]);
  });

  it('never lists the default ServiceAccount, and lists each object once', () => {
    const spec = {
      serviceAccountName: 'default',
      containers: [
        { name: 'a', envFrom: [{ configMapRef: { name: 'cfg' } }] },
        {
          name: 'b',
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }],
        },
      ],
      volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
    };
    expect(names(workload('Deployment', spec))).toEqual(['ConfigMap/cfg']);
    // The deprecated field still names the account.
    expect(names(workload('Deployment', { serviceAccount: 'old', containers: [] }))).toEqual([
      'ServiceAccount/old',
    ]);
  });

  it('marks a dependency optional only when every reference to it is optional', () => {
    const spec = {
      containers: [
        {
          name: 'a',
          envFrom: [
            { configMapRef: { name: 'maybe', optional: true } },
            { configMapRef: { name: 'both', optional: true } },
          ],
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'both', key: 'x' } } }],
        },
      ],
      imagePullSecrets: [{ name: 'pull' }],
    };
    expect(dependenciesOf(workload('Deployment', spec))).toEqual([
      { kind: 'ConfigMap', name: 'both', optional: false },
      { kind: 'ConfigMap', name: 'maybe', optional: true },
      { kind: 'Secret', name: 'pull', optional: true },
    ]);
  });
});

describe('member copies of dependencies', () => {
  const hubCm: MemberObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'cfg',
      namespace: 'ns',
      uid: 'hub-uid',
      resourceVersion: '7',
      labels: { team: 'x' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
    },
    data: { A: '1' },
  };
  const mine = requiredByLabel('web-deployment');
  const other = requiredByLabel('api-deployment');

  it('labels a new copy with the binding that needs it, without the hub bookkeeping', () => {
    const copy = dependencyCopy('ConfigMap', hubCm, undefined, mine);
    expect(copy).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cfg',
        namespace: 'ns',
        labels: {
          team: 'x',
          [mine.key]: 'web-deployment',
          'app.kubernetes.io/managed-by': 'spillway',
        },
        annotations: { keep: 'me' },
      },
      data: { A: '1' },
    });
  });

  it('keeps the labels of the other bindings and takes the data from the hub, removed keys included', () => {
    const existing: MemberObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cfg',
        namespace: 'ns',
        resourceVersion: '99',
        managedFields: [{ manager: 'spillway' }],
        labels: { [other.key]: other.value, 'app.kubernetes.io/managed-by': 'spillway' },
      },
      data: { A: '0', OLD: 'gone' },
    };
    const copy = dependencyCopy('ConfigMap', hubCm, existing, mine);
    expect(copy.data).toEqual({ A: '1' });
    expect(copy.metadata?.resourceVersion).toBe('99');
    expect(copy.metadata?.managedFields).toBeUndefined();
    expect(requiredByKeys(copy.metadata?.labels)).toEqual([mine.key, other.key].sort());
    expect(dependencyDiffers('ConfigMap', existing, copy)).toBe(true);
    expect(
      dependencyDiffers('ConfigMap', copy, dependencyCopy('ConfigMap', hubCm, copy, mine)),
    ).toBe(false);

    const released = withoutRequiredBy(copy, mine.key);
    expect(requiredByKeys(released.metadata?.labels)).toEqual([other.key]);
  });

  it("keeps a template's own binding mark on a copy that is also a dependency", () => {
    const existing: MemberObject = {
      metadata: {
        name: 'cfg',
        namespace: 'ns',
        annotations: { 'fleet.spillway.dev/binding': 'ns/cfg-configmap' },
        labels: { 'app.kubernetes.io/managed-by': 'spillway' },
      },
      data: { A: '1' },
    };
    const copy = dependencyCopy('ConfigMap', hubCm, existing, mine);
    expect(copy.metadata?.annotations).toEqual({
      keep: 'me',
      'fleet.spillway.dev/binding': 'ns/cfg-configmap',
    });
  });

  it("drops a PVC's bound volume and a ServiceAccount's token Secrets, and never rewrites a claim's spec", () => {
    const pvc: MemberObject = {
      metadata: {
        name: 'data',
        namespace: 'ns',
        annotations: { 'pv.kubernetes.io/bind-completed': 'yes' },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        volumeName: 'pv-1',
      },
      status: { phase: 'Bound' },
    };
    const created = dependencyCopy('PersistentVolumeClaim', pvc, undefined, mine);
    expect(created.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    });
    expect(created.status).toBeUndefined();
    expect(created.metadata?.annotations).toEqual({});
    const memberPvc = {
      ...created,
      spec: { ...(created.spec as object), volumeName: 'member-pv' },
    };
    expect(dependencyCopy('PersistentVolumeClaim', pvc, memberPvc, mine).spec).toEqual(
      memberPvc.spec,
    );

    const sa: MemberObject = {
      metadata: { name: 'runner', namespace: 'ns' },
      secrets: [{ name: 'runner-token-abc' }],
      imagePullSecrets: [{ name: 'pull' }],
    };
    const saCopy = dependencyCopy('ServiceAccount', sa, undefined, mine);
    expect(saCopy.secrets).toBeUndefined();
    expect(saCopy.imagePullSecrets).toEqual([{ name: 'pull' }]);
  });

  it('names the binding in the label value when it fits, and hashes keys to a valid label name', () => {
    const long = `${'x'.repeat(240)}-deployment`;
    const l = requiredByLabel(long);
    expect(l.key).toMatch(/^requiredby\.fleet\.spillway\.dev\/[0-9a-f]{16}$/);
    expect(l.value).toMatch(/^[0-9a-f]{16}$/);
    expect(requiredByLabel('web-deployment').value).toBe('web-deployment');
    expect(requiredByLabel('web-deployment').key).not.toBe(requiredByLabel('api-deployment').key);
  });
});

describe('the DependenciesApplied condition', () => {
  it('names missing dependencies and other problems, and lists what was propagated', () => {
    const refs = [{ kind: 'ConfigMap' as const, name: 'cfg', optional: false }];
    expect(
      dependencyCondition({ refs, missing: ['ConfigMap cfg'], problems: [], pending: false }),
    ).toEqual({
      status: 'False',
      reason: 'DependencyMissing',
      message: 'not on the hub: ConfigMap cfg',
    });
    expect(
      dependencyCondition({
        refs,
        missing: [],
        problems: ['m1: member not reachable'],
        pending: true,
      }),
    ).toEqual({ status: 'False', reason: 'NotApplied', message: 'm1: member not reachable' });
    expect(dependencyCondition({ refs, missing: [], problems: [], pending: false })).toEqual({
      status: 'True',
      reason: 'Applied',
      message: 'propagated with the workload: ConfigMap cfg',
    });
  });
});

describe('adoption', () => {
  it("keeps only Spillway's apply records, so the old manager's fields no longer hold", () => {
    expect(
      ownEntries([
        { manager: 'kubectl-create', operation: 'Update' },
        { manager: 'spillway', operation: 'Update' },
        { manager: 'spillway', operation: 'Apply' },
        { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' },
      ]),
    ).toEqual([{ manager: 'spillway', operation: 'Apply' }]);
  });
});
