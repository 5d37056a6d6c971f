import { describe, expect, it } from '@jest/globals';
import { podlessReplicas, workloadFailures } from '../../../src/fleet/workload-health.js';
import { oneLine } from '../../../src/util/text.js';

const since = Date.parse('2026-01-01T00:00:00Z');
const failing = {
  replicas: 1,
  conditions: [
    {
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: 'forbidden',
      lastTransitionTime: new Date(since),
    },
  ],
};

describe('member workload health', () => {
  it.each([
    ['before the timeout', 299_000, 0],
    ['at the timeout', 300_000, 3],
    ['long after', 3_600_000, 3],
  ])('replicas without a pod count as stuck only past spilloverAfterSeconds (%s)', (_, age, n) => {
    expect(podlessReplicas(4, failing, 300_000, since + age)).toBe(n);
  });

  it('counts nothing without ReplicaFailure, or with spill-over turned off', () => {
    expect(podlessReplicas(4, { replicas: 0, conditions: [] }, 300_000, since + 1e9)).toBe(0);
    expect(podlessReplicas(4, failing, 0, since + 1e9)).toBe(0);
  });

  it('reads ReplicaFailure=True and Progressing=False, not healthy conditions', () => {
    const f = workloadFailures({
      conditions: [
        { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
        { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'x' },
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'y' },
      ],
    });
    expect(f.map((x) => `${x.type}/${x.reason}`)).toEqual([
      'Progressing/ProgressDeadlineExceeded',
      'ReplicaFailure/FailedCreate',
    ]);
  });

  it('keeps a message on one bounded line', () => {
    expect(oneLine('a\n  b\tc')).toBe('a b c');
    expect(oneLine('x'.repeat(600))).toHaveLength(500);
  });
});
