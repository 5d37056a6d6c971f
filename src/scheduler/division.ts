/**
 * Division inside one priority group, as Karmada's scheduler divides among the clusters of one
 * affinity group (pkg/scheduler/core/division_algorithm.go and assignment.go): Webster rounding,
 * dynamic weights that divide only the difference, static weights recomputed from the total,
 * Aggregated on the fewest clusters. Spillway's own rules sit around this: a group takes no more
 * than its room (the rest spills to the next group) and scale-in first takes not-ready replicas.
 * See docs/scheduling.md, "Division inside a group".
 *
 * All arrays are per member of the group, in cluster-name order.
 */
import type { ReplicaScheduling } from './types.js';
import { webster } from './webster.js';

export type Divided = Extract<ReplicaScheduling, { type: 'Divided' }>;

/** What the division needs of one group. */
export interface GroupShare {
  /** Replicas each member holds (kept from before). */
  readonly held: readonly number[];
  /** Static weight of each member (1 without static weights). */
  readonly weights: readonly number[];
  /** Exact ties go to the later name. */
  readonly laterFirst: boolean;
}

/**
 * Karmada's Aggregated candidate list: clusters that already hold replicas first, each part by
 * `by` descending (ties by name), cut after the first clusters whose `by` reaches `total`. The
 * result is a mask: who takes part.
 */
function aggregatedPrefix(
  held: readonly number[],
  by: readonly number[],
  total: number,
  holdersFirst: boolean,
): boolean[] {
  const order = by
    .map((_, k) => k)
    .sort((a, b) => {
      const ha = holdersFirst && (held[a] ?? 0) > 0 ? 1 : 0;
      const hb = holdersFirst && (held[b] ?? 0) > 0 ? 1 : 0;
      return hb - ha || (by[b] ?? 0) - (by[a] ?? 0) || a - b;
    });
  const chosen = by.map(() => false);
  let sum = 0;
  for (const k of order) {
    if (sum >= total) break;
    chosen[k] = true;
    sum += by[k] ?? 0;
  }
  return chosen;
}

/**
 * Scale-up: splits `take` new replicas (at most `Σrooms`) among the group's members, never above
 * a member's room. Returns the new replicas per member.
 * - Dynamic weights: Webster over the rooms, for the difference only (Karmada's dynamicScaleUp);
 *   what each cluster holds does not count.
 * - Aggregated: Karmada's candidate list (holders first, then by room), cut where its rooms cover
 *   `take`, then Webster over those rooms.
 * - Static weights: the group's total is re-divided by the weights from zero, as Karmada does for
 *   every change; when that split keeps every running replica and fits the rooms, it is the
 *   answer (so the numbers are Karmada's). Otherwise running replicas stay where they are and the
 *   new ones go one by one by Webster from the current split, within the rooms.
 */
export function addInGroup(
  take: number,
  rooms: readonly number[],
  g: GroupShare,
  s: Divided,
): number[] {
  const { held, laterFirst } = g;
  if (take === 0) return rooms.map(() => 0);
  if (s.division === 'Aggregated') {
    const chosen = aggregatedPrefix(held, rooms, take, true);
    const votes = rooms.map((r, k) => (chosen[k] ? r : 0));
    return webster(take, votes, { caps: rooms, laterFirst }).seats;
  }
  if (s.weighting.kind === 'dynamic')
    return webster(take, rooms, { caps: rooms, laterFirst }).seats;
  const total = held.reduce((n, h) => n + h, take);
  const target = webster(total, g.weights, { laterFirst });
  const added = target.seats.map((t, k) => t - (held[k] ?? 0));
  if (target.rest === 0 && added.every((a, k) => a >= 0 && a <= (rooms[k] ?? 0))) return added;
  const caps = held.map((h, k) => h + (rooms[k] ?? 0));
  const { seats } = webster(take, g.weights, { init: held, caps, laterFirst });
  return seats.map((x, k) => x - (held[k] ?? 0));
}

/**
 * Scale-down: how many of `held` each member keeps when the group keeps `total` (at most
 * `Σheld`); nobody keeps more than it holds.
 * - Dynamic weights: Webster over what each holds (Karmada's dynamicScaleDown).
 * - Aggregated: the clusters holding most, cut where they cover `total`, then Webster over what
 *   those hold (Karmada's scale-down of Aggregated).
 * - Static weights: the total re-divided by the weights from zero (Karmada); where that would ask
 *   a cluster for more than it holds, Webster within what each holds, and what the weighted
 *   clusters cannot keep stays where it is, by Webster over what is left there.
 */
export function keepInGroup(total: number, g: GroupShare, s: Divided): number[] {
  const { held, laterFirst } = g;
  if (s.division === 'Aggregated') {
    const chosen = aggregatedPrefix(held, held, total, false);
    const votes = held.map((h, k) => (chosen[k] ? h : 0));
    return webster(total, votes, { caps: held, laterFirst }).seats;
  }
  if (s.weighting.kind === 'dynamic') return webster(total, held, { caps: held, laterFirst }).seats;
  const target = webster(total, g.weights, { laterFirst });
  if (target.rest === 0 && target.seats.every((t, k) => t <= (held[k] ?? 0))) return target.seats;
  const first = webster(total, g.weights, { caps: held, laterFirst });
  if (first.rest === 0) return first.seats;
  const left = held.map((h, k) => h - (first.seats[k] ?? 0));
  const second = webster(first.rest, left, { caps: left, laterFirst });
  return first.seats.map((x, k) => x + (second.seats[k] ?? 0));
}

/**
 * Replicas no group has room for, split among the overflow clusters (Karmada has no such step: it
 * reports the workload unschedulable). Static weights still hold; otherwise equal shares, since
 * every room is 0. Webster, as everywhere else.
 */
export function splitOverflowByWeight(
  n: number,
  weights: readonly number[],
  laterFirst: boolean,
): number[] {
  return webster(n, weights, { laterFirst }).seats;
}
