import { describe, expect, it } from '@jest/globals';
import type { ResourceBinding } from '../../../src/api/fleet.js';
import type { AnyPropagationPolicy } from '../../../src/api/policy.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';
import type { MemberView } from '../../../src/fleet/reconcile-port.js';
import { memberView } from './recording-port.js';
import {
  cachesFilling,
  clustersWithCopies,
  planSchedule,
  requestsToRead,
  scheduledNames,
  targetsOf,
  workloadOf,
} from '../../../src/fleet/schedule-plan.js';

const key = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' };
const NOW = Date.parse('2026-01-01T00:00:00Z');
const deployment = (replicas: number): TemplateObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'test', uid: 'u1' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    },
  },
});
const configMap: TemplateObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'web', namespace: 'test' },
};
const policy = (
  replicaSchedulingType: 'Divided' | 'Duplicated' = 'Divided',
): AnyPropagationPolicy => ({
  apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name: 'p', namespace: 'test' },
  spec: {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
    placement: {
      clusterAffinities: [
        { affinityName: 'idc', clusterNames: ['idc'] },
        { affinityName: 'cloud', clusterNames: ['cloud'] },
      ],
      replicaScheduling: {
        replicaSchedulingType,
        ...(replicaSchedulingType === 'Divided'
          ? { replicaDivisionPreference: 'Aggregated' as const }
          : {}),
      },
    },
  },
});
const members = [
  { name: 'idc', labels: {} },
  { name: 'cloud', labels: {} },
];
const view = memberView;
const room = (maxReplicas: number) => ({
  capacity: { maxReplicas, pending: { pending: 0, unschedulable: 0, unschedulableFor: 0 } },
});
const viewsOf = (...vs: MemberView[]) => new Map(vs.map((v) => [v.name, v]));
const boundTo = (clusters: { name: string; replicas: number; waitingForCapacity?: number }[]) =>
  ({
    apiVersion: 'fleet.spillway.dev/v1alpha1',
    kind: 'ResourceBinding',
    metadata: { name: 'web-deployment', namespace: 'test' },
    spec: {
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' },
      replicas: 6,
      policy: { kind: 'PropagationPolicy', name: 'p', namespace: 'test' },
      clusters,
    },
  }) as ResourceBinding;

const counts = (p: ReturnType<typeof planSchedule>) =>
  p.ok ? p.targets.map((t) => `${t.name}=${t.replicas ?? '-'}`).join(',') : `invalid: ${p.message}`;

describe('planSchedule', () => {
  it.each([
    [
      'first placement fills idc, spills the rest',
      6,
      undefined,
      [view('idc', room(4)), view('cloud', room(100))],
      'idc=4,cloud=2',
    ],
    ['all fit in idc', 3, undefined, [view('idc', room(4)), view('cloud', room(100))], 'idc=3'],
    [
      'scale-in empties cloud first',
      2,
      boundTo([
        { name: 'idc', replicas: 4 },
        { name: 'cloud', replicas: 2 },
      ]),
      [view('idc', room(0)), view('cloud', room(98))],
      'idc=2',
    ],
    [
      'a not-Ready member keeps what it holds, takes nothing new',
      7,
      boundTo([
        { name: 'idc', replicas: 4 },
        { name: 'cloud', replicas: 2 },
      ]),
      [view('idc', { reachable: false, notReadySeconds: 10 }), view('cloud', room(98))],
      'idc=4,cloud=3',
    ],
    [
      'a not-Ready member past its toleration loses its replicas',
      6,
      boundTo([
        { name: 'idc', replicas: 4 },
        { name: 'cloud', replicas: 2 },
      ]),
      [view('idc', { reachable: false, notReadySeconds: 100000 }), view('cloud', room(98))],
      'cloud=6',
    ],
    [
      'an unregistered member is failed at once',
      6,
      boundTo([
        { name: 'idc', replicas: 4 },
        { name: 'cloud', replicas: 2 },
      ]),
      [view('idc', { registered: false }), view('cloud', room(98))],
      'cloud=6',
    ],
  ] as const)('%s', (_name, replicas, remembered, vs, want) => {
    const template = deployment(replicas);
    const plan = planSchedule({
      template,
      workload: workloadOf(template, policy(), members),
      ...(remembered ? { remembered } : {}),
      views: viewsOf(...vs),
      requests: new Map(),
      nowMs: NOW,
    });
    expect(counts(plan)).toBe(want);
  });

  it('a kind without replicas is one whole copy, never divided, in the first group', () => {
    const plan = planSchedule({
      template: configMap,
      workload: workloadOf(configMap, policy('Divided'), members),
      views: viewsOf(view('idc'), view('cloud')),
      requests: new Map(),
      nowMs: NOW,
    });
    expect(counts(plan)).toBe('idc=-');
  });

  it('refused input is a value, not a throw: the reason names the field', () => {
    const template = deployment(-1);
    const plan = planSchedule({
      template,
      workload: workloadOf(template, policy(), members),
      views: viewsOf(view('idc', room(4)), view('cloud', room(4))),
      requests: new Map(),
      nowMs: NOW,
    });
    expect(plan.ok).toBe(false);
    expect(counts(plan)).toMatch(/replicas/);
  });
});

describe('schedule stage helpers', () => {
  it('members with copies: remembered by the binding, or carrying its mark', () => {
    const b = boundTo([{ name: 'idc', replicas: 1 }]);
    const marked = {
      metadata: { annotations: { 'fleet.spillway.dev/binding': 'test/web-deployment' } },
    };
    const other = {
      metadata: { annotations: { 'fleet.spillway.dev/binding': 'test/else-deployment' } },
    };
    expect(
      clustersWithCopies(key, b, [
        { member: 'cloud', copy: marked },
        { member: 'edge', copy: other },
        { member: 'idc' },
      ]),
    ).toEqual(['cloud', 'idc']);
  });

  it('scheduled names: the placement and every member holding a copy, sorted', () => {
    const w = workloadOf(deployment(1), policy(), members);
    expect(scheduledNames(w, ['old', 'idc'])).toEqual(['cloud', 'idc', 'old']);
  });

  it.each([
    [view('a'), []],
    [view('a', { cachesFilling: true }), ['a']],
    [view('a', { cachesFilling: true, connected: false }), []],
  ] as const)('caches filling of %j', (v, want) => {
    expect(cachesFilling([v])).toEqual(want);
  });

  it('requests are read only where replicas wait and the member serves the API', () => {
    const b = boundTo([
      { name: 'idc', replicas: 2, waitingForCapacity: 2 },
      { name: 'cloud', replicas: 2, waitingForCapacity: 1 },
      { name: 'edge', replicas: 2 },
    ]);
    const vs = viewsOf(
      view('idc', { provisioningSupported: true }),
      view('cloud', { provisioningSupported: false }),
      view('edge', { provisioningSupported: true }),
    );
    expect(requestsToRead(b, vs)).toEqual(['idc']);
  });

  it('targets keep clusters with replicas, their group and what waits', () => {
    expect(
      targetsOf(
        {
          clusters: [
            { cluster: 'a', replicas: 2, waiting: 1, reason: 'r', group: 'g' },
            { cluster: 'b', replicas: 0, waiting: 0, reason: 'r' },
          ],
          waiting: 1,
          unplaced: 0,
          provision: [],
        },
        true,
      ),
    ).toEqual([{ name: 'a', replicas: 2, affinityName: 'g', waitingForCapacity: 1, reason: 'r' }]);
  });
});
