import type { Divided } from './division.js';
import { addInGroup, splitOverflowByWeight } from './division.js';
import type { Notes } from './notes.js';
import type { Member, Placement } from './placement.js';

export type { Divided } from './division.js';

export interface ScaleOut {
  /** New replicas per member. */
  readonly added: number[];
  /** Of `added`, how many went beyond the member's room: they wait for capacity. */
  readonly overflow: number[];
  /** Replicas no cluster could take (there is no eligible cluster at all). */
  readonly unplaced: number;
}

/** "took N of M available" for small counts, made once (the reason table is keyed by it). */
const TOOK: string[][] = [];
const TOOK_MAX = 64;

function tookNote(share: number, room: number): string {
  if (room >= TOOK_MAX) return `took ${share} of ${room} available`;
  const row = (TOOK[room] ??= []);
  return (row[share] ??= `took ${share} of ${room} available`);
}

/** Splits `take` (at most the group's room) among the group's members, per the division. */
function splitGroup(
  p: Placement,
  idx: readonly number[],
  take: number,
  base: readonly number[],
  s: Divided,
): number[] {
  const members = idx.map((i) => p.members[i] as Member);
  return addInGroup(
    take,
    members.map((m) => m.room),
    {
      held: idx.map((i) => base[i] ?? 0),
      weights: members.map((m) => m.weight),
      laterFirst: p.laterFirst,
    },
    s,
  );
}

/** The clusters overflow goes to: lowest-priority group first, provisionable clusters first. */
function overflowTargets(p: Placement): number[] {
  const tiers: ((m: Member) => boolean)[] = [
    (m) => m.canProvision && m.stuck === 0,
    (m) => m.stuck === 0,
    // Only stuck clusters left: their replicas have nowhere better to wait.
    () => true,
  ];
  for (let g = p.groups.length - 1; g >= 0; g--) {
    const eligible = (p.groups[g]?.members ?? []).filter((i) => p.members[i]?.eligible);
    for (const tier of tiers) {
      const picked = eligible.filter((i) => tier(p.members[i] as Member));
      if (picked.length > 0) return picked;
    }
  }
  return [];
}

function splitOverflow(
  p: Placement,
  targets: readonly number[],
  n: number,
  held: readonly number[],
  s: Divided,
): number[] {
  if (s.division === 'Aggregated') {
    // All of it to one cluster: the one holding most, ties to the first.
    let best = 0;
    targets.forEach((i, k) => {
      if ((held[i] ?? 0) > (held[targets[best] ?? 0] ?? 0)) best = k;
    });
    return targets.map((_, k) => (k === best ? n : 0));
  }
  // No cluster has room, so dynamic weights are all zero: split evenly. Static weights still hold.
  const weights = targets.map((i) =>
    s.weighting.kind === 'static' ? (p.members[i]?.weight ?? 0) : 1,
  );
  return splitOverflowByWeight(n, weights, p.laterFirst);
}

/**
 * Scale-out by `n`: walk the groups in priority order; each takes as much as its clusters have
 * room for, split by the division, and passes the rest on. What no group has room for goes to the
 * lowest-priority group, to clusters there that can provision nodes if there are any, and is
 * counted as overflow: those replicas wait for capacity.
 */
export function scaleOut(
  p: Placement,
  base: readonly number[],
  n: number,
  s: Divided,
  notes: Notes,
): ScaleOut {
  // Plain loops: this runs for every binding that grows.
  const added = new Array<number>(base.length).fill(0);
  const overflow = new Array<number>(base.length).fill(0);
  let left = n;
  for (const group of p.groups) {
    if (left === 0) break;
    const idx = group.members;
    let room = 0;
    for (const i of idx) room += (p.members[i] as Member).room;
    const take = Math.min(left, room);
    if (take === 0) continue;
    const shares = splitGroup(p, idx, take, base, s);
    for (let k = 0; k < idx.length; k++) {
      const share = shares[k] ?? 0;
      if (share === 0) continue;
      const i = idx[k] as number;
      added[i] = share;
      notes.add(i, tookNote(share, (p.members[i] as Member).room));
    }
    left -= take;
  }
  if (left === 0) return { added, overflow, unplaced: 0 };

  const targets = overflowTargets(p);
  if (targets.length === 0) return { added, overflow, unplaced: left };
  const held = base.map((b, i) => b + (added[i] ?? 0));
  const shares = splitOverflow(p, targets, left, held, s);
  targets.forEach((i, k) => {
    const share = shares[k] ?? 0;
    if (share === 0) return;
    added[i] = (added[i] ?? 0) + share;
    overflow[i] = share;
    notes.add(
      i,
      `+${share} waiting for capacity (no group has room; overflow goes to the lowest-priority group)`,
    );
  });
  return { added, overflow, unplaced: 0 };
}
