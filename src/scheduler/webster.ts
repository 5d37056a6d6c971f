/**
 * Webster (Sainte-Laguë) apportionment, as Karmada's scheduler divides replicas: seats are handed
 * out one at a time, each to the party with the highest priority `votes / (2 * seats + 1)`; equal
 * priorities go to the party with fewer seats, then by name (ascending, or descending when the
 * template's UID hashes odd: see `tieBreakFromUid`). Compared exactly (integer cross products),
 * where Karmada compares float64 quotients; the two differ only for votes and seats near 2^31.
 *
 * Parties are given in name order, so "by name" is "by position" here.
 */

export interface WebsterOptions {
  /** Seats each party holds before these are handed out (default 0). */
  readonly init?: readonly number[];
  /** Most seats a party may end with (default: no limit). A party at its cap takes no more. */
  readonly caps?: readonly number[];
  /** Equal priority and seats: the later party wins (Karmada's "name descending"). */
  readonly laterFirst?: boolean;
}

export interface Apportionment {
  /** Seats of each party at the end, `init` included. */
  readonly seats: number[];
  /** Seats nobody could take: every party with votes reached its cap. */
  readonly rest: number;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (Go's hash/fnv New32a). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Karmada's tie-break for a template: names descending when the FNV-1a hash of its UID is odd,
 * ascending when even or when there is no UID. It spreads ties between clusters over templates
 * instead of always favouring the same cluster, yet stays stable for one template.
 */
export function tieBreakFromUid(uid: string | undefined): boolean {
  return uid !== undefined && uid !== '' && (fnv1a32(uid) & 1) === 1;
}

/** `a * b` compared with `c * d`, exactly, for non-negative integers. */
function cmpProducts(a: number, b: number, c: number, d: number): number {
  const x = a * b;
  const y = c * d;
  if (x <= Number.MAX_SAFE_INTEGER && y <= Number.MAX_SAFE_INTEGER) return x - y;
  const bx = BigInt(a) * BigInt(b);
  const by = BigInt(c) * BigInt(d);
  return bx > by ? 1 : bx < by ? -1 : 0;
}

/** Below this many seats the plain one-seat-at-a-time loop is cheap enough. */
const DIRECT = 64;

/**
 * Hands out `count` seats by Webster's method. Parties with 0 votes never get a seat. Large
 * counts start from a float estimate kept safely below the exact answer (each party's seat
 * sequence is a prefix of the global seat order, so starting below it and continuing one seat at
 * a time gives exactly the one-at-a-time result), so the loop runs O(parties) times.
 */
export function webster(
  count: number,
  votes: readonly number[],
  opts: WebsterOptions = {},
): Apportionment {
  const n = votes.length;
  const seats = votes.map((_, k) => opts.init?.[k] ?? 0);
  const cap = (k: number): number => opts.caps?.[k] ?? Infinity;
  const open: number[] = [];
  let room = 0;
  for (let k = 0; k < n; k++) {
    if ((votes[k] ?? 0) > 0 && (seats[k] ?? 0) < cap(k)) {
      open.push(k);
      room += cap(k) - (seats[k] ?? 0);
    }
  }
  let left = Math.min(count, room);
  const rest = count - left;
  if (left === room) {
    // Every party with votes ends at its cap.
    for (const k of open) seats[k] = cap(k);
    return { seats, rest };
  }
  // Now room > left, so some threshold above 0 leaves seats over: the search below ends.
  if (left > DIRECT + 2 * open.length) left -= presize(left, votes, seats, cap, open);

  // a goes before b: higher priority, then fewer seats, then name.
  const before = (a: number, b: number): boolean => {
    const sa = seats[a] ?? 0;
    const sb = seats[b] ?? 0;
    const c = cmpProducts(votes[a] ?? 0, 2 * sb + 1, votes[b] ?? 0, 2 * sa + 1);
    if (c !== 0) return c > 0;
    if (sa !== sb) return sa < sb;
    return opts.laterFirst === true ? a > b : a < b;
  };
  const heap = new MaxHeap(
    open.filter((k) => (seats[k] ?? 0) < cap(k)),
    before,
  );
  for (; left > 0; left--) {
    const k = heap.top();
    seats[k] = (seats[k] ?? 0) + 1;
    if ((seats[k] ?? 0) >= cap(k)) heap.pop();
    else heap.siftDownTop();
  }
  return { seats, rest };
}

/** A non-negative double as an exact fraction. */
function fraction(x: number): { num: bigint; den: bigint } {
  let den = 1n;
  let scaled = x;
  while (!Number.isInteger(scaled)) {
    scaled *= 2; // exact: doubling a double only changes its exponent
    den *= 2n;
  }
  return { num: BigInt(scaled), den };
}

/**
 * Gives each open party the seats it has for certain among the next `left`: all seats of priority
 * at least a threshold p, where fewer than `left` seats have that priority (those seats are a
 * prefix of the one-at-a-time order, so they are all in it). p comes from a float search and is
 * checked exactly. Returns how many seats it gave.
 */
function presize(
  left: number,
  votes: readonly number[],
  seats: number[],
  cap: (k: number) => number,
  open: readonly number[],
): number {
  // Seats party k has at priority p or above: votes / (2s + 1) >= p, s from its current seats.
  const floatTake = (k: number, p: number): number => {
    const upTo = Math.floor(((votes[k] ?? 0) / p - 1) / 2) + 1;
    return Math.max(0, Math.min(cap(k), upTo) - (seats[k] ?? 0));
  };
  const exactTake = (k: number, num: bigint, den: bigint): number => {
    const v = BigInt(votes[k] ?? 0) * den;
    if (v < num) return 0;
    const upTo = Number((v - num) / (2n * num)) + 1;
    return Math.max(0, Math.min(cap(k), upTo) - (seats[k] ?? 0));
  };
  const sum = (f: (k: number) => number): number => open.reduce((s, k) => s + f(k), 0);
  let lo = 0;
  let hi = Math.max(...open.map((k) => votes[k] ?? 0)) * 2; // nobody has a seat this high
  for (let i = 0; i < 2000 && hi - lo > hi * 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (sum((k) => floatTake(k, mid)) > left) lo = mid;
    else hi = mid;
  }
  for (;;) {
    const { num, den } = fraction(hi);
    const takes = open.map((k) => exactTake(k, num, den));
    if (takes.reduce((s, t) => s + t, 0) <= left) {
      let given = 0;
      open.forEach((k, j) => {
        seats[k] = (seats[k] ?? 0) + (takes[j] ?? 0);
        given += takes[j] ?? 0;
      });
      return given;
    }
    hi *= 1 + 1e-12; // the float search was off by a rounding: step up, past it
  }
}

/** A binary max-heap of party indices under `before`; only the top ever changes priority. */
class MaxHeap {
  private readonly items: number[];
  constructor(
    items: readonly number[],
    private readonly before: (a: number, b: number) => boolean,
  ) {
    this.items = [...items];
    for (let i = Math.floor(this.items.length / 2) - 1; i >= 0; i--) this.down(i);
  }
  top(): number {
    return this.items[0] as number;
  }
  pop(): void {
    const last = this.items.pop() as number;
    if (this.items.length === 0) return;
    this.items[0] = last;
    this.down(0);
  }
  siftDownTop(): void {
    this.down(0);
  }
  private down(i: number): void {
    const a = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.before(a[l] as number, a[m] as number)) m = l;
      if (r < a.length && this.before(a[r] as number, a[m] as number)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m] as number, a[i] as number];
      i = m;
    }
  }
}
