import { describe, expect, it } from '@jest/globals';
import {
  checkBindingSums,
  checkCopies,
  checkDoubling,
  checkReadyPods,
  checkRepeatedErrors,
  checkSettled,
  checkStrayObjects,
  orphanPods,
  parseLog,
  type CopyView,
  type FleetSnapshot,
  type PodView,
} from '../../../e2e/chaos/invariants.js';
import {
  MAX_REPLICAS,
  POLICY_SHAPES,
  generateOperations,
  initialWorkloads,
} from '../../../e2e/chaos/operations.js';
import { prng } from '../../../bench/prng.js';

const IMAGE = 'example.invalid/app:1';

function pods(cluster: string, app: string, n: number, extra: Partial<PodView> = {}): PodView[] {
  return Array.from({ length: n }, () => ({
    cluster,
    namespace: 'chaos',
    app,
    ready: true,
    terminating: false,
    ...extra,
  }));
}

function copy(cluster: string, name: string, replicas: number, extra: Partial<CopyView> = {}) {
  return {
    cluster,
    kind: 'Deployment',
    namespace: 'chaos',
    name,
    replicas,
    image: IMAGE,
    binding: `chaos/${name}-deployment`,
    uid: `${cluster}-${name}`,
    ...extra,
  };
}

/** web: 5 replicas, 3 in idc and 2 in bj, all Ready. */
function settled(): FleetSnapshot {
  return {
    templates: [{ namespace: 'chaos', name: 'web', replicas: 5, image: IMAGE }],
    bindings: [
      {
        namespace: 'chaos',
        name: 'web-deployment',
        resourceName: 'web',
        replicas: 5,
        clusters: [
          { name: 'idc', replicas: 3 },
          { name: 'bj', replicas: 2 },
        ],
      },
    ],
    copies: [copy('idc', 'web', 3), copy('bj', 'web', 2)],
    pods: [
      ...pods('idc', 'web', 3, { deploymentUid: 'idc-web' }),
      ...pods('bj', 'web', 2, { deploymentUid: 'bj-web' }),
    ],
  };
}

describe('chaos invariants', () => {
  it('hold on a settled fleet', () => {
    expect(checkSettled(settled())).toEqual([]);
  });

  it('catch a binding whose clusters do not sum to the template', () => {
    const s = settled();
    s.templates = [{ namespace: 'chaos', name: 'web', replicas: 6, image: IMAGE }];
    expect(checkBindingSums(s).map((v) => v.message)).toEqual([
      'binding chaos/web-deployment: spec.replicas 5, clusters sum 5, template 6',
    ]);
    s.templates.push({ namespace: 'chaos', name: 'api', replicas: 1, image: IMAGE });
    expect(checkBindingSums(s).map((v) => v.message)).toContain('chaos/api has no binding');
  });

  it('catch a copy that differs from its binding, a missing copy and a copy in an unlisted member', () => {
    const s = settled();
    s.copies = [copy('idc', 'web', 4, { image: 'example.invalid/app:0' })];
    expect(checkCopies(s).map((v) => v.message)).toEqual([
      'chaos/web in idc: copy has 4 replicas, binding 3',
      'chaos/web in idc: copy runs example.invalid/app:0, template example.invalid/app:1',
      'chaos/web in bj: no copy, binding asks 2',
    ]);
    const t = settled();
    t.copies.push(copy('third', 'web', 1));
    expect(checkCopies(t).map((v) => v.message)).toEqual([
      'Deployment chaos/web in third: its binding does not list third (holds 1 replicas)',
    ]);
  });

  it('catch a copy without a binding and an object no template asks for', () => {
    const s = settled();
    s.copies.push(copy('idc', 'gone', 1));
    s.copies.push({ cluster: 'bj', kind: 'ConfigMap', namespace: 'chaos', name: 'cfg', uid: 'x' });
    expect(checkCopies(s).map((v) => v.invariant)).toEqual(['noOrphanCopy']);
    expect(checkStrayObjects(s).map((v) => v.message)).toEqual([
      'Deployment chaos/gone in idc: no template asks for it',
      'ConfigMap chaos/cfg in bj: no template asks for it',
    ]);
  });

  it('count only Ready pods that are not terminating', () => {
    const s = settled();
    s.pods = [
      ...pods('idc', 'web', 1, { ready: false }),
      ...pods('idc', 'web', 1, { terminating: true }),
      ...pods('idc', 'web', 3),
    ];
    s.pods.push(...pods('bj', 'stray', 1));
    expect(checkReadyPods(s).map((v) => v.message)).toEqual([
      'chaos/web: 3 Ready pods, replicas 5',
      'chaos/stray: 1 Ready pods, no template',
    ]);
  });

  it("count pods of a deleted copy apart, as the member garbage collector's", () => {
    const s = settled();
    s.pods.push(...pods('idc', 'web', 4, { deploymentUid: 'deleted-copy' }));
    expect(checkReadyPods(s)).toEqual([]);
    expect(orphanPods(s)).toHaveLength(4);
  });

  it('allow a rolling surge but not a doubled workload', () => {
    const peak = new Map([['chaos/web', 5]]);
    const s = settled();
    // 25% of 5 rounded up, plus one for the second copy's own rounding: 8 allowed.
    s.pods.push(...pods('idc', 'web', 1, { deploymentUid: 'idc-web' }));
    s.pods.push(...pods('bj', 'web', 2, { deploymentUid: 'bj-web' }));
    expect(checkDoubling(s, peak)).toEqual([]);
    s.pods.push(...pods('bj', 'web', 2, { deploymentUid: 'bj-web' }));
    expect(checkDoubling(s, peak).map((v) => v.message)).toEqual([
      'chaos/web: 10 live pods, at most 8 allowed (replicas up to 5 plus surge)',
    ]);
    // Pods of a copy the member already deleted are garbage, not replicas.
    const t = settled();
    t.pods.push(...pods('idc', 'web', 5, { deploymentUid: 'deleted-copy' }));
    expect(checkDoubling(t, peak)).toEqual([]);
  });

  it('find errors and warnings repeating after the fleet settled', () => {
    const log = [
      '{"level":"warn","message":"could not apply member copy","error":"timeout","timestamp":"2026-01-01T00:00:01Z"}',
      '{"level":"warn","message":"could not apply member copy","error":"timeout","timestamp":"2026-01-01T00:00:11Z"}',
      '{"level":"warn","message":"could not apply member copy","error":"timeout","timestamp":"2026-01-01T00:00:12Z"}',
      '{"level":"info","message":"starting workers","timestamp":"2026-01-01T00:00:13Z"}',
      '{"level":"info","message":"starting workers","timestamp":"2026-01-01T00:00:14Z"}',
      '{"level":"error","message":"once","timestamp":"2026-01-01T00:00:15Z"}',
      '{"level":"error","message":"cut by a SIGK',
    ].join('\n');
    const lines = parseLog(log);
    expect(lines).toHaveLength(6);
    expect(checkRepeatedErrors(lines, Date.parse('2026-01-01T00:00:10Z'))).toEqual([
      {
        invariant: 'noRepeatedErrors',
        message: '2x warn: could not apply member copy (timeout)',
      },
    ]);
    expect(checkRepeatedErrors(lines, Date.parse('2026-01-01T00:00:12Z'))).toEqual([]);
  });
});

describe('chaos operations', () => {
  it('are the same for a seed, stay in range, and leave every workload existing', () => {
    const make = () => {
      const random = prng(42);
      const model = initialWorkloads(20, random);
      return { ops: generateOperations(model, 200, random), model };
    };
    const a = make();
    expect(make().ops).toEqual(a.ops);
    expect(a.ops.length).toBeGreaterThanOrEqual(200);
    expect(new Set(a.ops.map((o) => o.op))).toEqual(
      new Set(['scale', 'edit-template', 'edit-policy', 'delete', 'create']),
    );
    const exists = new Map(a.model.map((w) => [w.name, true]));
    const replicas = new Map<string, number>();
    for (const op of a.ops) {
      if (op.op === 'scale') {
        expect(op.replicas).toBeGreaterThanOrEqual(0);
        expect(op.replicas).toBeLessThanOrEqual(MAX_REPLICAS);
      }
      if (op.op === 'edit-policy') expect(POLICY_SHAPES).toContain(op.shape);
      // A workload is only deleted while it exists and created while it does not.
      if (op.op === 'delete') {
        expect(exists.get(op.workload)).not.toBe(false);
        exists.set(op.workload, false);
      } else if (op.op === 'create') {
        expect(exists.get(op.workload)).toBe(false);
        exists.set(op.workload, true);
      } else expect(exists.get(op.workload)).not.toBe(false);
      if ('replicas' in op) replicas.set(op.workload, op.replicas);
    }
    expect([...exists.values()].every(Boolean)).toBe(true);
    for (const w of a.model) expect(w.replicas).toBe(replicas.get(w.name) ?? w.replicas);
  });
});
