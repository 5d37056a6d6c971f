import { describe, expect, it } from '@jest/globals';
import {
  assignPools,
  fitsPool,
  idleNodes,
  nodesNeeded,
  resources,
  scaleUp,
  tolerates,
  type PendingPod,
  type PoolShape,
} from '../../../e2e/provisioner/plan.js';
import type { NodePool } from '../../../e2e/fleet/topology.js';

function shape(
  name: string,
  capacity: Record<string, string>,
  extra: Partial<NodePool> = {},
): PoolShape {
  const pool: NodePool = {
    name,
    count: 0,
    labels: extra.labels ?? {},
    taints: extra.taints ?? [],
    capacity,
    elastic: { max: 4, scaleUpDelaySeconds: 0, idleSeconds: 60 },
    ...extra,
  };
  return {
    pool,
    labels: { pool: name, ...pool.labels },
    taints: pool.taints,
    capacity: resources(capacity),
  };
}

const pod = (req: Record<string, string>, more: Partial<PendingPod> = {}): PendingPod => ({
  requests: resources(req),
  nodeSelector: {},
  tolerations: [],
  ...more,
});

const gpu = shape('gpu', { cpu: '4', memory: '15Gi', pods: '110', 'nvidia.com/gpu': '1' });
const cpu = shape('cpu', { cpu: '8', memory: '32Gi', pods: '110' });

describe('simulated provisioner plan', () => {
  it('needs one GPU node per one-GPU pod', () => {
    expect(
      nodesNeeded([pod({ 'nvidia.com/gpu': '1' }), pod({ 'nvidia.com/gpu': '1' })], gpu, []),
    ).toBe(2);
  });

  it('packs small pods onto as few nodes as capacity allows', () => {
    const pods = Array.from({ length: 5 }, () => pod({ cpu: '3' }));
    expect(nodesNeeded(pods, cpu, [])).toBe(3); // two per 8-CPU node, the fifth on a third
  });

  it('uses spare capacity of joining nodes before adding more', () => {
    expect(
      nodesNeeded([pod({ 'nvidia.com/gpu': '1' })], gpu, [
        resources({ 'nvidia.com/gpu': '1', pods: '110', cpu: '4' }),
      ]),
    ).toBe(0);
  });

  it('counts the pods capacity', () => {
    const tiny = shape('tiny', { cpu: '8', memory: '8Gi', pods: '2' });
    expect(nodesNeeded([pod({}), pod({}), pod({})], tiny, [])).toBe(2);
  });

  it('sends a pod to the first pool that can run it and skips pods no pool can run', () => {
    const byPool = assignPools(
      [pod({ 'nvidia.com/gpu': '1' }), pod({ cpu: '1' }), pod({ cpu: '64' })],
      [gpu, cpu],
    );
    expect(byPool.get('gpu')).toHaveLength(2); // the CPU pod fits a GPU node too: first pool wins
    expect(byPool.get('cpu')).toBeUndefined();
    expect([...byPool.values()].flat()).toHaveLength(2);
  });

  it('honours nodeSelector and taints', () => {
    const tainted = shape(
      't',
      { cpu: '8', memory: '8Gi', pods: '10' },
      { taints: [{ key: 'dedicated', value: 'ai', effect: 'NoSchedule' }] },
    );
    expect(fitsPool(pod({ cpu: '1' }), tainted)).toBe(false);
    expect(
      fitsPool(
        pod({ cpu: '1' }, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ai' }] }),
        tainted,
      ),
    ).toBe(true);
    expect(fitsPool(pod({ cpu: '1' }, { nodeSelector: { pool: 'other' } }), cpu)).toBe(false);
    expect(fitsPool(pod({ cpu: '1' }, { nodeSelector: { pool: 'cpu' } }), cpu)).toBe(true);
    expect(tolerates([{ operator: 'Exists' }], { key: 'x', effect: 'NoExecute' })).toBe(true);
    expect(tolerates([], { key: 'x', effect: 'PreferNoSchedule' })).toBe(true);
  });

  it('caps a scale-up at the pool max, counting nodes in flight', () => {
    const pods = Array.from({ length: 6 }, () => pod({ 'nvidia.com/gpu': '1' }));
    const node = { name: 'n', pool: 'gpu', createdAtMs: 0, pods: 1, free: resources({}) };
    expect(
      scaleUp({ shape: gpu, pods, nodes: [node], inFlight: 1, freshWindowMs: 1000, nowMs: 10_000 }),
    ).toBe(2);
  });

  it('removes only nodes empty for the idle time', () => {
    const mk = (name: string, pods: number) => ({
      name,
      pool: 'gpu',
      createdAtMs: 0,
      pods,
      free: resources({}),
    });
    const since = new Map([
      ['a', 0],
      ['b', 9_000],
      ['c', 0],
    ]);
    expect(idleNodes([mk('a', 0), mk('b', 0), mk('c', 1)], since, 5_000, 10_000)).toEqual(['a']);
  });
});
