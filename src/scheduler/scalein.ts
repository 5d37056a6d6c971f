import { divideByWeight, fillInOrder } from './divide.js';
import type { Notes } from './notes.js';
import type { Member, Placement } from './placement.js';
import type { Divided } from './spillover.js';

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);

/**
 * Removes `k` units (at most `Σvalues`), always one from the largest value: the result is the
 * same as removing them one by one, computed in O(n log max). Ties lose from the later entry
 * first, the mirror of scale-out giving ties to the earlier one, so scaling out by one and back
 * in by one returns to where it started.
 */
export function levelDown(values: readonly number[], k: number): number[] {
  const cut = (t: number): number => values.reduce((s, v) => s + Math.max(0, v - t), 0);
  // Smallest level t with cut(t) <= k: everyone above t comes down to t...
  let lo = 0;
  let hi = Math.max(0, ...values);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (cut(mid) <= k) hi = mid;
    else lo = mid + 1;
  }
  const removed = values.map((v) => Math.max(0, v - lo));
  // ...and fewer than #{v >= t} units remain, taken one each from the entries standing at t.
  let left = k - sum(removed);
  for (let i = values.length - 1; i >= 0 && left > 0; i--) {
    if ((values[i] ?? 0) >= lo && lo > 0) {
      removed[i] = (removed[i] ?? 0) + 1;
      left--;
    }
  }
  return removed;
}

/**
 * How many of `held` each member of one group keeps when the group keeps `total` (at most
 * `Σheld`), so that what stays matches the division's intent. Nobody ever keeps more than it
 * holds: scale-in never adds.
 * - Static weights: the kept replicas are split by the weights (capped by what each holds), so
 *   1:3 stays 1:3 however often the workload scales; a cluster the weights no longer name gives
 *   back first.
 * - Dynamic weights: in proportion to what each cluster holds (Karmada's scale-down), so every
 *   cluster gives back its share and none is drained while another keeps everything.
 * - Aggregated: as few clusters as possible, so the clusters holding most keep theirs and the
 *   smallest empty first (ties: the earlier name keeps).
 * Remainders go by largest remainder, ties to the earlier member (group order, then name).
 */
export function keepInGroup(
  members: readonly Member[],
  held: readonly number[],
  total: number,
  s: Divided,
): number[] {
  if (s.division === 'Aggregated') {
    const order = held.map((h, k) => ({ h, k })).sort((a, b) => b.h - a.h || a.k - b.k);
    const { shares } = fillInOrder(
      total,
      order.map((e) => e.h),
    );
    const out = held.map(() => 0);
    order.forEach((e, j) => (out[e.k] = shares[j] ?? 0));
    return out;
  }
  const weights = s.weighting.kind === 'static' ? members.map((m) => m.weight) : held;
  const first = divideByWeight(total, weights, held);
  if (first.rest === 0) return first.shares;
  // The weighted clusters cannot hold it all (or weigh nothing): the rest stays where it is,
  // in proportion to what is left there.
  const left = held.map((h, k) => h - (first.shares[k] ?? 0));
  const second = divideByWeight(first.rest, left, left);
  return first.shares.map((x, k) => x + (second.shares[k] ?? 0));
}

/**
 * Scale-in by `n`: the lowest-priority group gives back first. Inside a group, replicas that are
 * not ready go first (they serve nothing, and a waiting one may be holding a node request); the
 * rest is taken so that what the group keeps follows the division (see `keepInGroup`). Returns
 * the replicas each member loses.
 */
export function scaleIn(
  p: Placement,
  base: readonly number[],
  n: number,
  s: Divided,
  notes: Notes,
): number[] {
  const removed = base.map(() => 0);
  let left = n;
  for (let g = p.groups.length - 1; g >= 0 && left > 0; g--) {
    const idx = p.groups[g]?.members ?? [];
    const held = idx.map((i) => base[i] ?? 0);
    const notReady = idx.map((i, k) => {
      const h = held[k] ?? 0;
      return h - Math.min(p.members[i]?.ready ?? 0, h);
    });
    const first = levelDown(notReady, Math.min(left, sum(notReady)));
    left -= sum(first);
    const after = held.map((h, k) => h - (first[k] ?? 0));
    const give = Math.min(left, sum(after));
    left -= give;
    const keep = keepInGroup(
      idx.map((i) => p.members[i] as Member),
      after,
      sum(after) - give,
      s,
    );
    idx.forEach((i, k) => {
      const nr = first[k] ?? 0;
      const r = nr + (after[k] ?? 0) - (keep[k] ?? 0);
      if (r === 0) return;
      removed[i] = r;
      const which = nr > 0 ? `, ${nr} of them not ready` : '';
      notes.add(i, `removed ${r}${which} (scale-in takes from the lowest-priority group first)`);
    });
  }
  return removed;
}
