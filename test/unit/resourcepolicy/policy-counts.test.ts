import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { GATE } from '../../../src/resourcepolicy/constants.js';
import {
  PolicyCounts,
  leavesAtMs,
  summarizePods,
} from '../../../src/resourcepolicy/policy-counts.js';
import { matchingPolicies } from '../../../src/resourcepolicy/select.js';
import type { Policy } from '../../../src/resourcepolicy/spec.js';
import { isDaemonSetPod, type PolicyPod } from '../../../src/resourcepolicy/types.js';
import { T0, comparable, pod, policyOf } from './helpers.js';

const UNITS = [
  { resource: 'ecs' as const, nodeSelector: { pool: 'a' }, max: 2 },
  { resource: 'ecs' as const, nodeSelector: { pool: 'b' }, max: 3 },
  { resource: 'eci' as const },
];

function policies(generation: number, ignoreTerminatingPod: boolean): Policy[] {
  const web = policyOf({
    selector: { app: 'web' },
    units: UNITS,
    matchLabelKeys: ['rev'],
    ignoreTerminatingPod,
    whenTryNextUnits: { policy: 'TimeoutOrExceedMax', timeout: '1m' },
  });
  // More specific: wins the pods labelled tier=x.
  const x = policyOf({ selector: { app: 'web', tier: 'x' }, units: UNITS.slice(1) });
  return [
    { ...web, generation },
    { ...x, name: 'rp-x', uid: 'u2' },
  ];
}

const podArb = fc.record({
  name: fc.constantFrom('p0', 'p1', 'p2', 'p3', 'p4', 'p5'),
  generation: fc.nat(3),
  tier: fc.boolean(),
  rev: fc.constantFrom('r1', 'r2', undefined),
  node: fc.constantFrom(undefined, 'a-0', 'a-1', 'b-0', 'vk-0', 'gone'),
  unit: fc.constantFrom(undefined, '0', '1', '2'),
  gated: fc.boolean(),
  terminating: fc.boolean(),
  phase: fc.constantFrom(undefined, 'Succeeded'),
  waiting: fc.boolean(),
  unschedulable: fc.boolean(),
  daemon: fc.boolean(),
  cpu: fc.constantFrom('100m', '1', '0'),
  assignedAgoMs: fc.constantFrom(0, 30_000, 90_000),
});

type PodArb = typeof podArb extends fc.Arbitrary<infer T> ? T : never;

function build(o: PodArb): PolicyPod {
  const p = pod(o.name, {
    labels: { ...(o.tier ? { tier: 'x' } : {}), ...(o.rev ? { rev: o.rev } : {}) },
    annotations: {
      ...(o.unit !== undefined
        ? {
            'scheduling.spillway.dev/resource-policy': o.tier ? 'rp-x' : 'rp',
            'scheduling.spillway.dev/unit': o.unit,
            'scheduling.spillway.dev/assigned-at': new Date(T0 - o.assignedAgoMs).toISOString(),
          }
        : {}),
      ...(o.waiting ? { 'scheduling.spillway.dev/waiting-for-capacity': 'true' } : {}),
    },
    ...(o.node ? { nodeName: o.node } : {}),
    gated: o.gated,
    terminating: o.terminating,
    cpu: o.cpu,
    ...(o.phase ? { phase: o.phase } : {}),
  });
  return {
    ...p,
    metadata: {
      ...p.metadata,
      uid: `${o.name}-${o.generation}`,
      ownerReferences: [
        { kind: o.daemon ? 'DaemonSet' : 'ReplicaSet', controller: true, uid: 'owner' },
      ],
    },
    status: {
      ...p.status,
      ...(o.unschedulable
        ? { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }
        : {}),
    },
  };
}

type Op =
  | { kind: 'set'; pod: PodArb }
  | { kind: 'delete'; name: string }
  | { kind: 'relabel'; node: string; pool: string | undefined }
  | { kind: 'policies'; generation: number }
  | { kind: 'ask' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: podArb.map((p) => ({ kind: 'set' as const, pod: p })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('p0', 'p1', 'p2', 'p3', 'p4', 'p5')
      .map((name) => ({ kind: 'delete' as const, name })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        node: fc.constantFrom('a-0', 'a-1', 'b-0', 'gone'),
        pool: fc.constantFrom('a', 'b', undefined),
      })
      .map((r) => ({ kind: 'relabel' as const, ...r })),
  },
  {
    weight: 1,
    arbitrary: fc.nat(2).map((generation) => ({ kind: 'policies' as const, generation })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'ask' as const }) },
);

describe('PolicyCounts (admission counts kept from the pod watch)', () => {
  it('equals a scan of the pods after any sequence of pod, node and policy changes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.boolean(), (ops, itp) => {
        const nodeMap = new Map<string, Record<string, string>>([
          ['a-0', { pool: 'a' }],
          ['a-1', { pool: 'a' }],
          ['b-0', { pool: 'b' }],
          ['vk-0', { type: 'virtual-kubelet', 'alibabacloud.com/virtual-node-type': 'eci' }],
        ]);
        const nodeLabels = (name: string) => nodeMap.get(name);
        // The cache, by name (a new pod of a name replaces the old one, as a re-list does).
        const cache = new Map<string, PolicyPod>();
        const counts = new PolicyCounts({ pods: () => [...cache.values()], nodeLabels });
        let current = policies(1, itp);
        const check = () => {
          for (const policy of current) {
            const wins = [...cache.values()].filter(
              (p) =>
                !isDaemonSetPod(p) &&
                matchingPolicies(current, 'ns', p.metadata?.labels)[0] === policy,
            );
            expect(comparable(counts.summary('ns', current, policy.name))).toEqual(
              comparable(summarizePods(policy, wins, nodeLabels)),
            );
          }
        };
        for (const op of ops) {
          switch (op.kind) {
            case 'set': {
              const p = build(op.pod);
              cache.set(op.pod.name, p);
              counts.setPod('ns', p.metadata?.uid ?? '', p);
              break;
            }
            case 'delete': {
              const p = cache.get(op.name);
              cache.delete(op.name);
              if (p) counts.setPod('ns', p.metadata?.uid ?? '', undefined);
              break;
            }
            case 'relabel':
              if (op.pool === undefined) nodeMap.delete(op.node);
              else nodeMap.set(op.node, { pool: op.pool });
              counts.nodeChanged(op.node);
              break;
            case 'policies':
              current = policies(op.generation, itp);
              break;
            case 'ask':
              check();
          }
        }
        check();
      }),
      { numRuns: 400 },
    );
  });

  it('tells when a pod leaves its unit: at once when unschedulable there, at the end of a timed wait', () => {
    const policy = policyOf({
      units: UNITS,
      whenTryNextUnits: { policy: 'TimeoutOrExceedMax', timeout: '1m' },
    });
    const placed = (extra: Record<string, string>, unschedulable = false): PolicyPod => ({
      ...pod('w', {
        annotations: {
          'scheduling.spillway.dev/resource-policy': 'rp',
          'scheduling.spillway.dev/unit': '0',
          'scheduling.spillway.dev/assigned-at': new Date(T0).toISOString(),
          ...extra,
        },
      }),
      status: {
        phase: 'Pending',
        ...(unschedulable
          ? { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }
          : {}),
      },
    });
    expect(
      leavesAtMs(policy, placed({ 'scheduling.spillway.dev/waiting-for-capacity': 'true' })),
    ).toBe(T0 + 60_000);
    expect(leavesAtMs(policy, placed({}, true))).toBe(-Infinity);
    expect(leavesAtMs(policy, placed({}))).toBe(Infinity);
    const counts = new PolicyCounts({
      pods: () => [placed({ 'scheduling.spillway.dev/waiting-for-capacity': 'true' })],
      nodeLabels: () => undefined,
    });
    expect(counts.summary('ns', [policy], 'rp')?.leavesAtMs).toBe(T0 + 60_000);
    counts.setPod('ns', 'w', undefined);
    expect(counts.summary('ns', [policy], 'rp')?.leavesAtMs).toBe(Infinity);
  });

  it('counts a gated pod until its gate is lifted', () => {
    const policy = policyOf({ units: UNITS });
    const gated = pod('g', { gated: true });
    const counts = new PolicyCounts({ pods: () => [gated], nodeLabels: () => undefined });
    expect(counts.summary('ns', [policy], 'rp')?.gated).toBe(1);
    counts.setPod('ns', 'g', { ...gated, spec: { ...gated.spec, schedulingGates: [] } });
    expect(counts.summary('ns', [policy], 'rp')?.gated).toBe(0);
    expect(gated.spec?.schedulingGates?.[0]?.name).toBe(GATE);
  });
});
