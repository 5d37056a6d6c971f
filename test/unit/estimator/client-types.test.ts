// The estimator's input types are structural; this checks, at compile time (ts-jest type-checks
// tests), that @kubernetes/client-node objects can be passed to it as the informer hands them.
import { describe, expect, it } from '@jest/globals';
import type { V1Node, V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import { Estimator } from '../../../src/estimator/index.js';

describe('input types', () => {
  it('accept client-node V1Node, V1Pod and V1PodTemplateSpec', () => {
    const n: V1Node = {
      metadata: { name: 'n1', labels: { pool: 'a' } },
      spec: { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] },
      status: {
        allocatable: { cpu: '2', pods: '10' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
    const p: V1Pod = {
      metadata: { uid: 'u1', deletionTimestamp: new Date() },
      spec: { nodeName: 'n1', containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] },
      status: { phase: 'Running' },
    };
    const t: V1PodTemplateSpec = {
      spec: {
        containers: [{ name: 'c', resources: { requests: { cpu: '500m' } } }],
        tolerations: [{ operator: 'Exists' }],
      },
    };
    const e = new Estimator();
    e.upsertNode(n);
    e.upsertPod(p);
    expect(e.maxReplicas(t)).toBe(2);
  });
});
