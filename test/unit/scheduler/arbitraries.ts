import fc from 'fast-check';
import type {
  ClusterState,
  ReplicaScheduling,
  ScheduleInput,
  ScheduleResult,
} from '../../../src/scheduler/index.js';
import { aggregated, duplicated, dynamic, weighted } from './helpers.js';

/** Random scheduler inputs over a small pool of names, so groups overlap and miss often. */
export const NAMES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'] as const;

const state = fc
  .record({
    cur: fc.integer({ min: 0, max: 6 }),
    avail: fc.integer({ min: 0, max: 8 }),
    ready: fc.integer({ min: 0, max: 6 }),
    canProvision: fc.boolean(),
    failed: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    stuck: fc.integer({ min: -6, max: 3 }).map((n) => Math.max(0, n)),
    waitedBefore: fc.integer({ min: 0, max: 6 }),
  })
  .map((s) => ({ ...s, ready: Math.min(s.ready, s.cur) }));

type State = typeof state extends fc.Arbitrary<infer T> ? T : never;

const staticWeights = fc
  .array(
    fc.record({
      clusterNames: fc.subarray([...NAMES], { minLength: 1 }),
      weight: fc.integer({ min: 0, max: 5 }),
    }),
    { maxLength: 3 },
  )
  .map(weighted);

export const divided: fc.Arbitrary<ReplicaScheduling> = fc.oneof(
  fc.constant(dynamic),
  fc.constant(aggregated),
  staticWeights,
);
export const anyScheduling = fc.oneof(divided, fc.constant(duplicated));

export function inputs(scheduling: fc.Arbitrary<ReplicaScheduling>): fc.Arbitrary<ScheduleInput> {
  return fc
    .record({
      replicas: fc.integer({ min: 0, max: 30 }),
      groups: fc.array(fc.subarray([...NAMES], { minLength: 1, maxLength: 4 }), {
        minLength: 1,
        maxLength: 4,
      }),
      known: fc.subarray([...NAMES], { minLength: 1 }),
      states: fc.array(state, { minLength: NAMES.length, maxLength: NAMES.length }),
      scheduling,
      ecsProvision: fc.boolean(),
    })
    .map((r): ScheduleInput => {
      const clusters: ClusterState[] = r.known.map((name, i) => {
        const { waitedBefore: _, ...s } = r.states[i] as State;
        return { name, ...s };
      });
      // A previous result in which some of each cluster's replicas were waiting.
      const previous: ScheduleResult = {
        clusters: r.known.map((name, i) => {
          const s = r.states[i] as State;
          return {
            cluster: name,
            replicas: s.cur,
            waiting: Math.min(s.waitedBefore, s.cur),
            reason: '',
          };
        }),
        waiting: 0,
        unplaced: 0,
        provision: [],
      };
      return {
        replicas: r.replicas,
        groups: r.groups.map((clusters, i) => ({ name: `g${i}`, clusters })),
        scheduling: r.scheduling,
        clusters,
        ecsProvision: r.ecsProvision,
        previous,
      };
    });
}

/** The same input with no failed cluster, no stuck replica and nothing held outside the groups. */
export function calm(input: ScheduleInput): ScheduleInput {
  const placed = new Set(input.groups.flatMap((g) => g.clusters));
  return {
    ...input,
    clusters: input.clusters.map((c) => ({
      ...c,
      failed: false,
      stuck: 0,
      cur: placed.has(c.name) ? c.cur : 0,
      ready: placed.has(c.name) ? c.ready : 0,
    })),
  };
}

/** The group index each cluster belongs to: the first group naming it, if it has a state. */
export function groupOf(input: ScheduleInput): Map<string, number> {
  const known = new Set(input.clusters.map((c) => c.name));
  const out = new Map<string, number>();
  input.groups.forEach((g, i) => {
    for (const n of g.clusters) if (known.has(n) && !out.has(n)) out.set(n, i);
  });
  return out;
}

/** Fisher-Yates driven by a seed, so fast-check can shrink it. */
export function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
