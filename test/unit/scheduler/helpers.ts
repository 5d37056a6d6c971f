import { expect, it } from '@jest/globals';
import { schedule } from '../../../src/scheduler/index.js';
import type {
  ClusterGroup,
  ClusterResult,
  ClusterState,
  ReplicaScheduling,
  ScheduleInput,
  ScheduleResult,
  StaticWeightRule,
} from '../../../src/scheduler/index.js';

export const dynamic: ReplicaScheduling = {
  type: 'Divided',
  division: 'Weighted',
  weighting: { kind: 'dynamic' },
};
export const aggregated: ReplicaScheduling = { type: 'Divided', division: 'Aggregated' };
export const duplicated: ReplicaScheduling = { type: 'Duplicated' };
export const weighted = (rules: readonly StaticWeightRule[]): ReplicaScheduling => ({
  type: 'Divided',
  division: 'Weighted',
  weighting: { kind: 'static', rules },
});

/** Groups from a compact spec: `groups({ idc: ['idc'], ack: ['ack'] })`, in key order. */
export function groups(spec: Record<string, string[]>): ClusterGroup[] {
  return Object.entries(spec).map(([name, clusters]) => ({ name, clusters }));
}

/** A cluster state; everything beyond cur and avail defaults to "healthy, all ready". */
export function cluster(
  name: string,
  cur: number,
  avail: number,
  more: Partial<ClusterState> = {},
): ClusterState {
  return { name, cur, avail, ...more };
}

/** Replica counts of the clusters that hold any, by name. */
export function counts(r: ScheduleResult): Record<string, number> {
  return Object.fromEntries(
    r.clusters.filter((c) => c.replicas > 0).map((c) => [c.cluster, c.replicas]),
  );
}

export function entry(r: ScheduleResult, name: string): ClusterResult {
  const found = r.clusters.find((c) => c.cluster === name);
  if (!found) throw new Error(`no result for cluster ${name}: ${JSON.stringify(r.clusters)}`);
  return found;
}

/** Schedules with Divided/Weighted dynamic unless the input says otherwise. */
export function run(
  input: Omit<ScheduleInput, 'scheduling'> & { scheduling?: ReplicaScheduling },
): ScheduleResult {
  return schedule({ scheduling: dynamic, ...input });
}

/** Cluster states from `{ name: [cur, avail] }`, for tables of cases. */
export function states(spec: Record<string, readonly [number, number]>): ClusterState[] {
  return Object.entries(spec).map(([name, [cur, avail]]) => cluster(name, cur, avail));
}

type Case = readonly [
  string,
  number,
  Record<string, readonly [number, number]>,
  Record<string, number>,
];

/** Runs a table of `[title, replicas, { cluster: [cur, avail] }, expected counts]` cases. */
export function cases(
  groupSpec: ClusterGroup[],
  scheduling: ReplicaScheduling,
  table: readonly Case[],
): void {
  it.each(table)('%s', (_title, replicas, spec, expected) => {
    expect(
      counts(run({ groups: groupSpec, scheduling, replicas, clusters: states(spec) })),
    ).toEqual(expected);
  });
}
