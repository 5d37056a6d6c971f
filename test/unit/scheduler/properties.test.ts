import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { schedule } from '../../../src/scheduler/index.js';
import type { ScheduleInput, ScheduleResult } from '../../../src/scheduler/index.js';
import { calm, divided, groupOf, inputs, shuffle } from './arbitraries.js';
import { duplicated, weighted } from './helpers.js';
import { propertyRuns } from './runs.js';

const RUNS = propertyRuns(500);
const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const countOf = (r: ScheduleResult, name: string): number =>
  r.clusters.find((c) => c.cluster === name)?.replicas ?? 0;
const usable = (input: ScheduleInput): string[] => {
  const groups = groupOf(input);
  return input.clusters.filter((c) => groups.has(c.name) && c.failed !== true).map((c) => c.name);
};

describe('scheduler properties (Divided)', () => {
  it('counts add up to replicas whenever some cluster is usable', () => {
    fc.assert(
      fc.property(inputs(divided), (input) => {
        const r = schedule(input);
        expect(sum(r.clusters.map((c) => c.replicas)) + r.unplaced).toBe(input.replicas);
        if (usable(input).length > 0) expect(r.unplaced).toBe(0);
      }),
      RUNS,
    );
  });

  it('gives no replicas outside the placement, nor to failed clusters while others are usable', () => {
    fc.assert(
      fc.property(inputs(divided), (input) => {
        const r = schedule(input);
        const groups = groupOf(input);
        const failed = new Set(input.clusters.filter((c) => c.failed).map((c) => c.name));
        const anyUsable = usable(input).length > 0;
        for (const c of r.clusters) {
          if (c.replicas === 0) continue;
          expect(groups.has(c.cluster)).toBe(true);
          if (anyUsable) expect(failed.has(c.cluster)).toBe(false);
        }
        expect(new Set(r.clusters.map((c) => c.cluster)).size).toBe(r.clusters.length);
      }),
      RUNS,
    );
  });

  it('scale-out never removes and scale-in never adds, per cluster, when nothing failed', () => {
    fc.assert(
      fc.property(inputs(divided).map(calm), (input) => {
        const r = schedule(input);
        const held = sum(input.clusters.map((c) => c.cur));
        for (const c of input.clusters) {
          if (input.replicas >= held) expect(countOf(r, c.name)).toBeGreaterThanOrEqual(c.cur);
          else expect(countOf(r, c.name)).toBeLessThanOrEqual(c.cur);
        }
      }),
      RUNS,
    );
  });

  it('never leaves a higher group with room while a lower group gained replicas', () => {
    fc.assert(
      fc.property(inputs(divided), (input) => {
        const r = schedule(input);
        const groups = groupOf(input);
        const ok = usable(input);
        const anyUsable = ok.length > 0;
        // Room is avail, except where static weights give a cluster weight 0 (policy: no new
        // replicas there), unless the rules weigh no usable cluster at all (then equal weights).
        const s = input.scheduling;
        const rules =
          s.type === 'Divided' && s.division === 'Weighted' && s.weighting.kind === 'static'
            ? s.weighting.rules
            : [];
        const weight = (n: string): number =>
          Math.max(0, ...rules.filter((x) => x.clusterNames.includes(n)).map((x) => x.weight));
        const zeroWeight = (n: string): boolean =>
          rules.length > 0 && ok.some((u) => weight(u) > 0) && weight(n) === 0;
        const roomLeft = input.groups.map(() => 0);
        const lowestGain = input.clusters.reduce((lowest, c) => {
          const g = groups.get(c.name);
          if (g === undefined || c.failed === true) return lowest;
          const stuck = Math.min(c.stuck ?? 0, c.cur);
          const gained = countOf(r, c.name) - (c.cur - stuck);
          const room = stuck === 0 && !zeroWeight(c.name) ? c.avail : 0;
          roomLeft[g] = (roomLeft[g] ?? 0) + Math.max(0, room - Math.max(0, gained));
          return gained > 0 ? Math.max(lowest, g) : lowest;
        }, -1);
        if (!anyUsable) return;
        for (let h = 0; h < lowestGain; h++) expect(roomLeft[h]).toBe(0);
      }),
      RUNS,
    );
  });

  it('is sticky: recomputing from its own result changes nothing', () => {
    fc.assert(
      fc.property(inputs(divided), (input) => {
        const r = schedule(input);
        const next: ScheduleInput = {
          ...input,
          previous: r,
          clusters: input.clusters.map((c) => {
            const now = countOf(r, c.name);
            return { ...c, cur: now, ready: 0, stuck: 0, avail: Math.max(0, c.avail - now) };
          }),
        };
        const again = schedule(next);
        for (const c of input.clusters) expect(countOf(again, c.name)).toBe(countOf(r, c.name));
        expect(again.unplaced).toBe(r.unplaced);
      }),
      RUNS,
    );
  });
});

describe('scale-in properties (one group, every replica ready)', () => {
  const NAMES = ['c0', 'c1', 'c2', 'c3'];
  const group = [{ name: 'g', clusters: NAMES }];
  /**
   * `kept` is a Webster (Sainte-Laguë) apportionment of `votes`, Karmada's division: some divisor
   * rounds every `votes / d` to `kept`, i.e. no cluster's next seat outranks anyone's last seat:
   * votes_i / (2 kept_i + 1) <= votes_j / (2 kept_j - 1) whenever kept_j > 0.
   */
  const isWebster = (kept: readonly number[], votes: readonly number[]): boolean =>
    kept.every((ki, i) =>
      kept.every(
        (kj, j) => kj === 0 || (votes[i] ?? 0) * (2 * kj - 1) <= (votes[j] ?? 0) * (2 * ki + 1),
      ),
    );

  it('static weights: scaling in from a weighted split lands on a weighted split again', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (weights, from, toRaw) => {
          const to = toRaw % (from + 1);
          const scheduling = weighted(
            NAMES.map((n, i) => ({ clusterNames: [n], weight: weights[i] ?? 1 })),
          );
          const grown = schedule({
            replicas: from,
            groups: group,
            scheduling,
            clusters: NAMES.map((name) => ({ name, cur: 0, avail: 100 })),
          });
          const shrunk = schedule({
            replicas: to,
            groups: group,
            scheduling,
            previous: grown,
            clusters: NAMES.map((name) => ({ name, cur: countOf(grown, name), avail: 100 })),
          });
          // Webster is house-monotone, so this is Karmada's full recompute for `to` replicas.
          const kept = NAMES.map((n) => countOf(shrunk, n));
          expect(isWebster(kept, weights)).toBe(true);
          NAMES.forEach((n) => expect(countOf(shrunk, n)).toBeLessThanOrEqual(countOf(grown, n)));
          expect(sum(kept)).toBe(to);
        },
      ),
      RUNS,
    );
  });

  it('static weights: scaling out from below the weighted split lands exactly on it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 4, maxLength: 4 }),
        (weights, to, cuts) => {
          const scheduling = weighted(
            NAMES.map((n, i) => ({ clusterNames: [n], weight: weights[i] ?? 1 })),
          );
          const fresh = (replicas: number) =>
            schedule({
              replicas,
              groups: group,
              scheduling,
              clusters: NAMES.map((name) => ({ name, cur: 0, avail: 100 })),
            });
          const target = fresh(to);
          // Any state at or below the target split, e.g. left by caps or failover.
          const held = NAMES.map((n, i) => Math.floor((countOf(target, n) * (cuts[i] ?? 0)) / 100));
          const r = schedule({
            replicas: to,
            groups: group,
            scheduling,
            clusters: NAMES.map((name, i) => ({ name, cur: held[i] ?? 0, avail: 100 })),
          });
          for (const n of NAMES) expect(countOf(r, n)).toBe(countOf(target, n));
        },
      ),
      RUNS,
    );
  });

  it('dynamic weights: what each keeps is a Webster split of what each held (Karmada)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 48 }),
        (held, toRaw) => {
          const total = sum(held);
          const to = toRaw % (total + 1);
          const r = schedule({
            replicas: to,
            groups: group,
            scheduling: { type: 'Divided', division: 'Weighted', weighting: { kind: 'dynamic' } },
            clusters: NAMES.map((name, i) => ({ name, cur: held[i] ?? 0, avail: 7 })),
          });
          if (total === 0) return;
          const kept = NAMES.map((n) => countOf(r, n));
          expect(isWebster(kept, held)).toBe(true);
          NAMES.forEach((n, i) => expect(countOf(r, n)).toBeLessThanOrEqual(held[i] ?? 0));
        },
      ),
      RUNS,
    );
  });
});

describe('scheduler properties (any mode)', () => {
  const all = fc.oneof(inputs(divided), inputs(fc.constant(duplicated)));

  it('gives the same output for the same input, in whatever order clusters are listed', () => {
    fc.assert(
      fc.property(all, fc.nat(), (input, seed) => {
        const s = input.scheduling;
        const reordered: ScheduleInput = {
          ...input,
          clusters: shuffle(input.clusters, seed),
          groups: input.groups.map((g, i) => ({ ...g, clusters: shuffle(g.clusters, seed + i) })),
          scheduling:
            s.type === 'Divided' && s.division === 'Weighted' && s.weighting.kind === 'static'
              ? { ...s, weighting: { kind: 'static', rules: shuffle(s.weighting.rules, seed) } }
              : s,
        };
        const r = schedule(input);
        expect(schedule(input)).toEqual(r);
        expect(schedule(reordered)).toEqual(r);
      }),
      RUNS,
    );
  });

  it('counts waiting replicas consistently and asks only provisionable clusters for nodes', () => {
    fc.assert(
      fc.property(all, (input) => {
        const r = schedule(input);
        const provisionable = new Set(
          input.clusters.filter((c) => c.canProvision).map((c) => c.name),
        );
        for (const c of r.clusters) {
          expect(c.waiting).toBeGreaterThanOrEqual(0);
          expect(c.waiting).toBeLessThanOrEqual(c.replicas);
        }
        expect(r.waiting).toBe(sum(r.clusters.map((c) => c.waiting)));
        const expected = r.clusters
          .filter(
            (c) => c.waiting > 0 && input.ecsProvision === true && provisionable.has(c.cluster),
          )
          .map((c) => ({ cluster: c.cluster, replicas: c.waiting }));
        expect(r.provision).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('Duplicated gives the full count to every usable cluster of the first usable group only', () => {
    fc.assert(
      fc.property(inputs(fc.constant(duplicated)), (input) => {
        const r = schedule(input);
        const groups = groupOf(input);
        const ok = usable(input);
        if (ok.length === 0) return;
        const first = Math.min(...ok.map((n) => groups.get(n) ?? Infinity));
        for (const c of input.clusters) {
          const selected = ok.includes(c.name) && groups.get(c.name) === first;
          expect(countOf(r, c.name)).toBe(selected ? input.replicas : 0);
        }
      }),
      RUNS,
    );
  });
});
