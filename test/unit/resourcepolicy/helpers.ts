/** Builders for ResourcePolicy decision tests: policies, pods and nodes as plain JSON. */
import type { ResourcePolicy, ResourcePolicySpec } from '../../../src/api/resourcepolicy.js';
import { GATE } from '../../../src/resourcepolicy/constants.js';
import { readPolicy, type Policy } from '../../../src/resourcepolicy/spec.js';
import type { NodeLabelsOf, PolicyPod } from '../../../src/resourcepolicy/types.js';
import type { PolicySummary } from '../../../src/resourcepolicy/policy-counts.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

export function policyOf(spec: Partial<ResourcePolicySpec>, createdMs = T0): Policy {
  const rp: ResourcePolicy = {
    apiVersion: 'scheduling.alibabacloud.com/v1alpha1',
    kind: 'ResourcePolicy',
    metadata: {
      name: 'rp',
      namespace: 'ns',
      uid: 'u1',
      generation: 1,
      creationTimestamp: new Date(createdMs).toISOString(),
    },
    spec: { units: [{ resource: 'ecs' }], ...spec },
  };
  const { policy, errors } = readPolicy(rp);
  if (!policy) throw new Error(errors.join('; '));
  return policy;
}

export interface PodOpts {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  cpu?: string;
  gated?: boolean;
  createdMs?: number;
  terminating?: boolean;
  owned?: boolean;
  phase?: string;
  priority?: number;
}

export function pod(name: string, o: PodOpts = {}): PolicyPod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: name,
      resourceVersion: '1',
      creationTimestamp: new Date(o.createdMs ?? T0 + 1000).toISOString(),
      labels: { app: 'web', ...(o.labels ?? {}) },
      annotations: o.annotations ?? {},
      ...(o.terminating ? { deletionTimestamp: new Date(T0).toISOString() } : {}),
      ownerReferences: o.owned === false ? [] : [{ kind: 'ReplicaSet', controller: true }],
    },
    spec: {
      containers: [{ resources: { requests: { cpu: o.cpu ?? '1' } } }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.gated ? { schedulingGates: [{ name: GATE }] } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
    },
    status: { phase: o.phase ?? (o.nodeName ? 'Running' : 'Pending') },
  };
}

/** Nodes by name: pool-a-0.. carry pool=a, vk-0 is a virtual node. */
export function nodes(map: Record<string, Record<string, string>>): NodeLabelsOf {
  return (name) => map[name];
}

export const POOLS = nodes({
  'a-0': { pool: 'a' },
  'a-1': { pool: 'a' },
  'b-0': { pool: 'b' },
  'b-1': { pool: 'b' },
  'vk-0': { type: 'virtual-kubelet', 'alibabacloud.com/virtual-node-type': 'eci' },
});

/**
 * A policy summary in a form `toEqual` compares: maps as sorted objects, zero amounts left out
 * (counts kept from the watch drop them, a scan keeps them).
 */
export function comparable(s: PolicySummary | undefined) {
  if (!s) return undefined;
  const sorted = <V>(m: ReadonlyMap<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
  const amounts = (m: ReadonlyMap<string, bigint>) =>
    Object.fromEntries(sorted(m).filter(([, v]) => v !== 0n));
  return {
    gated: s.gated,
    gatedRequests: { sum: amounts(s.gatedRequests.sum), max: amounts(s.gatedRequests.max) },
    leavesAtMs: s.leavesAtMs,
    tallies: s.tallies.map((t) => ({
      pods: t.pods,
      unbound: t.unbound,
      terminating: t.terminating,
      resources: amounts(t.resources),
      byGroup: Object.fromEntries(sorted(t.byGroup)),
      resourcesByGroup: Object.fromEntries(
        sorted(t.resourcesByGroup).map(([g, m]) => [g, amounts(m)]),
      ),
    })),
  };
}
