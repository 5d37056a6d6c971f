/**
 * Issue 11 items 3, 4 and 5: a unit's kind keeps pods on its kind of node (acs on ACS virtual
 * nodes, eci on ECI ones, ecs on real nodes only, even for pods that tolerate the virtual-node
 * taint), and a pod counts in the unit the controller recorded on it when units overlap.
 */
import { describe, expect, it } from '@jest/globals';
import { Estimator } from '../../../src/estimator/index.js';
import { unitEligibility, type UnitNode } from '../../../src/resourcepolicy/eligibility.js';
import { nodeInUnit, unitOf } from '../../../src/resourcepolicy/membership.js';
import { assignmentPatch, specInUnit } from '../../../src/resourcepolicy/patch.js';
import { tallyUnits } from '../../../src/resourcepolicy/counting.js';
import { nodes, pod, policyOf } from './helpers.js';

const VT = 'alibabacloud.com/virtual-node-type';
const TAINT = { key: 'virtual-kubelet.io/provider', value: 'alibabacloud', effect: 'NoSchedule' };
const NODES: UnitNode[] = [
  { name: 'a-0', labels: { pool: 'a', type: 'kwok' }, taints: [] },
  { name: 'eci-0', labels: { type: 'virtual-kubelet', [VT]: 'eci' }, taints: [TAINT] },
  { name: 'acs-0', labels: { type: 'virtual-kubelet', [VT]: 'acs' }, taints: [TAINT] },
];

function estimator(): Estimator {
  const e = new Estimator();
  for (const n of NODES)
    e.upsertNode({
      metadata: { name: n.name, labels: n.labels },
      spec: { taints: n.taints },
      status: {
        allocatable: { cpu: '100', memory: '100Gi', pods: '100' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  return e;
}

/** Nodes the estimator lets a pod of the unit go to: what kube-scheduler would allow. */
function reachable(unitIndex: number, tolerateVirtual = false): string[] {
  const policy = policyOf({
    units: [{ resource: 'ecs' }, { resource: 'eci' }, { resource: 'acs' }],
  });
  const unit = policy.units[unitIndex];
  if (!unit) throw new Error('unit');
  const p = pod('p', { gated: true });
  const spec = tolerateVirtual
    ? { ...p.spec, tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }] }
    : p.spec;
  return estimator()
    .breakdown({ spec: specInUnit(spec, unit) })
    .filter((f) => f.fits > 0)
    .map((f) => f.node);
}

describe('unit kinds', () => {
  it('an acs unit reaches only ACS virtual nodes, an eci unit only ECI ones', () => {
    expect(reachable(2)).toEqual(['acs-0']);
    expect(reachable(1)).toEqual(['eci-0']);
  });

  it('an ecs unit never reaches virtual nodes, even for a pod that tolerates their taint', () => {
    expect(reachable(0, true)).toEqual(['a-0']);
  });

  it('counts and membership follow the same kinds', () => {
    const policy = policyOf({ units: [{ resource: 'eci' }, { resource: 'acs' }] });
    const [eci, acs] = policy.units;
    if (!eci || !acs) throw new Error('units');
    expect(nodeInUnit(acs, NODES[1]?.labels ?? {})).toBe(false);
    expect(nodeInUnit(acs, NODES[2]?.labels ?? {})).toBe(true);
    expect(nodeInUnit(eci, NODES[2]?.labels ?? {})).toBe(false);
    // A virtual node without the type label may serve either kind.
    expect(nodeInUnit(acs, { type: 'virtual-kubelet' })).toBe(true);
  });

  it('the patch extends every term of the pod own required affinity with the kind', () => {
    const policy = policyOf({ units: [{ resource: 'ecs' }, { resource: 'acs' }] });
    const acs = policy.units[1];
    if (!acs) throw new Error('unit');
    const own = pod('p', { gated: true });
    const withAffinity = {
      ...own,
      spec: {
        ...own.spec,
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] },
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
              ],
            },
          },
        },
      },
    };
    const patch = assignmentPatch(withAffinity, {
      policy,
      unit: acs,
      nowIso: '2026-01-01T00:00:00Z',
      waiting: false,
    });
    const kind = { key: VT, operator: 'NotIn', values: ['eci'] };
    expect(
      patch.spec?.affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
    ).toEqual({
      nodeSelectorTerms: [
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }, kind] },
        {
          matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }],
          matchExpressions: [kind],
        },
      ],
    });
  });
});

describe('overlapping units', () => {
  it('a pod counts in the unit recorded on it, not the first unit containing its node', () => {
    // Unit 0 selects every real node; unit 1 (max 2) selects pool b, which unit 0 contains.
    const policy = policyOf({
      units: [{ resource: 'ecs' }, { resource: 'ecs', nodeSelector: { pool: 'b' }, max: 2 }],
    });
    const labels = nodes({ 'a-0': { pool: 'a' }, 'b-0': { pool: 'b' } });
    const sent = (name: string, unit: number) =>
      pod(name, {
        nodeName: 'b-0',
        annotations: {
          'scheduling.spillway.dev/resource-policy': 'rp',
          'scheduling.spillway.dev/unit': String(unit),
        },
      });
    const pods = [sent('x', 1), sent('y', 1), sent('z', 0), pod('old', { nodeName: 'b-0' })];
    expect(pods.map((p) => unitOf(policy, p, labels))).toEqual([1, 1, 0, 0]);
    expect(tallyUnits(policy, pods, labels).map((t) => t.pods)).toEqual([2, 2]);
  });

  it('falls back to the node when the recorded unit no longer contains it (units edited)', () => {
    const policy = policyOf({
      units: [
        { resource: 'ecs', nodeSelector: { pool: 'a' } },
        { resource: 'ecs', nodeSelector: { pool: 'c' } },
      ],
    });
    const p = pod('x', {
      nodeName: 'a-0',
      annotations: {
        'scheduling.spillway.dev/resource-policy': 'rp',
        'scheduling.spillway.dev/unit': '1',
      },
    });
    expect(unitOf(policy, p, nodes({ 'a-0': { pool: 'a' } }))).toBe(0);
  });
});

describe('unitEligibility', () => {
  it('tells nodes the pod own nodeSelector excludes from nodes that are full', () => {
    const policy = policyOf({ units: [{ resource: 'ecs' }, { resource: 'eci' }] });
    const [ecs, eci] = policy.units;
    if (!ecs || !eci) throw new Error('units');
    const picky = pod('p', { gated: true, nodeSelector: { disk: 'ssd' } });
    expect(unitEligibility(picky, ecs, NODES)).toEqual({ unitNodes: 1, eligibleNodes: 0 });
    expect(unitEligibility(picky, eci, NODES)).toEqual({ unitNodes: 1, eligibleNodes: 0 });
    const plain = pod('q', { gated: true });
    expect(unitEligibility(plain, ecs, NODES)).toEqual({ unitNodes: 1, eligibleNodes: 1 });
    expect(unitEligibility(plain, eci, NODES)).toEqual({ unitNodes: 1, eligibleNodes: 1 });
  });
});
