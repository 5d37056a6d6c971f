import { describe, expect, it } from '@jest/globals';
import type { AnyPropagationPolicy, ResourceSelector } from '../../../src/api/policy.js';
import { choosePolicy, policySpecificity } from '../../../src/fleet/policy-match.js';

function pp(
  name: string,
  selectors: ResourceSelector[],
  extra: { priority?: number; namespace?: string; cluster?: boolean } = {},
): AnyPropagationPolicy {
  const spec = {
    resourceSelectors: selectors,
    ...(extra.priority !== undefined ? { priority: extra.priority } : {}),
  };
  return extra.cluster
    ? {
        apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
        kind: 'ClusterPropagationPolicy',
        metadata: { name },
        spec,
      }
    : {
        apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
        kind: 'PropagationPolicy',
        metadata: { name, namespace: extra.namespace ?? 'test' },
        spec,
      };
}

const qwen3 = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'test',
  name: 'qwen3',
  labels: { app: 'qwen3' },
};
const byKind: ResourceSelector = { apiVersion: 'apps/v1', kind: 'Deployment' };

describe('policy matching', () => {
  it('matches the seed policy (kind and namespace) to the seed Deployment', () => {
    const seed = pp('vllm-deploy-pp', [
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test' },
    ]);
    expect(choosePolicy(qwen3, [seed])?.policy.metadata.name).toBe('vllm-deploy-pp');
  });

  it('does not match another kind, apiVersion, name or namespace', () => {
    expect(policySpecificity(qwen3, pp('a', [{ apiVersion: 'v1', kind: 'Service' }]))).toBe(0);
    expect(
      policySpecificity(
        qwen3,
        pp('a', [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'other' }]),
      ),
    ).toBe(0);
    expect(policySpecificity(qwen3, pp('a', [{ ...byKind, namespace: 'prod' }]))).toBe(0);
    // A namespaced policy never reaches into another namespace.
    expect(policySpecificity(qwen3, pp('a', [byKind], { namespace: 'prod' }))).toBe(0);
    // A cluster policy does.
    expect(policySpecificity(qwen3, pp('a', [byKind], { cluster: true }))).toBe(1);
  });

  it('prefers higher priority, then the more specific selector, then the namespaced policy, then the name', () => {
    const kind = pp('z-kind', [byKind]);
    const labels = pp('y-labels', [
      { ...byKind, labelSelector: { matchLabels: { app: 'qwen3' } } },
    ]);
    const named = pp('x-name', [{ ...byKind, name: 'qwen3' }]);
    const urgent = pp('w-urgent', [byKind], { priority: 10 });
    const cluster = pp('a-cluster', [{ ...byKind, name: 'qwen3' }], { cluster: true });
    expect(choosePolicy(qwen3, [kind, labels])?.policy.metadata.name).toBe('y-labels');
    expect(choosePolicy(qwen3, [kind, labels, named])?.policy.metadata.name).toBe('x-name');
    expect(choosePolicy(qwen3, [kind, labels, named, urgent])?.policy.metadata.name).toBe(
      'w-urgent',
    );
    expect(choosePolicy(qwen3, [cluster, named])?.policy.metadata.name).toBe('x-name');
  });

  it('lets any matching PropagationPolicy beat a ClusterPropagationPolicy, whatever the priorities (as Karmada)', () => {
    const low = pp('z-low', [byKind], { priority: 0 });
    const urgentCluster = pp('a-urgent', [{ ...byKind, name: 'qwen3' }], {
      cluster: true,
      priority: 100,
    });
    const choice = choosePolicy(qwen3, [urgentCluster, low]);
    expect(choice?.policy.kind).toBe('PropagationPolicy');
    expect(choice?.policy.metadata.name).toBe('z-low');
    expect(choice?.tiedWith).toEqual([]);
    // Without a namespaced match, cluster policies compete by priority among themselves.
    const calmCluster = pp('b-calm', [{ ...byKind, name: 'qwen3' }], { cluster: true });
    expect(choosePolicy(qwen3, [calmCluster, urgentCluster])?.policy.metadata.name).toBe(
      'a-urgent',
    );
  });

  it('reports a tie and picks deterministically by name', () => {
    const a = pp('b-second', [byKind]);
    const b = pp('a-first', [byKind]);
    const choice = choosePolicy(qwen3, [a, b]);
    expect(choice?.policy.metadata.name).toBe('a-first');
    expect(choice?.tiedWith.map((p) => p.metadata.name)).toEqual(['b-second']);
    expect(choosePolicy(qwen3, [b, a])?.policy.metadata.name).toBe('a-first');
  });

  it('ignores policies being deleted', () => {
    const gone = pp('gone', [byKind]);
    gone.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(choosePolicy(qwen3, [gone])).toBeUndefined();
  });
});
