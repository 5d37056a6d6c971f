import { describe, expect, it } from '@jest/globals';
import { memberCopy, hasReplicas, type TemplateObject } from '../../../src/fleet/member-copy.js';
import { ownershipOf } from '../../../src/fleet/ownership.js';
import { aggregate, aggregatedItems } from '../../../src/fleet/status-aggregate.js';
import { PendingPods } from '../../../src/fleet/pending-pods.js';

const deployment: TemplateObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'qwen3',
    namespace: 'test',
    uid: 'hub-uid',
    resourceVersion: '42',
    generation: 3,
    finalizers: ['fleet.spillway.dev/cleanup'],
    labels: { app: 'qwen3' },
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'deployment.kubernetes.io/revision': '1',
      keep: 'me',
    },
  },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: 'qwen3' } },
    template: { metadata: { labels: { app: 'qwen3' } }, spec: { containers: [] } },
  },
  status: { replicas: 4 },
};

describe('member copies', () => {
  it("strips hub-only metadata and status, marks ownership and sets this cluster's replicas", () => {
    const copy = memberCopy(deployment, 'test/qwen3-deployment', 2);
    expect(copy.metadata).toEqual({
      name: 'qwen3',
      namespace: 'test',
      labels: { app: 'qwen3', 'app.kubernetes.io/managed-by': 'spillway' },
      annotations: { keep: 'me', 'fleet.spillway.dev/binding': 'test/qwen3-deployment' },
    });
    expect(copy.status).toBeUndefined();
    expect(copy.spec?.replicas).toBe(2);
    expect(deployment.spec?.replicas).toBe(4); // the template is not mutated
    expect(hasReplicas(deployment)).toBe(true);
  });

  it("drops a Service's hub-allocated IPs and node ports", () => {
    const svc: TemplateObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'qwen3', namespace: 'test' },
      spec: {
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        type: 'NodePort',
        ports: [{ port: 8000, nodePort: 30001 }],
        selector: { app: 'qwen3' },
      },
    };
    const copy = memberCopy(svc, 'test/qwen3-service', undefined);
    expect(copy.spec).toEqual({
      type: 'NodePort',
      ports: [{ port: 8000 }],
      selector: { app: 'qwen3' },
    });
    expect(hasReplicas(svc)).toBe(false);
  });

  it('touches only its own copies unless the template opts in to adoption', () => {
    const ours = { metadata: { labels: { 'app.kubernetes.io/managed-by': 'spillway' } } };
    const theirs = { metadata: { labels: { app: 'x' } } };
    expect(ownershipOf(undefined, deployment)).toBe('absent');
    expect(ownershipOf(ours, deployment)).toBe('ours');
    expect(ownershipOf(theirs, deployment)).toBe('foreign');
    expect(
      ownershipOf(theirs, {
        metadata: { annotations: { 'fleet.spillway.dev/adopt-existing': 'true' } },
      }),
    ).toBe('adoptable');
  });
});

describe('status aggregation', () => {
  it('sums member workload status into the hub status', () => {
    const members = [
      {
        cluster: 'idc',
        applied: true,
        upToDate: true,
        status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 },
      },
      {
        cluster: 'ack',
        applied: true,
        upToDate: true,
        status: {
          replicas: 2,
          readyReplicas: 0,
          availableReplicas: 0,
          updatedReplicas: 2,
          unavailableReplicas: 2,
        },
        waitingForCapacity: 2,
      },
      { cluster: 'down', applied: false, upToDate: false, message: 'member not reachable' },
    ];
    expect(aggregate(members)).toEqual({
      replicas: 4,
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 4,
      unavailableReplicas: 2,
    });
    expect(aggregatedItems(members)[1]).toEqual({
      clusterName: 'ack',
      applied: true,
      replicas: 2,
      readyReplicas: 0,
      availableReplicas: 0,
      updatedReplicas: 2,
      waitingForCapacity: 2,
    });
    expect(aggregatedItems(members)[2]).toEqual({
      clusterName: 'down',
      applied: false,
      message: 'member not reachable',
    });
  });
});

describe('pending pods', () => {
  const pod = (name: string, extra: object) => ({
    metadata: { uid: name, namespace: 'test', name, labels: { app: 'qwen3' } },
    ...extra,
  });
  it('counts unbound pods of a workload and how long they are unschedulable', () => {
    const p = new PendingPods();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    p.upsert(pod('a', { status: { phase: 'Pending' } }));
    p.upsert(
      pod('b', {
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      }),
    );
    p.upsert(pod('c', { spec: { nodeName: 'n1' }, status: { phase: 'Running' } }));
    p.upsert({
      metadata: { uid: 'd', namespace: 'other', labels: { app: 'qwen3' } },
      status: { phase: 'Pending' },
    });
    expect(p.count('test', { matchLabels: { app: 'qwen3' } }, 60_000, t0 + 30_000)).toEqual({
      pending: 2,
      unschedulable: 1,
      unschedulableFor: 0,
    });
    expect(
      p.count('test', { matchLabels: { app: 'qwen3' } }, 60_000, t0 + 90_000).unschedulableFor,
    ).toBe(1);
    p.upsert(pod('b', { spec: { nodeName: 'n2' }, status: { phase: 'Pending' } })); // bound now
    expect(p.count('test', { matchLabels: { app: 'qwen3' } }, 0, t0).pending).toBe(1);
    expect(p.size).toBe(2);
  });
});
