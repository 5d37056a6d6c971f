import { describe, expect, it } from '@jest/globals';
import type { ResourceBinding, TargetCluster } from '../../../src/api/fleet.js';
import { withRecordedReasons } from '../../../src/fleet/binding-spec.js';

function live(clusters: TargetCluster[]): ResourceBinding {
  return {
    apiVersion: 'fleet.spillway.dev/v1alpha1',
    kind: 'ResourceBinding',
    metadata: { name: 'web-deployment', namespace: 'test' },
    spec: {
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' },
      clusters,
    },
  } as ResourceBinding;
}

const placed: TargetCluster[] = [
  { name: 'idc', replicas: 4, affinityName: 'idc', reason: 'group idc: took 4 of 4 available' },
  {
    name: 'cloud',
    replicas: 2,
    affinityName: 'cloud',
    reason: 'group cloud: took 2 of 100 available',
  },
];

describe('withRecordedReasons (the binding is not rewritten for a reason text alone)', () => {
  it('keeps the recorded reason of a cluster whose count this pass only kept', () => {
    const next: TargetCluster[] = [
      { name: 'idc', replicas: 4, affinityName: 'idc', reason: 'group idc: kept 4' },
      { name: 'cloud', replicas: 2, affinityName: 'cloud', reason: 'group cloud: kept 2' },
    ];
    expect(withRecordedReasons(next, live(placed))).toEqual(placed);
  });

  it('writes the new reason when the count, group or waiting replicas changed', () => {
    const next: TargetCluster[] = [
      { name: 'idc', replicas: 4, affinityName: 'idc', reason: 'group idc: kept 4' },
      { name: 'cloud', replicas: 3, affinityName: 'cloud', reason: 'group cloud: kept 3' },
    ];
    expect(withRecordedReasons(next, live(placed))[1]).toEqual(next[1]);
    const waiting: TargetCluster[] = [
      {
        name: 'idc',
        replicas: 4,
        affinityName: 'idc',
        waitingForCapacity: 1,
        reason: 'group idc: kept 4',
      },
    ];
    expect(withRecordedReasons(waiting, live(placed))).toEqual(waiting);
    const moved: TargetCluster[] = [
      { name: 'idc', replicas: 4, affinityName: 'other', reason: 'group other: kept 4' },
    ];
    expect(withRecordedReasons(moved, live(placed))).toEqual(moved);
  });

  it('writes a reason that says more than "kept", and anything on a first placement', () => {
    const failed: TargetCluster[] = [
      {
        name: 'idc',
        replicas: 4,
        affinityName: 'idc',
        reason: 'group idc: kept 4; cluster failed, but no healthy cluster can take its 4',
      },
    ];
    expect(withRecordedReasons(failed, live(placed))).toEqual(failed);
    expect(withRecordedReasons(placed, undefined)).toEqual(placed);
  });
});
