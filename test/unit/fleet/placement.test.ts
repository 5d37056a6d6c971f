import { describe, expect, it } from '@jest/globals';
import { resolvePlacement, type MemberInfo } from '../../../src/fleet/placement.js';
import { matchesSelector, selectorToQuery } from '../../../src/fleet/labels.js';

const members: MemberInfo[] = [
  { name: 'c6b4', labels: { location: 'idc' } },
  { name: 'c043', labels: { location: 'cloud', region: 'bj' } },
  { name: 'c099', labels: { location: 'cloud', region: 'sh' } },
];

describe('placement resolution', () => {
  it('turns the seed clusterAffinities into ordered groups with dynamic weights', () => {
    const r = resolvePlacement(
      {
        clusterAffinities: [
          { affinityName: 'idc', clusterNames: ['c6b4'] },
          { affinityName: 'ack', clusterNames: ['c043'] },
        ],
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { dynamicWeight: 'AvailableReplicas' },
        },
      },
      members,
    );
    expect(r.groups).toEqual([
      { name: 'idc', clusters: ['c6b4'] },
      { name: 'ack', clusters: ['c043'] },
    ]);
    expect(r.scheduling).toEqual({
      type: 'Divided',
      division: 'Weighted',
      weighting: { kind: 'dynamic' },
    });
    expect(r.unknownClusters).toEqual([]);
  });

  it('duplicates to every member when the policy has no placement (the seed Service policy)', () => {
    const r = resolvePlacement(
      { replicaScheduling: { replicaSchedulingType: 'Duplicated' } },
      members,
    );
    expect(r.groups).toEqual([{ name: 'all', clusters: ['c043', 'c099', 'c6b4'] }]);
    expect(r.scheduling).toEqual({ type: 'Duplicated' });
    expect(resolvePlacement(undefined, members).scheduling).toEqual({ type: 'Duplicated' });
  });

  it('selects by labels minus exclude, and reports unregistered cluster names', () => {
    const r = resolvePlacement(
      {
        clusterAffinity: {
          labelSelector: { matchLabels: { location: 'cloud' } },
          exclude: ['c099'],
          clusterNames: ['nope'],
        },
      },
      members,
    );
    expect(r.groups).toEqual([{ name: 'clusterAffinity', clusters: ['c043'] }]);
    expect(r.unknownClusters).toEqual(['nope']);
  });

  it('resolves static weights to cluster names and Aggregated as such', () => {
    const r = resolvePlacement(
      {
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: {
            staticWeightList: [
              { targetCluster: { labelSelector: { matchLabels: { region: 'sh' } } }, weight: 3 },
            ],
          },
        },
      },
      members,
    );
    expect(r.scheduling).toEqual({
      type: 'Divided',
      division: 'Weighted',
      weighting: { kind: 'static', rules: [{ clusterNames: ['c099'], weight: 3 }] },
    });
    expect(
      resolvePlacement(
        {
          replicaScheduling: {
            replicaSchedulingType: 'Divided',
            replicaDivisionPreference: 'Aggregated',
          },
        },
        members,
      ).scheduling,
    ).toEqual({
      type: 'Divided',
      division: 'Aggregated',
    });
  });
});

describe('label selectors', () => {
  it('applies matchLabels and every operator', () => {
    const l = { a: '1', b: '2' };
    expect(matchesSelector(l, {})).toBe(true);
    expect(matchesSelector(l, { matchLabels: { a: '1' } })).toBe(true);
    expect(matchesSelector(l, { matchLabels: { a: '2' } })).toBe(false);
    expect(
      matchesSelector(l, { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }),
    ).toBe(true);
    expect(
      matchesSelector(l, { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }),
    ).toBe(false);
    expect(
      matchesSelector(l, { matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['1'] }] }),
    ).toBe(true);
    expect(matchesSelector(l, { matchExpressions: [{ key: 'c', operator: 'Exists' }] })).toBe(
      false,
    );
    expect(matchesSelector(l, { matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] })).toBe(
      true,
    );
    expect(
      selectorToQuery({
        matchLabels: { a: '1' },
        matchExpressions: [
          { key: 'b', operator: 'In', values: ['2', '3'] },
          { key: 'c', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('a=1,b in (2,3),!c');
  });
});
