import { keepInGroup } from './division.js';
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
      sum(after) - give,
      {
        held: after,
        weights: idx.map((i) => (p.members[i] as Member).weight),
        laterFirst: p.laterFirst,
      },
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
