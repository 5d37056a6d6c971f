import { describe, expect, it } from '@jest/globals';
import type { ResourceBinding } from '../../../src/api/fleet.js';
import type { AnyPropagationPolicy } from '../../../src/api/policy.js';
import { makePlan, type Plan, type PlanMember } from '../../../src/cli/amc/plan.js';
import { planTarget } from '../../../src/cli/amc/plan-command.js';
import { planText } from '../../../src/cli/amc/plan-format.js';
import { PlanInputError, policiesFromFile } from '../../../src/cli/amc/plan-read.js';
import { parseArgs } from '../../../src/cli/kubectl-amc.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

/** A hub Deployment asking one GPU per replica. */
const template: TemplateObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'qwen3', namespace: 'test', uid: 'u-1', labels: { app: 'qwen3' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'qwen3' } },
    template: {
      metadata: { labels: { app: 'qwen3' } },
      spec: {
        containers: [{ name: 'vllm', resources: { requests: { 'nvidia.com/gpu': '1' } } }],
      },
    },
  },
};

function policy(groups: [string, string][], ecsProvision = true): AnyPropagationPolicy {
  return {
    apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
    kind: 'PropagationPolicy',
    metadata: { name: 'pp', namespace: 'test' },
    spec: {
      autoScaling: { ecsProvision },
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test' }],
      placement: {
        clusterAffinities: groups.map(([affinityName, c]) => ({
          affinityName,
          clusterNames: [c],
        })),
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { dynamicWeight: 'AvailableReplicas' },
        },
      },
    },
  } as AnyPropagationPolicy;
}

const gpuNode = (name: string) => ({
  metadata: { name, labels: {} },
  status: {
    allocatable: { cpu: '8', memory: '32Gi', pods: '110', 'nvidia.com/gpu': '1' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
});
const runningPod = (name: string, node: string) => ({
  metadata: { name, namespace: 'test', uid: name, labels: { app: 'qwen3' } },
  spec: {
    nodeName: node,
    containers: [{ name: 'vllm', resources: { requests: { 'nvidia.com/gpu': '1' } } }],
  },
  status: { phase: 'Running' },
});

function cluster(name: string, more: Partial<PlanMember> = {}): PlanMember {
  return {
    name,
    alias: `${name}-alias`,
    labels: {},
    deleting: false,
    ready: true,
    notReadySeconds: 0,
    canProvision: false,
    nodes: [],
    pods: [],
    requestFailed: false,
    ...more,
  };
}

/** The seed's state after step 2: idc has 2 GPU nodes, both used by the 2 replicas. */
const idcFull = cluster('idc', {
  nodes: [gpuNode('g1'), gpuNode('g2')],
  pods: [runningPod('p1', 'g1'), runningPod('p2', 'g2')],
  copyStatus: { replicas: 2, readyReplicas: 2 },
});
const ackEmpty = cluster('ack', { canProvision: true });
const bindingAt2 = {
  apiVersion: 'fleet.spillway.dev/v1alpha1',
  kind: 'ResourceBinding',
  metadata: { name: 'qwen3-deployment', namespace: 'test' },
  spec: { clusters: [{ name: 'idc', replicas: 2, affinityName: 'idc' }] },
} as unknown as ResourceBinding;

function plan(replicas: number, more: Partial<Parameters<typeof makePlan>[0]> = {}): Plan {
  const out = makePlan({
    template,
    replicas,
    policies: [
      policy([
        ['idc', 'idc'],
        ['ack', 'ack'],
      ]),
    ],
    binding: bindingAt2,
    members: [idcFull, ackEmpty],
    nowMs: NOW,
    ...more,
  });
  if ('error' in out) throw new Error(out.error);
  return out.plan;
}

describe('kubectl amc plan: the plan', () => {
  it('seed step 3: 2 -> 4 keeps the IDC at 2 and spills 2 to ACK, waiting, with nodes asked', () => {
    const p = plan(4);
    expect(p.fromReplicas).toBe(2);
    expect(p.policy).toBe('PropagationPolicy test/pp');
    expect(p.clusters.map((c) => [c.cluster, c.now, c.planned, c.waiting, c.provision])).toEqual([
      ['idc', 2, 2, 0, 0],
      ['ack', 0, 2, 2, 2],
    ]);
    expect(p.clusters[0]?.room).toBe(0);
    expect(p.waiting).toBe(2);
    expect(p.clusters[1]?.reason).toMatch(/group ack: \+2 waiting for capacity/);
  });

  it('counts room from the member nodes and pods (a free GPU node takes a replica)', () => {
    const idc = { ...idcFull, nodes: [...(idcFull.nodes ?? []), gpuNode('g3')] };
    const p = plan(4, { members: [idc, ackEmpty] });
    expect(p.clusters.map((c) => [c.cluster, c.planned, c.waiting])).toEqual([
      ['idc', 3, 0],
      ['ack', 1, 1],
    ]);
  });

  it('lists a placement cluster that gets nothing, with why', () => {
    const p = plan(2);
    expect(p.clusters.find((c) => c.cluster === 'ack')).toMatchObject({
      planned: 0,
      reason: 'group ack: no room for a replica',
    });
  });

  it('a member not Ready takes no new replicas, and says so', () => {
    const ack = { ...ackEmpty, ready: false };
    const p = plan(2, { members: [idcFull, ack] });
    expect(p.clusters.find((c) => c.cluster === 'ack')?.reason).toBe(
      'group ack: member not Ready: takes no new replicas',
    );
  });

  it('without ecsProvision no nodes are asked for', () => {
    const p = plan(4, {
      policies: [
        policy(
          [
            ['idc', 'idc'],
            ['ack', 'ack'],
          ],
          false,
        ),
      ],
    });
    expect(p.clusters.every((c) => c.provision === 0)).toBe(true);
    expect(planText(p)).toContain('No nodes would be requested');
  });

  it('scale to 0: every replica leaves, nothing waits, no nodes asked', () => {
    const p = plan(0);
    expect(p.fromReplicas).toBe(2);
    expect(p.clusters.map((c) => [c.cluster, c.now, c.planned, c.waiting, c.provision])).toEqual([
      ['idc', 2, 0, 0, 0],
      ['ack', 0, 0, 0, 0],
    ]);
    expect(p.waiting).toBe(0);
    expect(p.clusters[1]?.reason).toBe('group ack: nothing to place at 0 replicas');
    const text = planText(p);
    expect(text).toContain('2 -> 0 replicas');
    expect(text).not.toContain('Nodes would be requested');
  });

  it('a template already at 0 plans 0 -> N from nothing placed', () => {
    const empty = { ...bindingAt2, spec: { clusters: [] } } as unknown as ResourceBinding;
    const idcIdle = { ...idcFull, pods: [], copyStatus: { replicas: 0, readyReplicas: 0 } };
    const zero = { ...template, spec: { ...template.spec, replicas: 0 } };
    const p = plan(2, { template: zero, binding: empty, members: [idcIdle, ackEmpty] });
    expect(p.fromReplicas).toBe(0);
    expect(p.clusters.map((c) => [c.cluster, c.now, c.planned, c.waiting])).toEqual([
      ['idc', 0, 2, 0],
      ['ack', 0, 0, 0],
    ]);
  });

  it('a policy that selects nothing is an error, not a plan', () => {
    const other = { ...policy([['idc', 'idc']]), metadata: { name: 'x', namespace: 'other' } };
    const out = makePlan({
      template,
      replicas: 3,
      policies: [other as AnyPropagationPolicy],
      members: [idcFull],
      nowMs: NOW,
    });
    expect(out).toEqual({
      error:
        'no PropagationPolicy or ClusterPropagationPolicy selects deployment/qwen3 in namespace test',
    });
  });

  it('prints a table and a summary in words', () => {
    const text = planText(plan(4));
    expect(text.split('\n').slice(0, 6)).toEqual([
      'Plan for deployment/qwen3 in namespace test: 2 -> 4 replicas',
      'Policy: PropagationPolicy test/pp, Divided/Weighted (dynamic: AvailableReplicas)',
      '',
      'CLUSTER   ALIAS       GROUP   NOW   PLANNED   CHANGE   ROOM   WAITING   NODES   REASON',
      'idc       idc-alias   idc     2     2         0        0      0         -       group idc: kept 2',
      'ack       ack-alias   ack     0     2         +2       0      2         2       group ack: +2 waiting for capacity (no group has room; overflow goes to the lowest-priority group); node provisioning requested for 2',
    ]);
    expect(text).toContain(
      '4 replicas: 2 would start on capacity there now, 2 would wait for capacity, 0 would have no cluster.',
    );
    expect(text).toContain('Nodes would be requested (ProvisioningRequest) in ack for 2 replicas.');
    expect(text.trimEnd().endsWith('This is a plan: nothing was changed.')).toBe(true);
  });
});

describe('kubectl amc plan: arguments', () => {
  const target = (argv: string[]) => planTarget(parseArgs(argv));
  it('takes deploy/NAME or deploy NAME, --replicas and -o', () => {
    expect(target(['plan', 'deploy/qwen3', '-n', 'test', '--replicas', '4'])).toEqual({
      name: 'qwen3',
      replicas: 4,
    });
    expect(target(['plan', 'deployment', 'qwen3', '--replicas=0', '-o', 'json'])).toEqual({
      name: 'qwen3',
      replicas: 0,
      output: 'json',
    });
    expect(target(['plan', 'deploy/qwen3'])).toEqual({ name: 'qwen3' });
    expect(parseArgs(['plan', 'deploy/x', '--policy', 'pp.yaml']).policy).toBe('pp.yaml');
  });
  it.each([
    [['plan'], 'which workload?'],
    [['plan', 'sts/web'], 'supports Deployments (deploy/NAME), not "sts"'],
    [['plan', 'deploy/'], 'needs a name'],
    [['plan', 'deploy/x', '--replicas', '-1'], '--replicas must be a whole number'],
    [['plan', 'deploy/x', '--replicas', '2.5'], '--replicas must be a whole number'],
    [['plan', 'deploy/x', '--replicas', 'lots'], '--replicas must be a whole number'],
    [['plan', 'deploy/x', '-o', 'wide'], '--output must be json or yaml'],
  ])('%j is a usage error', (argv, message) => {
    const t = target(argv);
    expect('usage' in t ? t.usage : '').toContain(message);
  });
});

describe('kubectl amc plan: --policy files', () => {
  const pp = `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata: { name: try }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment }]
`;
  it('reads policies, puts a namespaced one in -n, and ignores other kinds', () => {
    const got = policiesFromFile(`apiVersion: v1\nkind: Service\n---\n${pp}`, 'f.yaml', 'test');
    expect(got).toHaveLength(1);
    expect(got[0]?.metadata).toEqual({ name: 'try', namespace: 'test' });
  });
  it.each([
    ['kind: PropagationPolicy\napiVersion: [oops', 'f.yaml: document 1:'],
    [
      'apiVersion: v1\nkind: ConfigMap\n',
      'f.yaml: no PropagationPolicy or ClusterPropagationPolicy',
    ],
    [pp.replace('v1alpha1', 'v9'), 'expected policy.one.alibabacloud.com/v1alpha1'],
    [pp.replace('  resourceSelectors', '  other'), 'needs spec.resourceSelectors'],
    [pp.replace('metadata: { name: try }', 'metadata: {}'), 'needs metadata.name'],
  ])('rejects a bad file clearly (%#)', (text, message) => {
    expect(() => policiesFromFile(text, 'f.yaml', 'test')).toThrow(PlanInputError);
    expect(() => policiesFromFile(text, 'f.yaml', 'test')).toThrow(message);
  });
});
