import { describe, expect, it } from '@jest/globals';
import { schedule, ScheduleInputError } from '../../../src/scheduler/index.js';
import type { ScheduleInput } from '../../../src/scheduler/index.js';
import { cluster, dynamic, groups, weighted } from './helpers.js';

const base: ScheduleInput = {
  replicas: 1,
  groups: groups({ g: ['x'] }),
  scheduling: dynamic,
  clusters: [cluster('x', 0, 1)],
};

describe('input validation', () => {
  it.each<[string, Partial<ScheduleInput>, string]>([
    ['negative replicas', { replicas: -1 }, 'replicas must be an integer'],
    ['fractional replicas', { replicas: 1.5 }, 'replicas must be an integer'],
    ['negative avail', { clusters: [cluster('x', 0, -2)] }, 'cluster "x" avail'],
    ['fractional cur', { clusters: [cluster('x', 0.5, 1)] }, 'cluster "x" cur'],
    ['NaN stuck', { clusters: [cluster('x', 1, 1, { stuck: NaN })] }, 'cluster "x" stuck'],
    ['duplicate clusters', { clusters: [cluster('x', 0, 1), cluster('x', 1, 1)] }, '"x" twice'],
    [
      'weight over int32',
      { scheduling: weighted([{ clusterNames: ['x'], weight: 2 ** 31 }]) },
      'staticWeightList[0].weight',
    ],
  ])('rejects %s, naming the field', (_name, patch, message) => {
    const run = (): unknown => schedule({ ...base, ...patch });
    expect(run).toThrow(ScheduleInputError);
    expect(run).toThrow(message);
  });

  it('tolerates inconsistent but meaningful state: ready above cur, stuck above cur', () => {
    const r = schedule({ ...base, clusters: [cluster('x', 1, 0, { ready: 7, stuck: 9 })] });
    expect(r.clusters[0]?.replicas).toBe(1);
  });
});
