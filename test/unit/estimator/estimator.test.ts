import { describe, expect, it } from '@jest/globals';
import { Estimator } from '../../../src/estimator/index.js';
import { c, node, pod, template } from './fixtures.js';

const GPU_ALLOC = { cpu: '32', memory: '128Gi', pods: '110', 'nvidia.com/gpu': '8' };
const small = template({ cpu: '1', memory: '1Gi' }); // 4 per default node (4 cpu, 16Gi, 110 pods)

function withNodes(...names: string[]): Estimator {
  const e = new Estimator();
  for (const n of names) e.upsertNode(node(n));
  return e;
}

describe('Estimator: per-node fit', () => {
  it('takes the minimum over requested resources and sums over nodes', () => {
    const e = withNodes('n1', 'n2');
    expect(e.maxReplicas(small)).toBe(8);
    expect(e.maxReplicas(template({ cpu: '500m', memory: '8Gi' }))).toBe(4); // memory: 2 each
    expect(e.maxReplicas(template({ cpu: '1500m' }))).toBe(4); // floor(4 / 1.5) = 2 each
  });

  it('counts the pods capacity: each bound pod uses one slot', () => {
    const e = new Estimator();
    e.upsertNode(node('n1', { allocatable: { cpu: '100', memory: '100Gi', pods: '3' } }));
    expect(e.maxReplicas(template({}))).toBe(3);
    e.upsertPod(pod('p1', {}, { node: 'n1' })); // no requests at all, still a slot
    e.upsertPod(pod('p2', { cpu: '1' }, { node: 'n1' }));
    expect(e.maxReplicas(template({ cpu: '1' }))).toBe(1);
    expect(e.breakdown(template({ cpu: '1' }))[0]?.limitedBy).toBe('pods');
  });

  it('counts extended resources, and a resource the node lacks means 0 there', () => {
    const e = withNodes('cpu-1');
    e.upsertNode(node('gpu-1', { allocatable: GPU_ALLOC }));
    const gpu = template({ cpu: '1', 'nvidia.com/gpu': '2' });
    expect(e.maxReplicas(gpu)).toBe(4);
    e.upsertPod(pod('train', { 'nvidia.com/gpu': '5' }, { node: 'gpu-1' }));
    expect(e.maxReplicas(gpu)).toBe(1);
    expect(e.maxReplicas(template({ 'example.com/fpga': '1' }))).toBe(0);
    expect(e.breakdown(gpu).map((f) => [f.node, f.fits, f.limitedBy])).toEqual([
      ['cpu-1', 0, 'nvidia.com/gpu'],
      ['gpu-1', 1, 'nvidia.com/gpu'],
    ]);
  });

  it('applies the effective-request rule to the template and to bound pods', () => {
    const e = withNodes('n1');
    const initHeavy = {
      spec: { containers: [c({ cpu: '500m' })], initContainers: [c({ cpu: '2' })] },
    };
    expect(e.maxReplicas(initHeavy)).toBe(2); // 2 cpu each, not 500m
    e.upsertPod({
      metadata: { uid: 'p' },
      spec: {
        nodeName: 'n1',
        containers: [c({ cpu: '500m' })],
        initContainers: [c({ cpu: '250m' }, 'Always')],
        overhead: { cpu: '250m' },
      },
      status: { phase: 'Running' },
    });
    expect(e.node('n1')?.requested.cpu).toBe(1000);
    expect(e.maxReplicas(template({ cpu: '1' }))).toBe(3);
  });

  it('rounds non-cpu requests up to whole units, as kube-scheduler does', () => {
    const e = new Estimator();
    e.upsertNode(node('n1', { allocatable: { cpu: '1', memory: '10', pods: '110' } }));
    expect(e.maxReplicas(template({ memory: '1500m' }))).toBe(5); // 2 bytes each
  });
});

describe('Estimator: which nodes count', () => {
  it('skips NotReady nodes and nodes without a Ready condition', () => {
    const e = withNodes('n1');
    e.upsertNode(node('n2', { ready: false }));
    e.upsertNode({ metadata: { name: 'n3' }, status: { allocatable: { cpu: '4', pods: '9' } } });
    expect(e.maxReplicas(small)).toBe(4);
    expect(e.breakdown(small).map((f) => f.excluded)).toEqual([undefined, 'NotReady', 'NotReady']);
  });

  it('skips cordoned nodes unless the template tolerates the unschedulable taint', () => {
    const e = withNodes('n1');
    e.upsertNode(node('n2', { unschedulable: true }));
    expect(e.maxReplicas(small)).toBe(4);
    expect(e.breakdown(small)[1]?.excluded).toBe('Unschedulable');
    const daemon = template(
      { cpu: '1' },
      { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] },
    );
    expect(e.maxReplicas(daemon)).toBe(8);
  });

  it('needs NoSchedule and NoExecute taints tolerated, ignoring PreferNoSchedule', () => {
    const e = new Estimator();
    e.upsertNode(node('soft', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }));
    e.upsertNode(node('gpu', { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }));
    e.upsertNode(node('spot', { taints: [{ key: 'spot', effect: 'NoExecute' }] }));
    expect(e.maxReplicas(small)).toBe(4);
    const fits = e.breakdown(small);
    expect(fits.find((f) => f.node === 'gpu')).toMatchObject({
      excluded: 'Taint',
      taint: 'gpu=true:NoSchedule',
    });
    const tolerant = template(
      { cpu: '1' },
      {
        tolerations: [
          { key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
          { key: 'spot', operator: 'Exists' },
        ],
      },
    );
    expect(e.maxReplicas(tolerant)).toBe(12);
    expect(e.maxReplicas(template({ cpu: '1' }, { tolerations: [{ operator: 'Exists' }] }))).toBe(
      12,
    );
  });

  it('honours nodeSelector', () => {
    const e = new Estimator();
    e.upsertNode(node('a1', { labels: { pool: 'a' } }));
    e.upsertNode(node('a2', { labels: { pool: 'a', zone: 'z2' } }));
    e.upsertNode(node('b1', { labels: { pool: 'b', zone: 'z2' } }));
    expect(e.maxReplicas(template({ cpu: '1' }, { nodeSelector: { pool: 'a' } }))).toBe(8);
    expect(e.maxReplicas(template({ cpu: '1' }, { nodeSelector: { pool: 'a', zone: 'z2' } }))).toBe(
      4,
    );
    expect(e.maxReplicas(template({ cpu: '1' }, { nodeSelector: { pool: 'c' } }))).toBe(0);
    expect(e.breakdown(template({}, { nodeSelector: { pool: 'b' } }))[0]?.excluded).toBe(
      'NodeSelector',
    );
  });

  it('honours required node affinity (terms ORed, expressions ANDed, matchFields)', () => {
    const e = new Estimator();
    e.upsertNode(node('a1', { labels: { pool: 'a', gen: '3' } }));
    e.upsertNode(node('a2', { labels: { pool: 'a', gen: '6' } }));
    e.upsertNode(node('b1', { labels: { pool: 'b', gen: '7' } }));
    const affinity = (...nodeSelectorTerms: object[]) =>
      template(
        { cpu: '1' },
        {
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } },
          },
        },
      );
    const poolA = { key: 'pool', operator: 'In', values: ['a'] };
    const newGen = { key: 'gen', operator: 'Gt', values: ['5'] };
    expect(e.maxReplicas(affinity({ matchExpressions: [poolA, newGen] }))).toBe(4); // a2
    expect(
      e.maxReplicas(affinity({ matchExpressions: [poolA] }, { matchExpressions: [newGen] })),
    ).toBe(12);
    expect(
      e.maxReplicas(
        affinity({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b1'] }] }),
      ),
    ).toBe(4);
    expect(
      e.maxReplicas(affinity({ matchExpressions: [{ key: 'pool', operator: 'DoesNotExist' }] })),
    ).toBe(0);
    expect(e.breakdown(affinity({ matchExpressions: [poolA] }))[2]?.excluded).toBe('NodeAffinity');
  });

  it('counts a node that matches several terms once', () => {
    const e = new Estimator();
    e.upsertNode(node('a1', { labels: { pool: 'a', zone: 'z1' } }));
    e.upsertNode(node('b1', { labels: { pool: 'b', zone: 'z2' } }));
    const either = template(
      { cpu: '1' },
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }] },
                { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
              ],
            },
          },
        },
      },
    );
    expect(e.maxReplicas(either)).toBe(8);
  });

  it('restricts a query to named nodes', () => {
    const e = withNodes('n1', 'n2', 'n3');
    expect(e.maxReplicas(small, { nodeNames: ['n1', 'n3', 'gone'] })).toBe(8);
    expect(e.breakdown(small, { nodeNames: ['n2'] }).map((f) => f.node)).toEqual(['n2']);
    e.upsertNode(node('n1', { labels: { pool: 'a' } }));
    const poolA = template({ cpu: '1' }, { nodeSelector: { pool: 'a' } });
    // The selector narrows more than the names; the names must still be honoured.
    expect(e.maxReplicas(poolA, { nodeNames: ['n2', 'n3'] })).toBe(0);
    expect(e.maxReplicas(poolA, { nodeNames: ['n1', 'n2'] })).toBe(4);
  });
});

describe('Estimator: incremental pod events', () => {
  it('counts only bound, non-terminal pods', () => {
    const e = withNodes('n1');
    e.upsertPod(pod('pending', { cpu: '1' })); // not bound yet
    e.upsertPod(pod('done', { cpu: '1' }, { node: 'n1', phase: 'Succeeded' }));
    e.upsertPod(pod('failed', { cpu: '1' }, { node: 'n1', phase: 'Failed' }));
    expect(e.maxReplicas(small)).toBe(4);
    e.upsertPod(pod('pending', { cpu: '1' }, { node: 'n1', phase: 'Pending' })); // now bound
    expect(e.maxReplicas(small)).toBe(3);
    expect(e.stats.pods).toBe(1);
  });

  it('releases a pod on delete and when it finishes', () => {
    const e = withNodes('n1');
    e.upsertPod(pod('p1', { cpu: '1' }, { node: 'n1' }));
    e.upsertPod(pod('p2', { cpu: '1' }, { node: 'n1' }));
    expect(e.maxReplicas(small)).toBe(2);
    e.removePod(pod('p1', { cpu: '1' }, { node: 'n1' }));
    expect(e.maxReplicas(small)).toBe(3);
    e.upsertPod(pod('p2', { cpu: '1' }, { node: 'n1', phase: 'Succeeded' }));
    expect(e.maxReplicas(small)).toBe(4);
    e.removePod('p2'); // already released: a no-op
    e.removePod('never-seen');
    expect(e.node('n1')).toMatchObject({ pods: 0, requested: {} });
  });

  it('keeps counting a terminating pod until it is deleted', () => {
    const e = withNodes('n1');
    e.upsertPod(pod('p1', { cpu: '1' }, { node: 'n1' }));
    e.upsertPod(pod('p1', { cpu: '1' }, { node: 'n1', terminating: true }));
    expect(e.maxReplicas(small)).toBe(3);
    expect(e.node('n1')).toMatchObject({ pods: 1, terminatingPods: 1 });
    e.removePod('p1');
    expect(e.node('n1')).toMatchObject({ pods: 0, terminatingPods: 0 });
  });

  it('applies updates that change requests (in-place resize) and moves between nodes', () => {
    const e = withNodes('n1', 'n2');
    e.upsertPod(pod('p', { cpu: '1' }, { node: 'n1' }));
    e.upsertPod(pod('p', { cpu: '3' }, { node: 'n1' }));
    expect(e.node('n1')?.requested).toEqual({ pods: 1, cpu: 3000 });
    e.upsertPod(pod('p', { cpu: '3' }, { node: 'n2' }));
    expect(e.node('n1')?.requested).toEqual({});
    expect(e.node('n2')?.requested).toEqual({ pods: 1, cpu: 3000 });
    expect(e.maxReplicas(small)).toBe(5);
  });

  it('treats a repeated identical update as a no-op and shares request vectors', () => {
    const e = withNodes('n1');
    for (let i = 0; i < 3; i++) e.upsertPod(pod(`p${i}`, { cpu: '100m' }, { node: 'n1' }));
    for (let i = 0; i < 3; i++) e.upsertPod(pod(`p${i}`, { cpu: '100m' }, { node: 'n1' }));
    expect(e.node('n1')?.requested).toEqual({ pods: 3, cpu: 300 });
    expect(e.stats).toMatchObject({ pods: 3, vectors: 1 });
    e.removePod('p0');
    e.removePod('p1');
    e.removePod('p2');
    expect(e.stats.vectors).toBe(0);
  });
});

describe('Estimator: node events', () => {
  it('takes a removed node out of every answer', () => {
    const e = withNodes('n1', 'n2');
    e.removeNode('n2');
    e.removeNode('n2'); // twice is fine
    e.removeNode('unknown');
    expect(e.maxReplicas(small)).toBe(4);
    expect(e.breakdown(small).map((f) => f.node)).toEqual(['n1']);
    expect(e.node('n2')).toBeUndefined();
  });

  it('keeps sums for pods bound to a node it has not seen, or that was removed', () => {
    const e = new Estimator();
    e.upsertPod(pod('early', { cpu: '3' }, { node: 'n1' })); // pod event before the node's
    expect(e.node('n1')).toMatchObject({ present: false, pods: 1 });
    expect(e.maxReplicas(small)).toBe(0);
    e.upsertNode(node('n1'));
    expect(e.maxReplicas(small)).toBe(1);
    e.removeNode('n1');
    expect(e.maxReplicas(small)).toBe(0);
    expect(e.node('n1')).toMatchObject({ present: false, pods: 1 });
    e.upsertNode(node('n1')); // re-created with the same name while the pod lingers
    expect(e.maxReplicas(small)).toBe(1);
    e.removeNode('n1');
    e.removePod('early');
    expect(e.node('n1')).toBeUndefined(); // nothing left to remember
  });

  it('follows label, taint, readiness and allocatable updates', () => {
    const e = new Estimator();
    const sel = template({ cpu: '1' }, { nodeSelector: { pool: 'a' } });
    e.upsertNode(node('n1', { labels: { pool: 'b' } }));
    expect(e.maxReplicas(sel)).toBe(0);
    e.upsertNode(node('n1', { labels: { pool: 'a' } }));
    expect(e.maxReplicas(sel)).toBe(4);
    e.upsertNode(node('n1', { labels: { pool: 'a' }, ready: false }));
    expect(e.maxReplicas(sel)).toBe(0);
    e.upsertNode(
      node('n1', { labels: { pool: 'a' }, taints: [{ key: 'x', effect: 'NoExecute' }] }),
    );
    expect(e.maxReplicas(sel)).toBe(0);
    e.upsertNode(
      node('n1', { labels: { pool: 'a' }, allocatable: { cpu: '8', memory: '8Gi', pods: '10' } }),
    );
    expect(e.maxReplicas(sel)).toBe(8);
    e.upsertNode({ metadata: {} }); // no name: ignored
    expect(e.stats.nodes).toBe(1);
  });
});

describe('Estimator: reporting', () => {
  it('breaks the answer down per node, adding up to maxReplicas', () => {
    const e = withNodes('n1', 'n2');
    e.upsertNode(node('n0', { ready: false }));
    e.upsertPod(pod('p', { memory: '15Gi' }, { node: 'n2' }));
    const fits = e.breakdown(small);
    expect(fits).toEqual([
      { node: 'n0', fits: 0, excluded: 'NotReady' },
      { node: 'n1', fits: 4, limitedBy: 'cpu' },
      { node: 'n2', fits: 1, limitedBy: 'memory' },
    ]);
    expect(fits.reduce((n, f) => n + f.fits, 0)).toBe(e.maxReplicas(small));
  });

  it('summarises a node', () => {
    const e = new Estimator();
    e.upsertNode(node('g', { allocatable: GPU_ALLOC, unschedulable: true }));
    e.upsertPod(pod('p', { cpu: '250m', 'nvidia.com/gpu': '1' }, { node: 'g' }));
    expect(e.node('g')).toEqual({
      name: 'g',
      present: true,
      ready: true,
      unschedulable: true,
      pods: 1,
      terminatingPods: 0,
      allocatable: { pods: 110, cpu: 32000, memory: 128 * 2 ** 30, 'nvidia.com/gpu': 8 },
      requested: { pods: 1, cpu: 250, 'nvidia.com/gpu': 1 },
    });
  });

  it('totals allocatable and requested over Ready, schedulable nodes, in bigint', () => {
    const e = withNodes('n1', 'n2');
    e.upsertNode(node('cordoned', { unschedulable: true }));
    e.upsertNode(node('g', { allocatable: GPU_ALLOC }));
    e.upsertPod(pod('p1', { cpu: '1', 'nvidia.com/gpu': '2' }, { node: 'g' }));
    e.upsertPod(pod('p2', { cpu: '1' }, { node: 'cordoned' }));
    e.upsertPod(pod('p3', { cpu: '1' }, { node: 'not-yet-seen' }));
    const t = e.totals();
    expect(t).toEqual({
      nodes: 4,
      schedulableNodes: 3,
      pods: 3,
      resources: {
        pods: { allocatable: 330n, requested: 1n },
        cpu: { allocatable: 40000n, requested: 1000n },
        memory: { allocatable: 160n * 2n ** 30n, requested: 0n },
        'nvidia.com/gpu': { allocatable: 8n, requested: 2n },
      },
    });
  });
});

describe('Estimator: room promised to replicas not bound yet', () => {
  // Three 16-CPU nodes with 110 pod slots each, as the end-to-end demo fleet's first member.
  const big = { cpu: '16', memory: '64Gi', pods: '110' };
  function three(): Estimator {
    const e = new Estimator();
    for (const n of ['n1', 'n2', 'n3']) e.upsertNode(node(n, { allocatable: big }));
    return e;
  }

  it('is maxReplicas when nothing is held back', () => {
    const e = three();
    for (const t of [template({ cpu: '2' }), template({ cpu: '10m' }), template({})])
      expect(e.maxReplicasBeside(t, [])).toBe(e.maxReplicas(t));
  });

  it('takes held replicas of the same template off its room', () => {
    const e = three();
    const two = template({ cpu: '2' });
    expect(e.maxReplicas(two)).toBe(24);
    expect(e.maxReplicasBeside(two, [{ template: two, replicas: 5 }])).toBe(19);
    expect(e.maxReplicasBeside(two, [{ template: two, replicas: 30 }])).toBe(0);
  });

  it('converts held requests resource by resource, never a big template into small replicas', () => {
    const e = three();
    const tiny = template({ cpu: '10m' });
    // 330 fit by the pod slots. 36 CPUs held for six 6-CPU replicas leave 12 CPUs (1,200 of
    // 10m) and 324 slots: 324, not 330 - 3,600 "replicas of 10m" = 0.
    expect(e.maxReplicas(tiny)).toBe(330);
    expect(e.maxReplicasBeside(tiny, [{ template: template({ cpu: '6' }), replicas: 6 }])).toBe(
      324,
    );
    // A resource the template does not request takes nothing from it; the pod slots do.
    const gpuHeld = [{ template: template({ 'nvidia.com/gpu': '1' }), replicas: 4 }];
    expect(e.maxReplicasBeside(template({ cpu: '1' }), gpuHeld)).toBe(48);
    expect(e.maxReplicasBeside(tiny, gpuHeld)).toBe(326);
  });

  it('counts only the free room of the nodes the template may use', () => {
    const e = new Estimator();
    e.upsertNode(node('a1', { labels: { pool: 'a' }, allocatable: big }));
    e.upsertNode(node('b1', { labels: { pool: 'b' }, allocatable: big }));
    e.upsertPod(pod('p1', { cpu: '12' }, { node: 'b1' }));
    const inB = template({ cpu: '1' }, { nodeSelector: { pool: 'b' } });
    expect(e.maxReplicas(inB)).toBe(4);
    // 3 CPUs held anywhere in the cluster: they may land on b1, so b1 keeps 1.
    expect(e.maxReplicasBeside(inB, [{ template: template({ cpu: '1' }), replicas: 3 }])).toBe(1);
  });
});
