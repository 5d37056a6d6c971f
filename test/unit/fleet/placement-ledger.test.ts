import { describe, expect, it } from '@jest/globals';
import { DEFAULT_MAX_AGE_MS, PlacementLedger } from '../../../src/fleet/placement-ledger.js';

const T0 = 1_000_000;
const waitingIn = (l: PlacementLedger<string>, m: string, key: string, seen = () => 0, now = T0) =>
  l.waitingBesides(m, key, seen, now).reduce((s, w) => s + w.replicas, 0);

/** A member with room for exactly `room` replicas, filled by workloads placed one by one. */
function placeOneByOne(n: number, room: number, ledger: PlacementLedger<string> | undefined) {
  const placed: Record<string, number> = { first: 0, second: 0 };
  for (let i = 0; i < n; i++) {
    const key = `w-${i}`;
    // Nothing is bound yet: pods take seconds to appear.
    const free = room - (ledger ? waitingIn(ledger, 'first', key) : 0);
    const member = free >= 1 ? 'first' : 'second';
    placed[member] = (placed[member] ?? 0) + 1;
    ledger?.record(key, new Map([[member, 1]]), key, T0);
  }
  return placed;
}

describe('placement ledger', () => {
  it('places no more replicas in a member than fit when its pods are not visible yet', () => {
    // Without a ledger every workload sees the same free room: all 20 land in the first member.
    expect(placeOneByOne(20, 12, undefined)).toEqual({ first: 20, second: 0 });
    expect(placeOneByOne(20, 12, new PlacementLedger())).toEqual({ first: 12, second: 8 });
  });

  it('releases a reservation once the workload’s pods are seen', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m', 3]]), 'a', T0);
    const seen = new Map([['a', 1]]);
    expect(ledger.waitingBesides('m', 'b', (r) => seen.get(r) ?? 0, T0)).toEqual([
      { ref: 'a', replicas: 2 },
    ]);
    seen.set('a', 3); // now the estimator counts them: the ledger must not count them again
    expect(ledger.waitingBesides('m', 'b', (r) => seen.get(r) ?? 0, T0)).toEqual([]);
    expect(ledger.size).toBe(0);
  });

  it('never counts a binding’s own reservation against it', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m', 3]]), 'a', T0);
    expect(ledger.waitingBesides('m', 'a', () => 0, T0)).toEqual([]);
    expect(ledger.size).toBe(1);
  });

  it('replaces a binding’s entries with its new placement and forgets a gone binding', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m1', 3]]), 'a', T0);
    // Spilled: m1 gets nothing now, m2 gets 3.
    ledger.record(
      'a',
      new Map([
        ['m1', 0],
        ['m2', 3],
      ]),
      'a',
      T0,
    );
    expect(waitingIn(ledger, 'm1', 'b')).toBe(0);
    expect(waitingIn(ledger, 'm2', 'b')).toBe(3);
    ledger.record('a', new Map([['m3', 1]]), 'a', T0); // m2 no longer listed
    expect(waitingIn(ledger, 'm2', 'b')).toBe(0);
    ledger.forget('a');
    expect(ledger.size).toBe(0);
  });

  it('keeps a reservation for a scale-up until the new pods are seen', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m', 10]]), 'a', T0); // 4 bound already, scaled to 10
    expect(waitingIn(ledger, 'm', 'b', () => 4)).toBe(6);
  });

  it('lets a reservation whose pods never come expire, however often it is re-recorded', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m', 2]]), 'a', T0);
    // The binding is re-reconciled every few seconds with the same placement.
    for (let t = T0; t < T0 + DEFAULT_MAX_AGE_MS; t += 5_000) {
      ledger.record('a', new Map([['m', 2]]), 'a', t);
      expect(waitingIn(ledger, 'm', 'b', () => 0, t)).toBe(2);
    }
    const late = T0 + DEFAULT_MAX_AGE_MS;
    expect(waitingIn(ledger, 'm', 'b', () => 0, late)).toBe(0);
    // Reconciled again with the same placement: still expired, it holds nothing.
    ledger.record('a', new Map([['m', 2]]), 'a', late + 5_000);
    expect(waitingIn(ledger, 'm', 'b', () => 0, late + 5_000)).toBe(0);
    // A changed placement is a new promise, with its own time.
    ledger.record('a', new Map([['m', 3]]), 'a', T0 + DEFAULT_MAX_AGE_MS);
    expect(waitingIn(ledger, 'm', 'b', () => 0, T0 + DEFAULT_MAX_AGE_MS + 1)).toBe(3);
  });
});
