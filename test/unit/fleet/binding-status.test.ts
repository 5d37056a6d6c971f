import { describe, expect, it } from '@jest/globals';
import type { TargetCluster } from '../../../src/api/fleet.js';
import {
  bindingStatusOf,
  invalidInputCondition,
  templateStatusOf,
  type BindingStatusInput,
} from '../../../src/fleet/binding-status.js';
import type { MemberWorkload } from '../../../src/fleet/status-aggregate.js';
import type { ScheduleResult } from '../../../src/scheduler/index.js';

const now = new Date('2026-01-01T00:00:00Z');

const resultOf = (
  targets: readonly TargetCluster[],
  waiting = 0,
  unplaced = 0,
): ScheduleResult => ({
  clusters: targets.map((t) => ({
    cluster: t.name,
    replicas: t.replicas ?? 0,
    waiting: 0,
    reason: t.reason ?? '',
  })),
  waiting,
  unplaced,
  provision: [],
});

const running = (cluster: string, replicas: number, ready = replicas): MemberWorkload => ({
  cluster,
  applied: true,
  upToDate: true,
  status: {
    replicas,
    readyReplicas: ready,
    availableReplicas: ready,
    updatedReplicas: replicas,
  },
});

const replicaFailure = {
  type: 'ReplicaFailure',
  status: 'True',
  reason: 'FailedCreate',
  message: 'pods "web-1" is forbidden:\n no PriorityClass with name missing was found',
  lastTransitionTime: '2025-12-31T23:00:00Z',
};

function input(over: Partial<BindingStatusInput>): BindingStatusInput {
  const targets = over.targets ?? [{ name: 'idc', replicas: 2, affinityName: 'onprem' }];
  return {
    kind: 'Deployment',
    namespace: 'apps',
    name: 'web',
    replicas: 2,
    withReplicas: true,
    reportsStatus: true,
    duplicated: false,
    refused: [],
    result: resultOf(targets),
    targets,
    previousTargets: targets,
    workloads: targets.map((t) => running(t.name, t.replicas ?? 0)),
    conflicts: [],
    tiedWith: [],
    claimedBy: 'web',
    unknownClusters: [],
    now,
    ...over,
  };
}

const cond = (out: ReturnType<typeof bindingStatusOf>, type: string) =>
  out.status.conditions?.find((c) => c.type === type);

describe('binding status', () => {
  it('summarises a member ReplicaFailure on the binding, one line, with an Event once', () => {
    const failing: MemberWorkload = {
      cluster: 'idc',
      applied: true,
      upToDate: true,
      status: { replicas: 0, readyReplicas: 0 },
      live: { status: { replicas: 0, conditions: [replicaFailure] } },
    };
    const out = bindingStatusOf(input({ workloads: [failing] }));
    const ready = cond(out, 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'MemberWorkloadFailed' });
    expect(ready?.message).toBe(
      'idc: ReplicaFailure FailedCreate: pods "web-1" is forbidden: no PriorityClass with name missing was found',
    );
    expect(out.events).toEqual([
      { type: 'Warning', reason: 'MemberWorkloadFailed', message: ready?.message },
    ]);
    // The next re-check with the same failure records nothing new.
    const again = bindingStatusOf(input({ workloads: [failing], previous: out.status }));
    expect(again.events).toEqual([]);
  });

  it('reports dependencies only with propagateDeps, with a Warning Event once per change', () => {
    const refs = [{ kind: 'ConfigMap' as const, name: 'cfg', optional: false }];
    const missing = { refs, missing: ['ConfigMap cfg'], problems: [], pending: false };
    const out = bindingStatusOf(input({ dependencies: missing }));
    expect(cond(out, 'DependenciesApplied')).toMatchObject({
      status: 'False',
      reason: 'DependencyMissing',
      message: 'not on the hub: ConfigMap cfg',
    });
    expect(out.events).toEqual([
      { type: 'Warning', reason: 'DependencyMissing', message: 'not on the hub: ConfigMap cfg' },
    ]);
    expect(bindingStatusOf(input({ dependencies: missing, previous: out.status })).events).toEqual(
      [],
    );
    const conflict = {
      refs,
      missing: [],
      problems: ['idc: a ConfigMap apps/cfg ...'],
      pending: false,
    };
    const next = bindingStatusOf(input({ dependencies: conflict, previous: out.status }));
    expect(next.events).toEqual([
      {
        type: 'Warning',
        reason: 'DependenciesNotApplied',
        message: 'idc: a ConfigMap apps/cfg ...',
      },
    ]);
    const fixed = bindingStatusOf(
      input({
        dependencies: { refs, missing: [], problems: [], pending: false },
        previous: next.status,
      }),
    );
    expect(cond(fixed, 'DependenciesApplied')).toMatchObject({ status: 'True', reason: 'Applied' });
    expect(fixed.events).toEqual([]);
    // propagateDeps turned off: the condition goes.
    expect(
      cond(bindingStatusOf(input({ previous: fixed.status })), 'DependenciesApplied'),
    ).toBeUndefined();
  });

  it('says Ready only when every replica is ready', () => {
    expect(cond(bindingStatusOf(input({})), 'Ready')).toMatchObject({
      status: 'True',
      reason: 'AllReplicasReady',
      message: '2/2 ready: idc 2/2',
    });
    const half = bindingStatusOf(input({ workloads: [running('idc', 2, 1)] }));
    expect(cond(half, 'Ready')).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
    // A DaemonSet (no replicas of its own): ready when every copy runs what its member wants.
    const ds = bindingStatusOf(
      input({
        withReplicas: false,
        replicas: 1,
        targets: [{ name: 'a' }, { name: 'b' }],
        workloads: [running('a', 3), running('b', 2, 1)],
      }),
    );
    expect(cond(ds, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReplicasNotReady',
      message: '4/5 ready: a 3/3, b 1/2',
    });
    const other = bindingStatusOf(input({ reportsStatus: false }));
    expect(cond(other, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'StatusNotReported' });
  });

  it('Duplicated: one failed cluster cannot hide behind a healthy one', () => {
    const targets = [{ name: 'a' }, { name: 'b' }];
    const out = bindingStatusOf(
      input({
        duplicated: true,
        replicas: 3,
        targets,
        result: resultOf(targets.map((t) => ({ ...t, replicas: 3 }))),
        workloads: [running('a', 3), running('b', 3, 0)],
      }),
    );
    expect(out.hub.readyReplicas).toBe(0);
    expect(out.status.readyReplicas).toBe(0);
    expect(cond(out, 'Ready')).toMatchObject({
      status: 'False',
      message: '0/3 ready in every cluster: a 3/3, b 0/3',
    });
  });

  it('records Scheduled on the first placement and names where the replicas went', () => {
    const out = bindingStatusOf(input({ previousTargets: undefined }));
    expect(out.events).toEqual([{ type: 'Normal', reason: 'Scheduled', message: 'idc: 2 ()' }]);
    expect(cond(out, 'Scheduled')?.message).toBe('placed: idc (onprem): 2');
    expect(out.status.placement).toBe('idc: 2');
  });

  it('gives scale to 0 a message on the condition and on the Event', () => {
    const out = bindingStatusOf(
      input({
        replicas: 0,
        targets: [],
        previousTargets: [{ name: 'idc', replicas: 2 }],
        result: resultOf([]),
        workloads: [],
      }),
    );
    expect(cond(out, 'Scheduled')).toMatchObject({
      status: 'True',
      reason: 'Success',
      message: 'scaled to 0: no cluster holds a copy',
    });
    expect(out.events).toEqual([
      { type: 'Normal', reason: 'Scheduled', message: 'scaled to 0: no cluster holds a copy' },
    ]);
  });

  it('names the unknown cluster when it was the only one', () => {
    const out = bindingStatusOf(
      input({
        targets: [],
        result: resultOf([], 0, 2),
        workloads: [],
        unknownClusters: ['c-nope'],
      }),
    );
    expect(cond(out, 'Scheduled')).toMatchObject({
      status: 'False',
      reason: 'NoCluster',
      message:
        '2 replicas have no usable cluster: the placement names c-nope, which no MemberCluster has',
    });
  });

  it('reports a policy tie as Conflict=PolicyTie with a Warning Event, once', () => {
    const out = bindingStatusOf(input({ tiedWith: ['b-policy'], claimedBy: 'a-policy' }));
    expect(cond(out, 'Conflict')).toMatchObject({ status: 'True', reason: 'PolicyTie' });
    expect(cond(out, 'Conflict')?.message).toContain('a-policy, b-policy');
    expect(out.events.map((e) => e.reason)).toEqual(['PolicyTie']);
    const again = bindingStatusOf(
      input({ tiedWith: ['b-policy'], claimedBy: 'a-policy', previous: out.status }),
    );
    expect(again.events).toEqual([]);
  });

  it('turns invalid scheduler input into Scheduled=False InvalidInput', () => {
    expect(invalidInputCondition('replicas must be an integer\nfrom 0', 4)).toEqual({
      type: 'Scheduled',
      status: 'False',
      reason: 'InvalidInput',
      message: 'replicas must be an integer from 0',
      observedGeneration: 4,
    });
  });
});

describe('hub template status', () => {
  const base = {
    hub: {
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 2,
      unavailableReplicas: 0,
    },
    replicas: 2,
    duplicated: false,
    targets: [{ name: 'idc', replicas: 2, affinityName: 'onprem' }],
    upToDate: true,
    now,
  };

  it('carries ReplicaFailure and per-cluster placement, and drops ReplicaFailure once it is gone', () => {
    const failing: MemberWorkload = {
      cluster: 'idc',
      applied: true,
      upToDate: true,
      status: { replicas: 0 },
      live: { status: { replicas: 0, conditions: [replicaFailure] } },
    };
    const zero = {
      replicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      updatedReplicas: 0,
      unavailableReplicas: 0,
    };
    const s = templateStatusOf({ ...base, hub: zero, workloads: [failing] });
    const byType = Object.fromEntries(s.conditions.map((c) => [c.type, c]));
    expect(byType.ReplicaFailure).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(byType.ReplicaFailure?.message).toContain(
      'idc: FailedCreate: pods "web-1" is forbidden',
    );
    expect(byType.Available).toMatchObject({
      status: 'False',
      message: '0/2 available; per cluster: idc (onprem) 0/2',
    });
    const healed = templateStatusOf({
      ...base,
      previousConditions: s.conditions,
      workloads: [running('idc', 2)],
    });
    expect(healed.conditions.map((c) => c.type)).toEqual(['Available', 'Progressing']);
    expect(healed.conditions[1]).toMatchObject({ status: 'True', reason: 'MembersUpdated' });
  });

  it('says ProgressDeadlineExceeded when a member copy stopped progressing', () => {
    const stalled: MemberWorkload = {
      ...running('idc', 2, 1),
      status: { replicas: 2, readyReplicas: 1 },
      live: {
        status: {
          replicas: 2,
          readyReplicas: 1,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'x',
            },
          ],
        },
      },
    };
    const s = templateStatusOf({ ...base, workloads: [stalled] });
    expect(s.conditions.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'idc: ProgressDeadlineExceeded: x',
    });
  });
});
