import { describe, expect, it } from '@jest/globals';
import {
  checkBindingSums,
  checkCopies,
  checkDoubling,
  checkReadyPods,
  checkRepeatedErrors,
  checkSettled,
  checkStrayObjects,
  excusedPods,
  MOVE_MARGIN_MS,
  orphanPods,
  parseLog,
  shareDrops,
  sharesOf,
  UNREACHABLE_GRACE_MS,
  type BindingView,
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
      'chaos/web: 10 live pods, at most 8 allowed (replicas up to 5 plus surge): 6 in bj, 4 in idc',
    ]);
    // Pods of a copy the member already deleted are garbage, not replicas.
    const t = settled();
    t.pods.push(...pods('idc', 'web', 5, { deploymentUid: 'deleted-copy' }));
    expect(checkDoubling(t, peak)).toEqual([]);
  });

  it("count pods whose ReplicaSet is gone as the collector's too", () => {
    // The member's collector deletes a deleted copy's ReplicaSets first and their pods seconds
    // later (w08 in a seed-14 run: 4 such pods in bj counted as replicas beside 4 in idc).
    const peak = new Map([['chaos/web', 4]]);
    const s = { copies: [copy('idc', 'web', 4)], pods: pods('idc', 'web', 4) };
    s.pods.push(...pods('bj', 'web', 4, { replicaSetGone: true }));
    expect(orphanPods(s)).toHaveLength(4);
    expect(checkDoubling(s, peak)).toEqual([]);
    s.pods.push(...pods('bj', 'web', 3));
    expect(checkDoubling(s, peak).map((v) => v.message)).toEqual([
      'chaos/web: 7 live pods, at most 6 allowed (replicas up to 4 plus surge): 3 in bj, 4 in idc',
    ]);
  });

  describe('pods on a member that was down when the binding moved its replicas', () => {
    // w08, 4 replicas, all in bj; bj's API server stops at 100 s and answers again at 170 s;
    // meanwhile a policy edit moves the 4 replicas to idc, and bj's copy can only be deleted
    // once bj answers.
    const s = 1000;
    const bj = { cluster: 'bj', from: 100 * s, to: 170 * s };
    const binding = (idc: number, bjShare: number): BindingView => ({
      namespace: 'chaos',
      name: 'w08-deployment',
      resourceName: 'w08',
      replicas: idc + bjShare,
      clusters: [
        ...(idc > 0 ? [{ name: 'idc', replicas: idc }] : []),
        ...(bjShare > 0 ? [{ name: 'bj', replicas: bjShare }] : []),
      ],
    });
    const peak = new Map([['chaos/w08', 4]]);
    const before = sharesOf([binding(0, 4)]);
    const after = sharesOf([binding(4, 0)]);
    const doubled = [...pods('idc', 'w08', 4), ...pods('bj', 'w08', 4)];
    const snapshot = { copies: [copy('idc', 'w08', 4), copy('bj', 'w08', 4)], pods: doubled };
    const violations = (movedAt: number, now: number, outages = [bj]) =>
      checkDoubling(
        snapshot,
        peak,
        excusedPods(
          doubled,
          after,
          shareDrops(before, after, movedAt - 2 * s, movedAt),
          outages,
          now,
        ),
      ).map((v) => v.message);

    it('records what a binding took off a member', () => {
      expect(shareDrops(before, after, 1, 2)).toEqual([
        { workload: 'chaos/w08', cluster: 'bj', after: 1, at: 2, replicas: 4 },
      ]);
      expect(shareDrops(after, before, 1, 2)).toEqual([
        { workload: 'chaos/w08', cluster: 'idc', after: 1, at: 2, replicas: 4 },
      ]);
    });

    it('excuses them until the member answers again plus the grace', () => {
      expect(violations(130 * s, 171 * s)).toEqual([]);
      expect(violations(130 * s, 170 * s + UNREACHABLE_GRACE_MS)).toEqual([]);
      // A move just before the outage: the copy's removal came after the API server stopped.
      expect(violations(100 * s - MOVE_MARGIN_MS, 171 * s)).toEqual([]);
    });

    it('excuses nothing past the grace, for a move made while it answered, or another member', () => {
      const doubledMessage =
        'chaos/w08: 8 live pods, at most 6 allowed (replicas up to 4 plus surge): 4 in bj, 4 in idc';
      expect(violations(130 * s, 170 * s + UNREACHABLE_GRACE_MS + 1)).toEqual([doubledMessage]);
      expect(violations(100 * s - MOVE_MARGIN_MS - 1, 171 * s)).toEqual([doubledMessage]);
      expect(violations(180 * s, 181 * s)).toEqual([doubledMessage]);
      expect(violations(130 * s, 171 * s, [{ ...bj, cluster: 'idc' }])).toEqual([doubledMessage]);
    });

    it('excuses no more than the binding took off the member', () => {
      // bj kept 1 of its 4 and runs 5: 3 excused, 5 counted; with 7 in bj, 7 are counted.
      const kept = sharesOf([binding(3, 1)]);
      const extra = [...pods('idc', 'w08', 3), ...pods('bj', 'w08', 5)];
      const excused = excusedPods(
        extra,
        kept,
        shareDrops(before, kept, 129 * s, 130 * s),
        [bj],
        171 * s,
      );
      expect(excused).toEqual(new Map([['chaos/w08|bj', 3]]));
      expect(checkDoubling({ copies: snapshot.copies, pods: extra }, peak, excused)).toEqual([]);
      extra.push(...pods('bj', 'w08', 2));
      expect(
        checkDoubling({ copies: snapshot.copies, pods: extra }, peak, excused).map(
          (v) => v.message,
        ),
      ).toEqual([
        'chaos/w08: 7 live pods, at most 6 allowed (replicas up to 4 plus surge): 7 in bj, 3 in idc (3 excused on a member unreachable when its replicas moved)',
      ]);
    });
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
