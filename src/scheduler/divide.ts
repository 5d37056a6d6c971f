/**
 * Integer splitting of replicas. All of it is exact integer arithmetic: a floating-point share
 * can round either way near .5 and break "the same input always gives the same output".
 */

/** `floor(a * b / c)` and its remainder, exact even when `a * b` leaves the safe-integer range. */
export function mulDiv(a: number, b: number, c: number): { q: number; r: number } {
  const p = a * b;
  if (p <= Number.MAX_SAFE_INTEGER) {
    const r = p % c;
    return { q: (p - r) / c, r }; // (p - r) is a multiple of c, so the division is exact
  }
  const big = BigInt(a) * BigInt(b);
  const bc = BigInt(c);
  return { q: Number(big / bc), r: Number(big % bc) };
}

export interface Split {
  /** Share of each entry, in the order the entries were given. */
  readonly shares: number[];
  /** What did not fit under the caps. */
  readonly rest: number;
}

/**
 * Splits `total` in proportion to `weights`, never giving an entry more than its cap, by the
 * largest-remainder method: everyone gets the floor of their exact share, and the units left
 * over go to the largest remainders, ties to the earlier entry (callers order entries by group,
 * then cluster name). An entry whose share would pass its cap is filled to the cap and the
 * others re-split what remains (water-filling), so a full cluster never hides room elsewhere.
 * Entries with weight 0 or cap 0 get nothing.
 */
export function divideByWeight(
  total: number,
  weights: readonly number[],
  caps: readonly number[],
): Split {
  // Plain loops and no per-entry objects: this runs for every group of every binding.
  const n = weights.length;
  const shares = new Array<number>(n).fill(0);
  let active: number[] = [];
  for (let i = 0; i < n; i++) if ((weights[i] ?? 0) > 0 && (caps[i] ?? 0) > 0) active.push(i);
  let rest = total;
  while (rest > 0 && active.length > 0) {
    let sum = 0;
    for (const i of active) sum += weights[i] ?? 0;
    const q = new Array<number>(active.length);
    const r = new Array<number>(active.length);
    let anyFull = false;
    for (let k = 0; k < active.length; k++) {
      const i = active[k] as number;
      const d = mulDiv(rest, weights[i] ?? 0, sum);
      q[k] = d.q;
      r[k] = d.r;
      if (d.q >= (caps[i] ?? 0) - (shares[i] ?? 0)) anyFull = true;
    }
    if (anyFull) {
      const still: number[] = [];
      for (let k = 0; k < active.length; k++) {
        const i = active[k] as number;
        const room = (caps[i] ?? 0) - (shares[i] ?? 0);
        if ((q[k] as number) >= room) {
          rest -= room;
          shares[i] = caps[i] ?? 0;
        } else still.push(i);
      }
      active = still;
      continue;
    }
    // No one is capped: floors now, then one more each for the largest remainders. Each of those
    // had q < room, so q + 1 still fits.
    let left = rest;
    for (let k = 0; k < active.length; k++) {
      const i = active[k] as number;
      shares[i] = (shares[i] ?? 0) + (q[k] as number);
      left -= q[k] as number;
    }
    if (left > 0) {
      const order = active.map((_, k) => k);
      order.sort((a, b) => (r[b] as number) - (r[a] as number) || a - b);
      for (let k = 0; k < left; k++) {
        const i = active[order[k] as number] as number;
        shares[i] = (shares[i] ?? 0) + 1;
      }
    }
    rest = 0;
  }
  return { shares, rest };
}

/** Fills entries to their caps one after another, in the given order (Aggregated). */
export function fillInOrder(total: number, caps: readonly number[]): Split {
  let rest = total;
  const shares = caps.map((cap) => {
    const take = Math.min(rest, cap);
    rest -= take;
    return take;
  });
  return { shares, rest };
}
