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
  it.each([
    ['settled: no recheck', false, 0, [ready], undefined, undefined],
    ['dependencies pending', true, 0, [ready], undefined, 5000],
    ['replicas waiting', false, 1, [ready], undefined, 5000],
    ['a copy not applied', false, 0, [{ ...ready, applied: false }], undefined, 5000],
    ['a copy not up to date', false, 0, [{ ...ready, upToDate: false }], undefined, 5000],
    [
      'a copy not ready',
      false,
      0,
      [{ ...ready, status: { replicas: 2, readyReplicas: 1 } }],
      undefined,
      5000,
    ],
    ['settled, a rebalance timer', false, 0, [ready], 30000, 30000],
    ['unsettled, a shorter rebalance timer', false, 1, [ready], 2000, 2000],
    ['unsettled, a longer rebalance timer', false, 1, [ready], 30000, 5000],
  ] as const)('%s', (_name, pending, waiting, workloads, wake, want) => {
    const out = requeueOf({
      dependenciesPending: pending,
      result: result(waiting),
      workloads,
      recheckMs: 5000,
      ...(wake !== undefined
        ? { rebalance: { step: 'waiting', counts: new Map(), message: '', requeueMs: wake } }
        : {}),
    });
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
