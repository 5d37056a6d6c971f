/**
 * A member's room as the binding reconciler sees it, with the real estimator and pod indexes
 * behind it: what placed replicas hold back, and when they stop holding it.
 */
import { describe, expect, it } from '@jest/globals';
import { Estimator, type PodInput } from '../../../src/estimator/index.js';
import type { PodLike } from '../../../src/fleet/pending-pods.js';
import { ReservedRoom } from '../../../src/fleet/reserved-room.js';
import { SettledPods } from '../../../src/fleet/settled-pods.js';
import { node, template } from '../estimator/fixtures.js';

const T0 = 1_000_000;
const NS = 'kinds';

/** The demo fleet's first member: three 16-CPU nodes with 110 pod slots each. */
function member() {
  const caches = { estimator: new Estimator(), settled: new SettledPods() };
  for (const n of ['n1', 'n2', 'n3'])
    caches.estimator.upsertNode(
      node(n, { allocatable: { cpu: '16', memory: '64Gi', pods: '110' } }),
    );
  /** A pod event, as the member connection feeds its indexes. */
  const see = (p: Pod) => {
    caches.estimator.upsertPod(p);
    caches.settled.upsert(p);
  };
  return { caches, see };
}

type Pod = PodInput & PodLike;

function pod(
  uid: string,
  labels: Record<string, string>,
  cpu: string,
  o: { node?: string; phase?: string; unschedulable?: boolean } = {},
): Pod {
  return {
    metadata: { uid, namespace: NS, name: uid, labels },
    spec: {
      containers: [{ resources: { requests: { cpu } } }],
      ...(o.node ? { nodeName: o.node } : {}),
    },
    status: {
      phase: o.phase ?? (o.node ? 'Running' : 'Pending'),
      ...(o.unschedulable
        ? {
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                lastTransitionTime: new Date(T0).toISOString(),
              },
            ],
          }
        : {}),
    },
  };
}

const crunch = { matchLabels: { 'batch.kubernetes.io/job-name': 'crunch' } };
const crunchLabels = { 'batch.kubernetes.io/job-name': 'crunch' };
const sixCpu = template({ cpu: '6' });
const tiny = template({ cpu: '10m' });

describe('reserved room', () => {
  it('holds back a big workload’s replicas in the resources they use, not as small replicas', () => {
    const { caches } = member();
    const room = new ReservedRoom();
    room.placed('Job/kinds/crunch', [{ name: 'idc', replicas: 6 }], sixCpu, NS, crunch, T0);
    // 6 x 6 CPUs on their way: 12 CPUs and 324 slots left for a 10m workload. Counting the 36
    // CPUs as 3,600 replicas of 10m against 330 slots left it no room at all (kinds.e2e).
    expect(room.free('idc', caches, 'StatefulSet/kinds/db', tiny, T0)).toBe(324);
    // Another 6-CPU workload: the 48 CPUs hold 8, 6 of them promised.
    expect(room.free('idc', caches, 'Job/kinds/other', sixCpu, T0)).toBe(2);
  });

  it('gives the room back when a Job’s pods have run to completion', () => {
    const { caches, see } = member();
    const room = new ReservedRoom();
    room.placed('Job/kinds/crunch', [{ name: 'idc', replicas: 6 }], sixCpu, NS, crunch, T0);
    // kwok runs and completes them between two looks at this member: never seen running.
    for (let i = 0; i < 6; i++)
      see(pod(`c${i}`, crunchLabels, '6', { node: `n${(i % 3) + 1}`, phase: 'Succeeded' }));
    expect(room.free('idc', caches, 'Deployment/kinds/weighted', tiny, T0 + 1)).toBe(330);
    expect(room.size).toBe(0);
  });

  it('gives the room back when the member’s scheduler finds no node for the pods', () => {
    const { caches, see } = member();
    const room = new ReservedRoom();
    const doomed = { matchLabels: { 'batch.kubernetes.io/job-name': 'doomed' } };
    room.placed('Job/kinds/doomed', [{ name: 'idc', replicas: 1 }], tiny, NS, doomed, T0);
    see(pod('d', { 'batch.kubernetes.io/job-name': 'doomed' }, '10m'));
    expect(room.free('idc', caches, 'StatefulSet/kinds/db', tiny, T0 + 1)).toBe(329); // created
    see(pod('d', { 'batch.kubernetes.io/job-name': 'doomed' }, '10m', { unschedulable: true }));
    expect(room.free('idc', caches, 'StatefulSet/kinds/db', tiny, T0 + 2)).toBe(330);
  });

  it('reserves nothing for a workload whose pods cannot be told apart (a CronJob)', () => {
    const { caches } = member();
    const room = new ReservedRoom();
    room.placed('CronJob/kinds/every-minute', [{ name: 'idc', replicas: 1 }], tiny, NS, {}, T0);
    expect(room.size).toBe(0);
    expect(room.free('idc', caches, 'StatefulSet/kinds/db', tiny, T0)).toBe(330);
  });

  it('places 32 workloads of 2 CPUs arriving together 24 + 8, as their pods are not seen yet', () => {
    const { caches } = member();
    const room = new ReservedRoom();
    const two = template({ cpu: '2' });
    const placed = { idc: 0, bj: 0 };
    for (let i = 0; i < 32; i++) {
      const key = `Deployment/together/w-${i}`;
      const to = room.free('idc', caches, key, two, T0) >= 1 ? 'idc' : 'bj';
      placed[to]++;
      room.placed(
        key,
        [{ name: to, replicas: 1 }],
        two,
        'together',
        { matchLabels: { w: `${i}` } },
        T0,
      );
    }
    expect(placed).toEqual({ idc: 24, bj: 8 });
  });
});
