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
  const shares = weights.map(() => 0);
  const room = (i: number): number => (caps[i] ?? 0) - (shares[i] ?? 0);
  let active = weights.flatMap((w, i) => (w > 0 && room(i) > 0 ? [i] : []));
  let rest = total;
  while (rest > 0 && active.length > 0) {
    const sum = active.reduce((s, i) => s + (weights[i] ?? 0), 0);
    const parts = active.map((i) => {
      const { q, r } = mulDiv(rest, weights[i] ?? 0, sum);
      return { i, q, r };
    });
    const full = new Set(parts.filter((p) => p.q >= room(p.i)).map((p) => p.i));
    if (full.size > 0) {
      for (const i of full) {
        rest -= room(i);
        shares[i] = caps[i] ?? 0;
      }
      active = active.filter((i) => !full.has(i));
      continue;
    }
    // No one is capped: floors now, then one more each for the largest remainders. Each of those
    // had q < room, so q + 1 still fits.
    let left = rest;
    for (const p of parts) {
      shares[p.i] = (shares[p.i] ?? 0) + p.q;
      left -= p.q;
    }
    parts.sort((a, b) => b.r - a.r || a.i - b.i);
    for (let k = 0; k < left; k++) {
      const p = parts[k] as { i: number };
      shares[p.i] = (shares[p.i] ?? 0) + 1;
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
