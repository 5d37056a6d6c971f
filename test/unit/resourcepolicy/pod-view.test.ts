import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { PodView } from '../../../src/resourcepolicy/pod-view.js';

const at = (rv: string, gated: boolean): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: rv },
  spec: {
    containers: [],
    ...(gated
      ? { schedulingGates: [{ name: 'scheduling.alibabacloud.com/resource-policy' }] }
      : {}),
  },
});

describe('PodView (the pods as the reconciler sees them)', () => {
  it('shows our write until the watch catches up, and says so to whoever keeps counts', () => {
    const changes: string[] = [];
    const view = new PodView((ns, name, uid) => changes.push(`${ns}/${name}/${uid}`));
    const cached = at('5', true);
    const mine = at('6', false);
    view.wrote(mine);
    expect(view.effective(cached)).toBe(mine);
    expect(view.view([cached])).toEqual([mine]);
    const caught = at('6', false);
    view.observed(caught, false);
    expect(view.effective(caught)).toBe(caught);
    expect(changes).toEqual(['ns/p/u', 'ns/p/u']);
  });

  it('hides a pod we deleted until the watch confirms, and shows it again after a minute without', () => {
    const changes: string[] = [];
    const view = new PodView((_ns, _name, uid) => changes.push(uid));
    const pod = at('5', false);
    view.deletedPod(pod);
    expect(view.effective(pod)).toBeUndefined();
    expect(view.view([pod])).toEqual([]);
    view.sweep(Date.now() + 30_000);
    expect(view.effective(pod)).toBeUndefined();
    view.sweep(Date.now() + 61_000);
    expect(view.effective(pod)).toBe(pod);
    expect(changes).toEqual(['u', 'u']);
    expect(view.size).toBe(0);
  });
});
