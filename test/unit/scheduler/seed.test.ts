import { describe, expect, it } from '@jest/globals';
import { cluster, counts, entry, groups, run } from './helpers.js';

// The fleet seed page (hybrid cloud): IDC first, ACK as overflow with instant node elasticity,
// Divided/Weighted by AvailableReplicas, ecsProvision: true.
describe('seed: IDC first, ACK overflow with node provisioning', () => {
  const placement = { groups: groups({ idc: ['idc'], ack: ['ack'] }), ecsProvision: true };

  // 0 -> 2: the IDC cluster has room for 2 and takes both.
  const first = run({
    ...placement,
    replicas: 2,
    clusters: [cluster('idc', 0, 2), cluster('ack', 0, 0, { canProvision: true })],
  });
  // 2 -> 4: IDC is full now (its 2 running replicas used the room), ACK has no node yet.
  const out = run({
    ...placement,
    replicas: 4,
    previous: first,
    clusters: [cluster('idc', 2, 0), cluster('ack', 0, 0, { canProvision: true })],
  });
  // 4 -> 2 while the ACK replicas are still pending.
  const back = run({
    ...placement,
    replicas: 2,
    previous: out,
    clusters: [cluster('idc', 2, 0), cluster('ack', 2, 0, { ready: 0, canProvision: true })],
  });

  it('fills the IDC group first', () => {
    expect(counts(first)).toEqual({ idc: 2 });
    expect(entry(first, 'idc').reason).toBe('group idc: took 2 of 2 available');
    expect(first.waiting).toBe(0);
    expect(first.provision).toEqual([]);
  });

  it('2 -> 4 keeps IDC at 2 and spills 2 to ACK, waiting for capacity there', () => {
    expect(counts(out)).toEqual({ idc: 2, ack: 2 });
    expect(entry(out, 'ack').waiting).toBe(2);
    expect(entry(out, 'idc').waiting).toBe(0);
    expect(out.waiting).toBe(2);
    expect(out.unplaced).toBe(0);
  });

  it('asks ACK, and only ACK, to provision nodes for the 2 waiting replicas', () => {
    expect(out.provision).toEqual([{ cluster: 'ack', replicas: 2 }]);
    expect(entry(out, 'ack').reason).toMatch(/^group ack: \+2 waiting for capacity/);
    expect(entry(out, 'ack').reason).toContain('node provisioning requested for 2');
  });

  it('4 -> 2 removes the ACK replicas and keeps IDC', () => {
    expect(counts(back)).toEqual({ idc: 2 });
    expect(entry(back, 'ack').replicas).toBe(0);
    expect(entry(back, 'ack').reason).toBe(
      'group ack: removed 2, 2 of them not ready (scale-in takes from the lowest-priority group first)',
    );
    expect(back.waiting).toBe(0);
    expect(back.provision).toEqual([]);
  });

  it('while the ACK nodes come up the replicas stay there, still waiting', () => {
    const again = run({
      ...placement,
      replicas: 4,
      previous: out,
      clusters: [cluster('idc', 2, 0), cluster('ack', 2, 0, { ready: 0, canProvision: true })],
    });
    expect(counts(again)).toEqual({ idc: 2, ack: 2 });
    expect(again.provision).toEqual([{ cluster: 'ack', replicas: 2 }]);
    const ready = run({
      ...placement,
      replicas: 4,
      previous: again,
      clusters: [cluster('idc', 2, 0), cluster('ack', 2, 0, { ready: 2, canProvision: true })],
    });
    expect(ready.waiting).toBe(0);
    expect(ready.provision).toEqual([]);
  });

  it('without ecsProvision the overflow still waits in ACK but no node is requested', () => {
    const quiet = run({
      groups: placement.groups,
      replicas: 4,
      clusters: [cluster('idc', 2, 0), cluster('ack', 0, 0, { canProvision: true })],
    });
    expect(counts(quiet)).toEqual({ idc: 2, ack: 2 });
    expect(quiet.waiting).toBe(2);
    expect(quiet.provision).toEqual([]);
  });
});
