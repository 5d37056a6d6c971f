/**
 * The binding reconciler's decision flow, end to end through its stages, against a recording
 * fake of its port (recording-port.ts): what one reconcile writes, and that an unchanged one
 * writes nothing. The real API paths are covered by e2e/fleet-controller.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import type { ResourceBinding } from '../../../src/api/fleet.js';
import type { AnyOverridePolicy } from '../../../src/api/override.js';
import type { AnyPropagationPolicy } from '../../../src/api/policy.js';
import { BindingReconciler } from '../../../src/fleet/binding-reconciler.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';
import { FleetMetrics } from '../../../src/fleet/metrics.js';
import type { MemberOverride } from '../../../src/fleet/override-status.js';
import type { KindState } from '../../../src/fleet/template-kinds.js';
import { silentLogger } from '../../../src/runtime/logger.js';
import { RecordingPort, type Call } from './recording-port.js';

const KEY = 'apps/v1|Deployment|test|web';
const BINDING = 'test/web-deployment';
const NOW = Date.parse('2026-01-01T00:00:00Z');

function deployment(replicas: number): TemplateObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'test', labels: { app: 'web' }, generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '1' } } }],
        },
      },
    },
  };
}

/** idc first, cloud when idc is full: the spill-over the project is named for. */
const policy: AnyPropagationPolicy = {
  apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name: 'spill', namespace: 'test' },
  spec: {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }],
    placement: {
      clusterAffinities: [
        { affinityName: 'idc', clusterNames: ['idc'] },
        { affinityName: 'cloud', clusterNames: ['cloud'] },
      ],
      replicaScheduling: {
        replicaSchedulingType: 'Divided',
        replicaDivisionPreference: 'Aggregated',
      },
    },
  },
};

const writes = (calls: Call[], op: Call['op']) => calls.filter((c) => c.op === op);
const copyWrites = (calls: Call[]) =>
  writes(calls, 'applyCopy').map((c) => {
    const a = c as Extract<Call, { op: 'applyCopy' }>;
    return { member: a.member, replicas: a.replicas };
  });

describe('BindingReconciler against a recording port', () => {
  let port: RecordingPort;
  let reconciler: BindingReconciler;
  let observed: MemberOverride[][];

  beforeEach(() => {
    port = new RecordingPort();
    port.addMember({ name: 'idc', ready: true, capacity: 4 });
    port.addMember({ name: 'cloud', ready: true, capacity: 100 });
    port.propagationPolicies = [policy];
    observed = [];
    reconciler = new BindingReconciler({
      port,
      logger: silentLogger(),
      metrics: new FleetMetrics(new Registry()),
      overrides: { observed: (_k, outcomes) => observed.push([...outcomes]) },
      recheckMs: 5000,
      now: () => NOW,
    });
  });

  const binding = (): ResourceBinding => {
    const b = port.bindings.get(BINDING);
    if (!b) throw new Error('no binding written');
    return b;
  };
  const condition = (type: string) => binding().status?.conditions?.find((c) => c.type === type);

  it('first placement: finalizer, binding with the spill-over, one copy per member, status', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(writes(calls, 'patchFinalizers')).toEqual([
      { op: 'patchFinalizers', name: 'web', finalizers: ['fleet.spillway.dev/cleanup'] },
    ]);
    expect(writes(calls, 'applyBinding')).toEqual([
      {
        op: 'applyBinding',
        clusters: [
          { name: 'idc', replicas: 4 },
          { name: 'cloud', replicas: 2 },
        ],
      },
    ]);
    expect(copyWrites(calls)).toEqual([
      { member: 'idc', replicas: 4 },
      { member: 'cloud', replicas: 2 },
    ]);
    // The binding is written before any member copy: it is the memory of where copies are.
    const order = calls.map((c) => c.op);
    expect(order.indexOf('applyBinding')).toBeLessThan(order.indexOf('applyCopy'));
    expect(writes(calls, 'removeCopy')).toEqual([]);
    expect(condition('Scheduled')?.status).toBe('True');
    expect(condition('FullyApplied')?.status).toBe('True');
    expect(
      port.template({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' })
        ?.metadata.annotations?.['fleet.spillway.dev/placement'],
    ).toContain('idc');
    expect(writes(calls, 'record').length).toBeGreaterThan(0);
  });

  it('a reconcile whose inputs did not change writes nothing', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    // The first pass sees copies as they were before its own writes; the second settles.
    await reconciler.reconcile(KEY);
    port.take();
    const result = await reconciler.reconcile(KEY);
    expect(port.take()).toEqual([]);
    // Settled: every copy applied, up to date and ready, nothing waits, so no recheck.
    expect(result).toBeUndefined();
  });

  it('the pass after the first placement, which only keeps the counts, rewrites no binding', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    const placed = binding().spec.clusters;
    port.take();
    // The scheduler now says "kept 4" where it said "took 4 of 4 available": the binding keeps
    // the reasons it recorded, so neither its spec nor (no new generation) its status is written.
    await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(writes(calls, 'applyBinding')).toEqual([]);
    expect(writes(calls, 'patchBindingStatus')).toEqual([]);
    expect(binding().spec.clusters).toEqual(placed);
    expect(placed?.[0]?.reason).toBe('group idc: took 4 of 4 available');
  });

  it('a template write that changes nothing the binding holds (its status, a new resourceVersion) rewrites no binding', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    await reconciler.reconcile(KEY);
    port.take();
    const recorded = binding().spec.resource.resourceVersion;
    // Same template, new resourceVersion: what the controller's own status write leaves behind.
    const key = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' };
    await port.patchTemplateStatus(key, 'deployments', {});
    port.take();
    await reconciler.reconcile(KEY);
    expect(port.take()).toEqual([]);
    expect(binding().spec.resource.resourceVersion).toBe(recorded);
    // A real change is applied, with the version it was made from.
    port.putTemplate(deployment(7));
    const version = port.template(key)?.metadata.resourceVersion;
    await reconciler.reconcile(KEY);
    expect(writes(port.take(), 'applyBinding')).toHaveLength(1);
    expect(binding().spec.resource.resourceVersion).toBe(version);
  });

  it('copies only waiting to become Ready: no 5 s re-check, the copy watch tells (slow resync only)', async () => {
    port.addMember({ name: 'idc', ready: true, capacity: 4, slowPods: true });
    port.addMember({ name: 'cloud', ready: true, capacity: 100, slowPods: true });
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    expect(await reconciler.reconcile(KEY)).toEqual({ requeueAfterMs: 60_000 });
  });

  it('copies not Ready with a pod not yet bound: re-checked every 5 s (it may have to spill over)', async () => {
    port.addMember({ name: 'idc', ready: true, capacity: 4, slowPods: true, unbound: 1 });
    port.addMember({ name: 'cloud', ready: true, capacity: 100, slowPods: true });
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    expect(await reconciler.reconcile(KEY)).toEqual({ requeueAfterMs: 5000 });
  });

  it('scale-in empties the lowest-priority member first and removes its copy', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    await reconciler.reconcile(KEY);
    port.take();
    port.putTemplate(deployment(2));
    await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(writes(calls, 'applyBinding')).toEqual([
      { op: 'applyBinding', clusters: [{ name: 'idc', replicas: 2 }] },
    ]);
    expect(copyWrites(calls)).toEqual([{ member: 'idc', replicas: 2 }]);
    expect(writes(calls, 'removeCopy')).toEqual([{ op: 'removeCopy', member: 'cloud' }]);
    expect(port.copies.get('cloud')?.size).toBe(0);
    // The dropped copy goes first: a controller killed between the two writes leaves the
    // workload short for the next leader, never running in both members (chaos seed 14, w06).
    const order = calls.map((c) => c.op);
    expect(order.indexOf('removeCopy')).toBeLessThan(order.indexOf('applyCopy'));
  });

  it('schedules on the room as it is after its own awaits, when other bindings may have taken some', async () => {
    const idc = port.memberMap.get('idc');
    if (!idc) throw new Error('no idc');
    idc.capacity = 8;
    idc.provisioningSupported = true;
    port.putTemplate(deployment(2));
    await reconciler.reconcile(KEY);
    // One of idc's replicas waits for a node, so the next reconcile reads its request first.
    const b = binding();
    b.spec.clusters = (b.spec.clusters ?? []).map((c) => ({ ...c, waitingForCapacity: 1 }));
    port.take();
    port.putTemplate(deployment(6));
    // Meanwhile other bindings place 4 replicas in idc: 2 more of this one fit there now, not 6.
    port.duringReadRequest = () => (idc.capacity = 4);
    await reconciler.reconcile(KEY);
    expect(writes(port.take(), 'applyBinding')).toEqual([
      {
        op: 'applyBinding',
        clusters: [
          { name: 'idc', replicas: 4 },
          { name: 'cloud', replicas: 2 },
        ],
      },
    ]);
  });

  it('a member that is not Ready gets no write, keeps its share within toleration, and is reported', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    await reconciler.reconcile(KEY);
    port.take();
    const idc = port.memberMap.get('idc');
    if (idc) idc.ready = false;
    port.putTemplate(deployment(7));
    const result = await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(copyWrites(calls).filter((c) => c.member === 'idc')).toEqual([]);
    // idc keeps the 4 it holds (toleration not over); the new replica goes to cloud.
    expect(writes(calls, 'applyBinding')).toEqual([
      {
        op: 'applyBinding',
        clusters: [
          { name: 'idc', replicas: 4 },
          { name: 'cloud', replicas: 3 },
        ],
      },
    ]);
    expect(copyWrites(calls)).toEqual([{ member: 'cloud', replicas: 3 }]);
    const idcStatus = binding().status?.aggregatedStatus?.find((s) => s.clusterName === 'idc');
    expect(idcStatus?.message).toBe('member not reachable');
    expect(condition('FullyApplied')?.status).toBe('False');
    // Not settled: it looks again.
    expect(result).toEqual({ requeueAfterMs: 5000 });
  });

  it('a bad override patch leaves that member copy as it was and says so on the binding', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    await reconciler.reconcile(KEY);
    port.take();
    const bad: AnyOverridePolicy = {
      apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
      kind: 'OverridePolicy',
      metadata: { name: 'broken', namespace: 'test' },
      spec: {
        overrideRules: [
          {
            targetCluster: { clusterNames: ['cloud'] },
            overriders: {
              plaintext: [{ path: '/spec/nothing/here', operator: 'replace', value: 1 }],
            },
          },
        ],
      },
    };
    port.overrides = [bad];
    await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(copyWrites(calls)).toEqual([]);
    expect(port.copies.get('cloud')?.get('web')).toBeDefined();
    expect(condition('OverridesApplied')).toMatchObject({ status: 'False' });
    expect(condition('OverridesApplied')?.message).toContain('broken');
    const last = observed[observed.length - 1] ?? [];
    expect(last.find((o) => o.cluster === 'cloud')?.failure?.policy).toBe(
      'OverridePolicy test/broken',
    );
    const cloud = binding().status?.aggregatedStatus?.find((s) => s.clusterName === 'cloud');
    expect(cloud?.message).toContain('override failed, copy left as it was');
  });

  it('a deleted template releases everything: copies, binding, finalizer', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    port.take();
    const t = port.templates.get('test/web');
    if (t) t.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(
      writes(calls, 'removeCopy')
        .map((c) => (c as { member: string }).member)
        .sort(),
    ).toEqual(['cloud', 'idc']);
    expect(writes(calls, 'deleteBinding')).toEqual([
      { op: 'deleteBinding', name: 'web-deployment' },
    ]);
    expect(writes(calls, 'patchFinalizers')).toContainEqual({
      op: 'patchFinalizers',
      name: 'web',
      finalizers: [],
    });
    expect(writes(calls, 'applyCopy')).toEqual([]);
    expect(observed[observed.length - 1]).toEqual([]);
  });

  /** web placed, then missing from the template cache, with its kind in `state`. */
  async function placedThenMissing(state: KindState): Promise<void> {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    port.take();
    port.templates.delete('test/web');
    port.kindState = state;
  }

  it('a template missing while its kind is not listed yet keeps its copies until the kind is listed', async () => {
    // A hub API server restarting as the controller starts: the kind's discovery failed.
    await placedThenMissing('unknown');
    const waiting = await reconciler.reconcile(KEY);
    expect(port.take()).toEqual([]);
    expect(waiting?.requeueAfterMs).toBeGreaterThan(0);
    // Listed, and truly gone: released as any deleted template.
    port.kindState = 'watched';
    await reconciler.reconcile(KEY);
    expect(
      writes(port.take(), 'removeCopy')
        .map((c) => (c as { member: string }).member)
        .sort(),
    ).toEqual(['cloud', 'idc']);
  });

  it('a binding whose kind the hub no longer serves is released', async () => {
    await placedThenMissing('unserved');
    await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(writes(calls, 'removeCopy')).toHaveLength(2);
    expect(writes(calls, 'deleteBinding')).toHaveLength(1);
  });

  it('preserveResourcesOnDeletion: a deleted template lets the binding go and leaves the copies', async () => {
    port.propagationPolicies = [
      { ...policy, spec: { ...policy.spec, preserveResourcesOnDeletion: true } },
    ];
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    port.take();
    const t = port.templates.get('test/web');
    if (t) t.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    await reconciler.reconcile(KEY);
    const calls = port.take();
    expect(writes(calls, 'removeCopy')).toEqual([]);
    expect(writes(calls, 'deleteBinding')).toEqual([
      { op: 'deleteBinding', name: 'web-deployment' },
    ]);
    expect(port.copies.get('idc')?.get('web')).toBeDefined();
    expect(port.copies.get('cloud')?.get('web')).toBeDefined();
  });

  it('a binding deleted by hand is let go without touching copies; its placement carries over', async () => {
    port.putTemplate(deployment(6));
    await reconciler.reconcile(KEY);
    await reconciler.reconcile(KEY);
    port.take();
    // idc has room for all 6 now: a fresh placement would differ from the carried one.
    const idc = port.memberMap.get('idc');
    if (idc) idc.capacity = 100;
    binding().metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(await reconciler.reconcile(KEY)).toEqual({ requeueAfterMs: 500 });
    let calls = port.take();
    expect(writes(calls, 'removeCopy')).toEqual([]);
    expect(writes(calls, 'deleteBinding')).toEqual([]);
    expect(port.bindings.has(BINDING)).toBe(true);
    // The API server removes the binding once its finalizer is off.
    port.bindings.delete(BINDING);
    await reconciler.reconcile(KEY);
    calls = port.take();
    expect(writes(calls, 'applyBinding')).toEqual([
      {
        op: 'applyBinding',
        clusters: [
          { name: 'idc', replicas: 4 },
          { name: 'cloud', replicas: 2 },
        ],
      },
    ]);
    expect(writes(calls, 'removeCopy')).toEqual([]);
  });
});
