import { describe, expect, it } from '@jest/globals';
import type { ResourceBinding } from '../../../src/api/fleet.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';
import type { MemberWorkload } from '../../../src/fleet/status-aggregate.js';
import { clearedTemplateStatus, planStatus, requeueOf } from '../../../src/fleet/status-plan.js';
import type { ScheduleResult } from '../../../src/scheduler/index.js';

const result = (waiting = 0): ScheduleResult => ({
  clusters: [{ cluster: 'a', replicas: 2, waiting, reason: 'r' }],
  waiting,
  unplaced: 0,
  provision: [],
});
const ready: MemberWorkload = {
  cluster: 'a',
  applied: true,
  upToDate: true,
  status: { replicas: 2, readyReplicas: 2 },
};

describe('requeueOf', () => {
  const notReady: MemberWorkload = { ...ready, status: { replicas: 2, readyReplicas: 1 } };
  const input = (o: {
    pending?: boolean;
    waiting?: number;
    workloads: readonly MemberWorkload[];
    wake?: number;
    watched?: boolean;
    unbound?: number | undefined;
  }) => ({
    dependenciesPending: o.pending ?? false,
    result: result(o.waiting ?? 0),
    workloads: o.workloads,
    recheckMs: 5000,
    resyncMs: 60000,
    copiesWatched: o.watched ?? true,
    unboundPods: new Map([['a', 'unbound' in o ? o.unbound : 0]]),
    ...(o.wake !== undefined
      ? {
          rebalance: {
            step: 'waiting' as const,
            counts: new Map(),
            message: '',
            requeueMs: o.wake,
          },
        }
      : {}),
  });
  it.each([
    ['settled: no recheck', { workloads: [ready] }, undefined],
    ['dependencies pending', { pending: true, workloads: [ready] }, 5000],
    ['replicas waiting for capacity', { waiting: 1, workloads: [ready] }, 5000],
    ['a copy not applied', { workloads: [{ ...ready, applied: false }] }, 5000],
    [
      'a copy that failed (an override, a stale copy on an unreachable member)',
      { workloads: [{ ...notReady, upToDate: false, message: 'OverrideFailed' }] },
      5000,
    ],
    // The copy's watch enqueues the template when it moves: only the safety resync is left.
    ['a watched copy not ready, every pod bound', { workloads: [notReady] }, 60000],
    [
      'a watched copy the watch has not shown yet (not up to date), no pod unbound',
      { workloads: [{ ...ready, upToDate: false, status: undefined }] },
      60000,
    ],
    // Unbound pods may have to spill over after spilloverAfterSeconds: no event says when.
    ['a watched copy not ready, a pod unbound', { workloads: [notReady], unbound: 1 }, 5000],
    [
      'a watched copy not ready, unbound pods not known (member caches)',
      { workloads: [notReady], unbound: undefined },
      5000,
    ],
    ['a copy of a kind no watch reports', { workloads: [notReady], watched: false }, 5000],
    [
      'one copy only awaits its watch, another waits for capacity',
      { workloads: [notReady], waiting: 1 },
      5000,
    ],
    ['settled, a rebalance timer', { workloads: [ready], wake: 30000 }, 30000],
    ['unsettled, a shorter rebalance timer', { waiting: 1, workloads: [ready], wake: 2000 }, 2000],
    ['unsettled, a longer rebalance timer', { waiting: 1, workloads: [ready], wake: 30000 }, 5000],
    ['awaiting the watch, a shorter rebalance timer', { workloads: [notReady], wake: 2000 }, 2000],
  ] as const)('%s', (_name, o, want) => {
    const out = requeueOf(input(o));
    expect(out).toEqual(want === undefined ? undefined : { requeueAfterMs: want });
  });
});

describe('clearedTemplateStatus', () => {
  const d = (status?: Record<string, unknown>): TemplateObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'test' },
    ...(status ? { status } : {}),
  });
  it.each([
    [
      'summed counts are removed, the API server fields kept',
      d({ replicas: 3, readyReplicas: 3, observedGeneration: 2 }),
      { plural: 'deployments', status: { replicas: null, readyReplicas: null } },
    ],
    ['nothing to clear', d({ observedGeneration: 2 }), undefined],
    ['no status', d(), undefined],
    [
      'a Job keeps its status',
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { active: 1 } },
      undefined,
    ],
    [
      'a kind without hub status',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, status: { x: 1 } },
      undefined,
    ],
  ] as const)('%s', (_name, t, want) => {
    expect(clearedTemplateStatus(t as TemplateObject)).toEqual(want);
  });
});

describe('planStatus', () => {
  const template: TemplateObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'test' },
    spec: { replicas: 2 },
  };
  const binding = {
    apiVersion: 'fleet.spillway.dev/v1alpha1',
    kind: 'ResourceBinding',
    metadata: { name: 'web-deployment', namespace: 'test', generation: 1 },
    spec: {
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' },
      replicas: 2,
      policy: { kind: 'PropagationPolicy', name: 'p', namespace: 'test' },
      clusters: [{ name: 'a', replicas: 2 }],
    },
  } as ResourceBinding;
  const input = (b: ResourceBinding, t: TemplateObject, now: Date) => ({
    key: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' },
    template: t,
    binding: b,
    result: result(),
    targets: [{ name: 'a', replicas: 2, reason: 'r' }],
    workloads: [ready],
    conflicts: [],
    refused: [],
    tiedWith: [],
    claimedBy: 'p',
    unknownClusters: [],
    replicas: 2,
    withReplicas: true,
    duplicated: false,
    now,
  });

  it('a first status is written with the placement annotation; the same status later is not', () => {
    const first = planStatus(input(binding, template, new Date('2026-01-01T00:00:00Z')));
    expect(first.bindingStatus).toBeDefined();
    expect(first.placement).toBe('a: 2');
    expect(first.templateStatus?.plural).toBe('deployments');
    const after = planStatus(
      input(
        { ...binding, status: first.bindingStatus },
        {
          ...template,
          metadata: {
            ...template.metadata,
            annotations: { 'fleet.spillway.dev/placement': 'a: 2' },
          },
          status: first.templateStatus?.status,
        },
        // Only the clock moved: timestamps alone are no change.
        new Date('2026-01-01T00:10:00Z'),
      ),
    );
    expect(after.bindingStatus).toBeUndefined();
    expect(after.placement).toBeUndefined();
    expect(after.templateStatus).toBeUndefined();
  });
});
