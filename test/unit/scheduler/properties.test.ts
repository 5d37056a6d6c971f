import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { schedule } from '../../../src/scheduler/index.js';
import type { ScheduleInput, ScheduleResult } from '../../../src/scheduler/index.js';
import { calm, divided, groupOf, inputs, shuffle } from './arbitraries.js';
import { duplicated } from './helpers.js';

const RUNS = { numRuns: 500 };
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
