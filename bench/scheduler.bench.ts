/**
 * Scheduler benchmark: 1000 bindings x 50 clusters in 5 groups, random but seeded, so two runs
 * schedule the same inputs. Prints total and per-binding time and the heap one round's outputs keep,
 * and the ratio against two baselines timed in the same run on the same inputs:
 *   - naive: one Divided split of all replicas by available replicas over all 50 clusters
 *     (no groups, no stickiness, no reasons): the least any scheduler must do;
 *   - one group: the full rule with the 50 clusters in a single group (the cost of priorities);
 * and the scheduler's median against the design's goal (GOAL_MS for one round).
 * Run: npx tsx bench/scheduler.bench.ts
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { divideByWeight } from '../src/scheduler/divide.js';
import { schedule } from '../src/scheduler/index.js';
import type { ClusterState, ReplicaScheduling, ScheduleInput } from '../src/scheduler/index.js';
import { prng } from './prng.js';

const BINDINGS = 1000;
const CLUSTERS = 50;
const GROUPS = 5;
const ROUNDS = 15;
const SEED = 20260326;
/** The design's goal for one round of 1000 bindings x 50 clusters. */
const GOAL_MS = 50;

function makeInputs(): ScheduleInput[] {
  const rand = prng(SEED);
  const int = (max: number): number => Math.floor(rand() * (max + 1));
  const names = Array.from({ length: CLUSTERS }, (_, i) => `cluster-${String(i).padStart(2, '0')}`);
  const perGroup = CLUSTERS / GROUPS;
  const groups = Array.from({ length: GROUPS }, (_, g) => ({
    name: `tier-${g}`,
    clusters: names.slice(g * perGroup, (g + 1) * perGroup),
  }));
  return Array.from({ length: BINDINGS }, (): ScheduleInput => {
    const clusters = names.map((name): ClusterState => {
      const cur = int(4);
      return {
        name,
        cur,
        avail: int(10),
        ready: int(cur),
        canProvision: rand() < 0.3,
        failed: rand() < 0.02,
        stuck: rand() < 0.02 ? int(cur) : 0,
      };
    });
    const held = clusters.reduce((s, c) => s + c.cur, 0);
    const pick = rand();
    const scheduling: ReplicaScheduling =
      pick < 0.6
        ? { type: 'Divided', division: 'Weighted', weighting: { kind: 'dynamic' } }
        : pick < 0.8
          ? {
              type: 'Divided',
              division: 'Weighted',
              weighting: {
                kind: 'static',
                rules: groups.map((g) => ({ clusterNames: g.clusters, weight: 1 + int(4) })),
              },
            }
          : { type: 'Divided', division: 'Aggregated' };
    // Scale out and in around what is held, past all room now and then.
    return {
      replicas: Math.max(0, held + int(400) - 150),
      groups,
      scheduling,
      clusters,
      ecsProvision: rand() < 0.5,
    };
  });
}

function naiveSplit(input: ScheduleInput): number[] {
  const avail = input.clusters.map((c) => c.avail);
  return divideByWeight(
    input.replicas,
    avail.some((a) => a > 0) ? avail : avail.map(() => 1),
    avail.map(() => Infinity),
  ).shares;
}

function oneGroup(input: ScheduleInput): ScheduleInput {
  return { ...input, groups: [{ name: 'all', clusters: input.groups.flatMap((g) => g.clusters) }] };
}

interface Run {
  readonly f: (i: ScheduleInput) => unknown;
  readonly inputs: readonly ScheduleInput[];
  readonly ms: number[];
  readonly heap: number[];
}

/** Full GCs around each round, so its heap delta is what its outputs keep, not passing garbage. */
function exposeGc(): (() => void) | undefined {
  const own = (globalThis as { gc?: () => void }).gc;
  if (own) return own;
  // Without --expose-gc: turn the flag on and fetch gc from a fresh context (V8 installs it there).
  v8.setFlagsFromString('--expose-gc');
  const fresh: unknown = vm.runInNewContext('gc');
  return typeof fresh === 'function' ? (fresh as () => void) : undefined;
}
const gc = exposeGc();

/**
 * Timed rounds run as the controller does, with no forced collection anywhere near them: a full
 * GC right before a round lowers the old generation's limit, so the round's own promotions start
 * a major GC inside the timed part (that doubled the figure, and no controller calls gc()).
 */
function timeRound<T>(inputs: readonly ScheduleInput[], f: (i: ScheduleInput) => T): number {
  const t0 = process.hrtime.bigint();
  const out: T[] = inputs.map(f);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (out.length !== inputs.length) throw new Error('lost outputs');
  return ms;
}

/** The heap one round's outputs keep: full GCs around it, so passing garbage is not counted. */
function heapRound<T>(inputs: readonly ScheduleInput[], f: (i: ScheduleInput) => T): number {
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const out: T[] = inputs.map(f);
  gc?.();
  const heapBytes = process.memoryUsage().heapUsed - heap0;
  if (out.length !== inputs.length) throw new Error('lost outputs');
  return heapBytes;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

function main(): void {
  const inputs = makeInputs();
  const single = inputs.map(oneGroup);
  const run = (f: (i: ScheduleInput) => unknown, on: readonly ScheduleInput[]): Run => ({
    f,
    inputs: on,
    ms: [],
    heap: [],
  });
  const runs = {
    scheduler: run(schedule, inputs),
    naive: run(naiveSplit, inputs),
    oneGroup: run(schedule, single),
  };
  // Warm up the JIT, then interleave the three so drift hits them alike.
  for (let r = 0; r < 3; r++) for (const v of Object.values(runs)) timeRound(v.inputs, v.f);
  for (let r = 0; r < ROUNDS; r++)
    for (const v of Object.values(runs)) v.ms.push(timeRound(v.inputs, v.f));
  // Heap last: its forced collections would disturb the timed rounds.
  for (let r = 0; r < 3; r++)
    for (const v of Object.values(runs)) v.heap.push(heapRound(v.inputs, v.f));
  // The invariant, checked on the measured inputs (a benchmark of a wrong answer is worthless).
  const results = inputs.map(schedule);
  const broken = results.filter(
    (r, i) => r.clusters.reduce((s, c) => s + c.replicas, 0) + r.unplaced !== inputs[i]?.replicas,
  ).length;
  const waiting = results.reduce((s, r) => s + r.waiting, 0);

  console.log(
    `scheduler bench: ${BINDINGS} bindings x ${CLUSTERS} clusters in ${GROUPS} groups, ` +
      `seed ${SEED}, median of ${ROUNDS} rounds${gc ? '' : ' (gc not exposed: heap is noisy)'}`,
  );
  const base = median(runs.naive.ms);
  for (const [name, v] of Object.entries(runs)) {
    const ms = median(v.ms);
    console.log(
      `  ${name.padEnd(10)} total ${ms.toFixed(2).padStart(8)} ms  ` +
        `per binding ${((ms * 1000) / BINDINGS).toFixed(2).padStart(7)} µs  ` +
        `heap kept ${(median(v.heap) / 1024 / 1024).toFixed(2).padStart(6)} MiB  ` +
        `x${(ms / base).toFixed(1)} naive`,
    );
  }
  console.log(
    `  scheduler / oneGroup: x${(median(runs.scheduler.ms) / median(runs.oneGroup.ms)).toFixed(2)}; ` +
      `replicas waiting for capacity: ${waiting}; bindings breaking the sum invariant: ${broken}`,
  );
  const ms = median(runs.scheduler.ms);
  console.log(
    `  goal <= ${GOAL_MS} ms per round: ${ms.toFixed(2)} ms, x${(ms / GOAL_MS).toFixed(2)} of the goal ` +
      `(${ms <= GOAL_MS ? 'met' : 'not met'}; wall-clock time, so a busy machine reads high)`,
  );
}

main();
