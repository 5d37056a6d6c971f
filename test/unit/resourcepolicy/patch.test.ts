import { describe, expect, it } from '@jest/globals';
import { assignmentPatch, releasePatch } from '../../../src/resourcepolicy/patch.js';
import { deletionCost } from '../../../src/resourcepolicy/deletion-cost.js';
import { pod, policyOf } from './helpers.js';

const NOW = '2026-01-01T00:01:00.000Z';

describe('assignmentPatch', () => {
  const policy = policyOf({
    units: [
      {
        resource: 'ecs',
        nodeSelector: { pool: 'a' },
        podLabels: { tier: 'first', 'k8s.aliyun.com/resource-policy-wait-for-ecs-scaling': 'true' },
        podAnnotations: { note: 'x' },
      },
      { resource: 'eci' },
      { resource: 'acs' },
    ],
  });
  const gated = {
    ...pod('p', { gated: true, nodeSelector: { zone: 'z1' } }),
  };
  const withOtherGate = {
    ...gated,
    spec: {
      ...gated.spec,
      schedulingGates: [{ name: 'other' }, { name: 'scheduling.alibabacloud.com/resource-policy' }],
    },
  };

  it('adds the unit nodeSelector to the pod own, its labels and annotations, and lifts only our gate', () => {
    const u = policy.units[0];
    if (!u) throw new Error('unit');
    const patch = assignmentPatch(withOtherGate, { policy, unit: u, nowIso: NOW, waiting: true });
    expect(patch.spec?.nodeSelector).toEqual({ zone: 'z1', pool: 'a' });
    expect(patch.spec?.schedulingGates).toEqual([{ name: 'other' }]);
    expect(patch.spec?.tolerations).toBeUndefined();
    expect(patch.metadata.labels).toEqual({ tier: 'first' });
    expect(patch.metadata.resourceVersion).toBe('1');
    expect(patch.metadata.annotations).toMatchObject({
      note: 'x',
      'scheduling.spillway.dev/resource-policy': 'rp',
      'scheduling.spillway.dev/unit': '0',
      'scheduling.spillway.dev/assigned-at': NOW,
      'scheduling.spillway.dev/waiting-for-capacity': 'true',
      'controller.kubernetes.io/pod-deletion-cost': '3',
    });
  });

  it('sends virtual units to virtual nodes with their toleration, keeping the pod tolerations', () => {
    const u = policy.units[1];
    if (!u) throw new Error('unit');
    const own = {
      ...gated,
      spec: { ...gated.spec, tolerations: [{ key: 'k', operator: 'Exists' }] },
    };
    const patch = assignmentPatch(own, { policy, unit: u, nowIso: NOW, waiting: false });
    expect(patch.spec?.nodeSelector).toEqual({ zone: 'z1', type: 'virtual-kubelet' });
    expect(patch.spec?.tolerations).toEqual([
      { key: 'k', operator: 'Exists' },
      { key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(
      patch.metadata.annotations['scheduling.spillway.dev/waiting-for-capacity'],
    ).toBeUndefined();
  });

  it('labels ACS pods with a compute class and QoS that podLabels may override', () => {
    const u = policy.units[2];
    if (!u) throw new Error('unit');
    expect(
      assignmentPatch(gated, { policy, unit: u, nowIso: NOW, waiting: false }).metadata.labels,
    ).toEqual({
      'alibabacloud.com/compute-class': 'general-purpose',
      'alibabacloud.com/compute-qos': 'default',
    });
  });

  it('release lifts the gate and changes nothing else', () => {
    expect(releasePatch(withOtherGate)).toEqual({
      metadata: { resourceVersion: '1', annotations: {} },
      spec: { schedulingGates: [{ name: 'other' }] },
    });
  });
});

describe('deletionCost', () => {
  it('makes later units cheaper, and every unit dearer than a pod without cost', () => {
    const costs = [0, 1, 2].map((i) => Number(deletionCost(i, 3)));
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    expect(Math.min(...costs)).toBeGreaterThan(0);
  });
});
