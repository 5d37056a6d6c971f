/** Issue 11 items 9 and 10: DaemonSet pods are left alone; a deleted policy's gauge goes away. */
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { gateDecision } from '../../../src/resourcepolicy/gate.js';
import {
  GatedPodsReporter,
  newResourcePolicyMetrics,
} from '../../../src/resourcepolicy/metrics.js';
import { pod } from './helpers.js';

const daemonPod = (name: string, nodeName?: string) => {
  const p = pod(name, nodeName ? { nodeName } : {});
  return {
    ...p,
    metadata: { ...p.metadata, ownerReferences: [{ kind: 'DaemonSet', controller: true }] },
  };
};

describe('DaemonSet pods', () => {
  it('are never gated, even under an empty-selector policy', () => {
    const everything = [{ name: 'all', namespace: 'ns', createdMs: 0, selector: {} }];
    expect(gateDecision(daemonPod('ds-x'), 'ns', everything).patch).toEqual([]);
    expect(gateDecision(pod('web-x'), 'ns', everything).patch).not.toEqual([]);
  });
});

describe('GatedPodsReporter', () => {
  it('removes the series of a policy that is gone, keeps the others', async () => {
    const registry = new Registry();
    const metrics = newResourcePolicyMetrics(registry);
    const reporter = new GatedPodsReporter(metrics.gatedPods);
    reporter.report(
      'ns',
      new Map([
        ['a', 3],
        ['b', 1],
      ]),
    );
    reporter.report('other', new Map([['c', 2]]));
    reporter.report('ns', new Map([['b', 0]])); // a deleted
    const text = await registry.getSingleMetricAsString('spillway_resourcepolicy_gated_pods');
    expect(text).not.toMatch(/policy="a"/);
    expect(text).toMatch(/namespace="ns",policy="b"} 0/);
    expect(text).toMatch(/namespace="other",policy="c"} 2/);
    reporter.report('ns', new Map()); // the last policy of ns deleted
    const after = await registry.getSingleMetricAsString('spillway_resourcepolicy_gated_pods');
    expect(after).not.toMatch(/namespace="ns"/);
  });
});
