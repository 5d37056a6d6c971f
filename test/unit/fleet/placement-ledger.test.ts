import { describe, expect, it } from '@jest/globals';
import { PlacementLedger, replicasTaken } from '../../../src/fleet/placement-ledger.js';

const cpu100m = new Map([
  ['pods', 1],
  ['cpu', 100],
]);

/** A member with room for exactly `room` replicas, filled by workloads placed one by one. */
function placeOneByOne(n: number, room: number, ledger: PlacementLedger<string> | undefined) {
  const bound = new Map<string, number>(); // nothing bound yet: pods take seconds to appear
  const placed: Record<string, number> = { first: 0, second: 0 };
  for (let i = 0; i < n; i++) {
    const key = `w-${i}`;
    const reserved = ledger?.reservedBesides('first', key, (r) => bound.get(r) ?? 0);
    const free = room - (reserved ? replicasTaken(reserved, cpu100m) : 0);
    const member = free >= 1 ? 'first' : 'second';
    placed[member] = (placed[member] ?? 0) + 1;
    ledger?.record(key, new Map([[member, 1]]), cpu100m, key);
  }
  return placed;
}

describe('placement ledger', () => {
  it('places no more replicas in a member than fit when its pods are not visible yet', () => {
    // Without a ledger every workload sees the same free room: all 20 land in the first member.
    expect(placeOneByOne(20, 12, undefined)).toEqual({ first: 20, second: 0 });
    expect(placeOneByOne(20, 12, new PlacementLedger())).toEqual({ first: 12, second: 8 });
  });

  it('releases a reservation once the workload’s pods are bound', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m', 3]]), cpu100m, 'a');
    const bound = new Map([['a', 1]]);
    const seen = (r: string) => bound.get(r) ?? 0;
    expect(ledger.reservedBesides('m', 'b', seen).get('pods')).toBe(2);
    expect(ledger.reservedBesides('m', 'b', seen).get('cpu')).toBe(200);
    bound.set('a', 3); // now the estimator counts them: the ledger must not count them again
    expect(ledger.reservedBesides('m', 'b', seen).size).toBe(0);
    expect(ledger.size).toBe(0);
  });

  it('never counts a binding’s own reservation against it', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m', 3]]), cpu100m, 'a');
    expect(ledger.reservedBesides('m', 'a', () => 0).size).toBe(0);
    expect(ledger.size).toBe(1);
  });

  it('replaces a binding’s entries with its new placement and forgets a gone binding', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m1', 3]]), cpu100m, 'a');
    // Spilled: m1 gets nothing now, m2 gets 3.
    ledger.record(
      'a',
      new Map([
        ['m1', 0],
        ['m2', 3],
      ]),
      cpu100m,
      'a',
    );
    expect(ledger.reservedBesides('m1', 'b', () => 0).size).toBe(0);
    expect(ledger.reservedBesides('m2', 'b', () => 0).get('pods')).toBe(3);
    ledger.record('a', new Map([['m3', 1]]), cpu100m, 'a'); // m2 no longer listed
    expect(ledger.reservedBesides('m2', 'b', () => 0).size).toBe(0);
    ledger.forget('a');
    expect(ledger.size).toBe(0);
  });

  it('keeps a reservation for a scale-up until the new pods are bound', () => {
    const ledger = new PlacementLedger<string>();
    ledger.record('a', new Map([['m', 10]]), cpu100m, 'a'); // 4 bound already, scaled to 10
    expect(ledger.reservedBesides('m', 'b', () => 4).get('pods')).toBe(6);
  });
});

describe('replicasTaken', () => {
  it('converts reserved requests into replicas of another workload by its scarcest resource', () => {
    const reserved = new Map([
      ['pods', 2],
      ['cpu', 2000],
      ['memory', 4],
    ]);
    // 2 CPUs reserved are 20 replicas of 100m.
    expect(replicasTaken(reserved, cpu100m)).toBe(20);
    // 2 CPUs are 1 replica of 1.5 CPU and a bit: a partial replica's room is lost.
    expect(replicasTaken(reserved, new Map([['cpu', 1500]]))).toBe(2);
    // A resource the workload does not request holds nothing of it back; the pod count does.
    expect(replicasTaken(reserved, new Map([['nvidia.com/gpu', 1000]]))).toBe(2);
    expect(replicasTaken(new Map(), cpu100m)).toBe(0);
  });
});
