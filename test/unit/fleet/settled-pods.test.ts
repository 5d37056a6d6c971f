import { describe, expect, it } from '@jest/globals';
import { SettledPods } from '../../../src/fleet/settled-pods.js';

const pod = (uid: string, labels: Record<string, string>, node?: string, extra = {}) => ({
  metadata: { uid, namespace: 'a', name: uid, labels },
  spec: node ? { nodeName: node } : {},
  status: { phase: node ? 'Running' : 'Pending' },
  ...extra,
});

describe('settled pods', () => {
  it('counts a workload’s pods that are bound, running or finished', () => {
    const b = new SettledPods();
    b.upsert(pod('1', { app: 'web', tier: 'x' }, 'n1'));
    b.upsert(pod('2', { app: 'web', tier: 'y' }, 'n1'));
    b.upsert(pod('3', { app: 'web' })); // not bound yet
    b.upsert(pod('4', { app: 'api' }, 'n2'));
    // Completed (a Job's pod): it was placed, so it is no longer on its way.
    b.upsert({ ...pod('5', { app: 'web' }, 'n2'), status: { phase: 'Succeeded' } });
    expect(b.count('a', { matchLabels: { app: 'web' } })).toBe(3);
    expect(b.count('a', { matchLabels: { app: 'web', tier: 'x' } })).toBe(1);
    expect(
      b.count('a', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }),
    ).toBe(4);
    expect(b.count('other', { matchLabels: { app: 'web' } })).toBe(0);
    expect(b.count('a', { matchLabels: { app: 'none' } })).toBe(0);
  });

  it('counts a pod the member’s scheduler found no node for, until it is bound elsewhere', () => {
    const b = new SettledPods();
    const web = { matchLabels: { app: 'web' } };
    const unschedulable = {
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
      },
    };
    b.upsert(pod('1', { app: 'web' })); // created, not judged yet: still on its way
    expect(b.count('a', web)).toBe(0);
    b.upsert({ ...pod('1', { app: 'web' }), ...unschedulable });
    expect(b.count('a', web)).toBe(1);
    b.upsert(pod('1', { app: 'web' }, 'n1')); // room freed up: bound, counted once
    expect(b.count('a', web)).toBe(1);
  });

  it('follows binding, relabelling, termination and deletion', () => {
    const b = new SettledPods();
    const web = { matchLabels: { app: 'web' } };
    b.upsert(pod('1', { app: 'web' }));
    expect(b.count('a', web)).toBe(0);
    b.upsert(pod('1', { app: 'web' }, 'n1'));
    expect(b.count('a', web)).toBe(1);
    b.upsert(pod('1', { app: 'other' }, 'n1'));
    expect(b.count('a', web)).toBe(0);
    b.upsert(pod('1', { app: 'web' }, 'n1'));
    b.upsert(
      pod('1', { app: 'web' }, 'n1', {
        metadata: { uid: '1', namespace: 'a', labels: { app: 'web' }, deletionTimestamp: 'now' },
      }),
    );
    expect(b.count('a', web)).toBe(0);
    b.upsert(pod('2', { app: 'web' }, 'n1'));
    b.remove(pod('2', { app: 'web' }, 'n1'));
    expect(b.count('a', web)).toBe(0);
    b.reset([pod('3', { app: 'web' }, 'n1'), pod('4', { app: 'web' })]);
    expect(b.count('a', web)).toBe(1);
    expect(b.size).toBe(1);
  });
});
