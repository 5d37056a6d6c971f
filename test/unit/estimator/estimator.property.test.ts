// The incremental index must always agree with a from-scratch recomputation (reference.ts),
// whatever sequence of node and pod events led to its state.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { NodeLabels } from '../../../src/estimator/affinity.js';
import {
  nodeSelectorMatches,
  requiredAffinityMatches,
  requiredTerms,
} from '../../../src/estimator/affinity.js';
import { Estimator, podKey } from '../../../src/estimator/index.js';
import { NodeIndex } from '../../../src/estimator/node-index.js';
import type { QueryOptions } from '../../../src/estimator/index.js';
import {
  referenceFits,
  referenceMaxReplicas,
  referenceTotals,
  referenceUsage,
} from '../../../src/estimator/reference.js';
import type {
  ContainerInput,
  NodeInput,
  NodeSelectorTermInput,
  PodInput,
  PodTemplateInput,
  TaintInput,
  TolerationInput,
} from '../../../src/estimator/types.js';

const NODE_NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
const POD_UIDS = Array.from({ length: 14 }, (_, i) => `p${i}`);
const TAINTS: TaintInput[] = [
  { key: 'gpu', value: 'true', effect: 'NoSchedule' },
  { key: 'spot', effect: 'NoExecute' },
  { key: 'soft', effect: 'PreferNoSchedule' },
];
const TOLERATIONS: TolerationInput[] = [
  { key: 'gpu', operator: 'Equal', value: 'true' },
  { key: 'spot', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists' },
  { operator: 'Exists' },
];

/** Absent one time in `freq`. */
const optional = <T>(arb: fc.Arbitrary<T>, freq = 5) => fc.option(arb, { nil: undefined, freq });

/** Small quantities in a few spellings, so sums collide and run out often. */
const cpu = fc.oneof(
  fc.integer({ min: 0, max: 4 }).map(String),
  fc.integer({ min: 0, max: 4000 }).map((m) => `${m}m`),
);
const memory = fc.oneof(
  fc.integer({ min: 0, max: 8 }).map((g) => `${g}Gi`),
  fc.integer({ min: 0, max: 3000 }).map((m) => `${m}Mi`),
  fc.integer({ min: 0, max: 5000 }).map((m) => `${m}m`), // fractions of a byte
);
const gpu = fc.integer({ min: 0, max: 4 }).map(String);
const requests = fc.record({ cpu, memory, 'nvidia.com/gpu': gpu }, { requiredKeys: [] });

const labels = fc.record(
  {
    pool: fc.constantFrom('a', 'b'),
    zone: fc.constantFrom('z1', 'z2'),
    gen: fc.constantFrom('1', '5', '9', 'x'),
  },
  { requiredKeys: [] },
);

const nodeArb: fc.Arbitrary<NodeInput> = fc
  .record({
    name: fc.constantFrom(...NODE_NAMES),
    labels,
    // Mostly plain Ready nodes, so the label rules decide often enough to be tested.
    taints: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, fc.subarray(TAINTS)),
    readyBit: fc.integer({ min: 0, max: 7 }),
    unschedulable: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    allocatable: fc.record(
      {
        cpu: fc.integer({ min: 0, max: 16 }).map(String),
        memory: fc.integer({ min: 0, max: 32 }).map((g) => `${g}Gi`),
        pods: fc.integer({ min: 0, max: 8 }).map(String),
        'nvidia.com/gpu': gpu,
      },
      { requiredKeys: ['cpu', 'memory', 'pods'] },
    ),
  })
  .map((n) => ({
    metadata: { name: n.name, labels: n.labels },
    spec: { taints: n.taints, unschedulable: n.unschedulable },
    status: {
      allocatable: n.allocatable,
      conditions:
        n.readyBit === 0 ? [] : [{ type: 'Ready', status: n.readyBit === 1 ? 'False' : 'True' }],
    },
  }));

const container: fc.Arbitrary<ContainerInput> = fc.record({
  resources: fc.record({ requests }),
});
const initContainer: fc.Arbitrary<ContainerInput> = fc
  .tuple(container, fc.boolean())
  .map(([ct, sidecar]) => (sidecar ? { ...ct, restartPolicy: 'Always' } : ct));

const podSpec = fc.record(
  {
    containers: fc.array(container, { maxLength: 2 }),
    initContainers: fc.array(initContainer, { maxLength: 2 }),
    overhead: fc.record({ cpu: fc.constantFrom('100m', '250m') }),
  },
  { requiredKeys: ['containers'] },
);

/** Templates ask for less than pods do, so that they fit somewhere and mistakes show. */
const templateSpec = fc.record(
  {
    containers: fc.array(
      fc.record({
        resources: fc.record({
          requests: fc.record(
            {
              cpu: fc.integer({ min: 0, max: 1500 }).map((m) => `${m}m`),
              memory: fc.integer({ min: 0, max: 2048 }).map((m) => `${m}Mi`),
              'nvidia.com/gpu': fc.constantFrom('0', '1'),
            },
            { requiredKeys: [] },
          ),
        }),
      }),
      { maxLength: 2 },
    ),
    initContainers: fc.array(initContainer, { maxLength: 1 }),
  },
  { requiredKeys: ['containers'] },
);

const podArb: fc.Arbitrary<PodInput> = fc
  .record({
    uid: fc.constantFrom(...POD_UIDS),
    node: optional(fc.constantFrom(...NODE_NAMES, 'ghost')),
    phase: fc.constantFrom('Pending', 'Running', 'Running', 'Succeeded', 'Failed'),
    terminating: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    spec: podSpec,
  })
  .map((p) => ({
    metadata: { uid: p.uid, ...(p.terminating ? { deletionTimestamp: 'now' } : {}) },
    spec: { ...p.spec, ...(p.node ? { nodeName: p.node } : {}) },
    status: { phase: p.phase },
  }));

type Event =
  | { kind: 'upsertNode'; node: NodeInput }
  | { kind: 'removeNode'; name: string }
  | { kind: 'upsertPod'; pod: PodInput }
  | { kind: 'removePod'; uid: string }
  | { kind: 'touchPod'; uid: string; phase: string; terminating: boolean };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 2, arbitrary: nodeArb.map((node) => ({ kind: 'upsertNode' as const, node })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...NODE_NAMES)
      .map((name) => ({ kind: 'removeNode' as const, name })),
  },
  { weight: 5, arbitrary: podArb.map((pod) => ({ kind: 'upsertPod' as const, pod })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...POD_UIDS).map((uid) => ({ kind: 'removePod' as const, uid })),
  },
  {
    // A status-only update of a pod that exists: the commonest event in a real cluster.
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('touchPod' as const),
      uid: fc.constantFrom(...POD_UIDS),
      phase: fc.constantFrom('Running', 'Running', 'Succeeded'),
      terminating: fc.boolean(),
    }),
  },
);

const requirement = fc.oneof(
  fc.record({
    key: fc.constantFrom('pool', 'zone'),
    operator: fc.constantFrom('In', 'NotIn'),
    values: fc.subarray(['a', 'b', 'z1', 'z2'], { minLength: 1 }),
  }),
  fc.record({
    key: fc.constantFrom('pool', 'gen'),
    operator: fc.constantFrom('Exists', 'DoesNotExist'),
  }),
  fc.record({
    key: fc.constantFrom('gen', 'pool'),
    operator: fc.constantFrom('Gt', 'Lt'),
    values: fc.constantFrom(['4'], ['1']),
  }),
);
const fieldRequirement = fc.record({
  key: fc.constant('metadata.name'),
  operator: fc.constantFrom('In', 'NotIn'),
  values: fc.constantFrom(...NODE_NAMES).map((n) => [n]),
});
const term: fc.Arbitrary<NodeSelectorTermInput> = fc.record(
  {
    matchExpressions: fc.array(requirement, { maxLength: 2 }),
    matchFields: fc.array(fieldRequirement, { maxLength: 1 }),
  },
  { requiredKeys: [] },
);

const templateArb: fc.Arbitrary<{ template: PodTemplateInput; options: QueryOptions }> = fc
  .record({
    spec: templateSpec,
    nodeSelector: optional(fc.record({ pool: fc.constantFrom('a', 'b') }, { requiredKeys: [] }), 2),
    terms: optional(fc.array(term, { maxLength: 2 })),
    tolerations: optional(fc.subarray(TOLERATIONS)),
    nodeNames: optional(fc.subarray([...NODE_NAMES, 'ghost']), 2),
  })
  .map((t) => ({
    template: {
      spec: {
        ...t.spec,
        ...(t.nodeSelector ? { nodeSelector: t.nodeSelector } : {}),
        ...(t.tolerations ? { tolerations: t.tolerations } : {}),
        ...(t.terms
          ? {
              affinity: {
                nodeAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: t.terms },
                },
              },
            }
          : {}),
      },
    },
    options: t.nodeNames ? { nodeNames: t.nodeNames } : {},
  }));

/** The world as the API server would list it after the same events. */
class World {
  readonly nodes = new Map<string, NodeInput>();
  readonly pods = new Map<string, PodInput>();
  apply(e: Event, est: Estimator): void {
    switch (e.kind) {
      case 'upsertNode':
        this.nodes.set(e.node.metadata?.name ?? '', e.node);
        est.upsertNode(e.node);
        break;
      case 'removeNode':
        this.nodes.delete(e.name);
        est.removeNode(e.name);
        break;
      case 'upsertPod':
        this.pods.set(podKey(e.pod), e.pod);
        est.upsertPod(e.pod);
        break;
      case 'touchPod': {
        const pod = this.pods.get(e.uid);
        if (!pod) break;
        const { deletionTimestamp: _, ...meta } = pod.metadata ?? {};
        const touched: PodInput = {
          ...pod,
          metadata: e.terminating ? { ...meta, deletionTimestamp: 'now' } : meta,
          status: { phase: e.phase },
        };
        this.pods.set(e.uid, touched);
        est.upsertPod(touched);
        break;
      }
      case 'removePod': {
        const pod = this.pods.get(e.uid);
        this.pods.delete(e.uid);
        // Informers deliver the last known object on delete; sometimes only its key.
        est.removePod(pod ?? e.uid);
        break;
      }
    }
  }
}

function checkAgrees(
  est: Estimator,
  world: World,
  queries: readonly { template: PodTemplateInput; options: QueryOptions }[],
): void {
  const nodes = [...world.nodes.values()];
  const pods = [...world.pods.values()];
  for (const { template, options } of queries) {
    expect(est.maxReplicas(template, options)).toBe(
      referenceMaxReplicas(nodes, pods, template, options),
    );
    const fits = Object.fromEntries(est.breakdown(template, options).map((f) => [f.node, f.fits]));
    expect(fits).toEqual(Object.fromEntries(referenceFits(nodes, pods, template, options)));
  }
  expect(est.totals()).toEqual(referenceTotals(nodes, pods));
  // Per-node sums, and nodes forgotten once neither the node nor any pod on it remains.
  const usage = referenceUsage(pods);
  for (const name of [...NODE_NAMES, 'ghost']) {
    const summary = est.node(name);
    const used = usage.get(name);
    if (!world.nodes.has(name) && !used) {
      expect(summary).toBeUndefined();
      continue;
    }
    const want = Object.fromEntries([...(used ?? [])].map(([r, v]) => [r, Number(v)]));
    expect(summary?.requested).toEqual(
      Object.fromEntries(Object.entries(want).filter(([, v]) => v !== 0)),
    );
    const terminating = pods.filter(
      (p) =>
        p.metadata?.deletionTimestamp !== undefined &&
        p.spec?.nodeName === name &&
        !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
    );
    expect(summary?.terminatingPods).toBe(terminating.length);
  }
}

type View = { -readonly [K in keyof NodeLabels]: NodeLabels[K] };

describe('NodeIndex', () => {
  it('never leaves out a node that matches the selector, the terms and the names', () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { maxLength: 12 }),
        fc.array(fc.constantFrom(...NODE_NAMES), { maxLength: 4 }),
        templateArb,
        (nodes, removed, { template, options }) => {
          const index = new NodeIndex<View>();
          const views = new Map<string, View>();
          for (const n of nodes) {
            const name = n.metadata?.name ?? '';
            const view = { name, labels: new Map(Object.entries(n.metadata?.labels ?? {})) };
            const old = views.get(name);
            if (old) {
              const before = old.labels;
              old.labels = view.labels; // relabel reads the new labels off the node
              index.relabel(old, before);
            } else {
              views.set(name, view);
              index.add(view);
            }
          }
          for (const name of removed) {
            const v = views.get(name);
            if (v) index.remove(v);
            views.delete(name);
          }
          const spec = template.spec;
          const selector = Object.entries(spec?.nodeSelector ?? {});
          const terms = requiredTerms(spec);
          const names = options.nodeNames ? new Set(options.nodeNames) : undefined;
          const c = index.candidates(selector, terms, names);
          const got = new Set<string>();
          let visits = 0;
          for (const set of c.sets) {
            for (const v of set) {
              got.add(v.name);
              visits++;
            }
          }
          expect(visits).toBeLessThanOrEqual(c.size);
          if (!c.overlap) expect(visits).toBe(got.size); // no node visited twice
          for (const v of views.values()) {
            const matches =
              nodeSelectorMatches(selector, v.labels) &&
              requiredAffinityMatches(terms, v) &&
              (!names || names.has(v.name));
            if (matches) expect(got).toContain(v.name);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('Estimator against a from-scratch recomputation', () => {
  it('agrees after every event of a random sequence', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 40 }),
        fc.array(templateArb, { minLength: 1, maxLength: 3 }),
        (events, queries) => {
          const est = new Estimator();
          const world = new World();
          for (const e of events) {
            world.apply(e, est);
            checkAgrees(est, world, queries);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Estimator: room promised to replicas not bound yet', () => {
  it('holds back no more than it is given, never adds room, and is maxReplicas with nothing held', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 40 }),
        templateArb,
        fc.array(fc.record({ t: templateArb, replicas: fc.integer({ min: 0, max: 6 }) }), {
          maxLength: 3,
        }),
        fc.integer({ min: 0, max: 6 }),
        (events, { template, options }, others, own) => {
          const est = new Estimator();
          const world = new World();
          for (const e of events) world.apply(e, est);
          const max = est.maxReplicas(template, options);
          expect(est.maxReplicasBeside(template, [], options)).toBe(max);
          // n replicas of the same template held back cost at most n of its room.
          const same = est.maxReplicasBeside(template, [{ template, replicas: own }], options);
          expect(same).toBeLessThanOrEqual(max);
          expect(same).toBeGreaterThanOrEqual(Math.max(0, max - own));
          // More held back never gives more room.
          let before = same;
          const held = [{ template, replicas: own }];
          for (const o of others) {
            held.push({ template: o.t.template, replicas: o.replicas });
            const now = est.maxReplicasBeside(template, held, options);
            expect(now).toBeLessThanOrEqual(before);
            before = now;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
