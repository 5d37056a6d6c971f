/**
 * Unit counting on a live member: max per unit, max per matchLabelKeys group across a rolling
 * update, ignorePreviousPod, a burst of 50 pods created at once that never overfills a unit
 * (most sent to their unit at admission, the rest through the gate), a dry-run create that
 * holds no place, and a standby replica that gates while the leader decides. A pod sent where
 * its unit has room gets no Event, whichever way it went.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { AdmissionregistrationV1Api, type V1Pod } from '@kubernetes/client-node';
import { ensureWebhookConfiguration } from '../../src/resourcepolicy/webhook-config.js';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import {
  POOL_A,
  POOL_B,
  apply,
  byPool,
  cleanNamespace,
  deploymentManifest,
  isRunningPod,
  kubectl,
  live,
  memberConfig,
  pods,
  policyManifest,
  startController,
  waitPods,
  waitPolicyReady,
} from './support.js';
import { useController } from './fixture.js';
import { waitFor } from '../fleet/readiness.js';

const fleet = useFleet('resourcepolicy-units', 'resourcepolicy.yaml', { provisioner: false });

const env = useController(fleet);

const runningN = (n: number) => (list: V1Pod[]) =>
  live(list).length === n && live(list).every(isRunningPod);
const templateHash = (p: V1Pod) => p.metadata?.labels?.['pod-template-hash'] ?? '';
/** The webhook wrote the pod's unit at admission (no gate, no patch afterwards). */
const admittedIntoUnit = (p: V1Pod) =>
  p.metadata?.annotations?.['scheduling.spillway.dev/admission'] !== undefined;
const GATE = 'scheduling.alibabacloud.com/resource-policy';
const podBody = (name: string, app: string) => ({
  metadata: { name, labels: { app } },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [
      { name: 'main', image: 'example.invalid/app:1', resources: { requests: { cpu: '10m' } } },
    ],
  },
});
/** Events telling a pod it was sent to a unit with room: there should be none. */
async function routineEvents(ns: string): Promise<string[]> {
  const events = await env.core.listNamespacedEvent({ namespace: ns });
  return events.items
    .filter((e) => e.reason === 'AssignedToUnit')
    .map((e) => `${e.involvedObject.name ?? ''}: ${e.message ?? ''}`);
}
/** Admission reviews a webhook answered, from its /metrics text. */
function reviewsIn(metricsText: string): number {
  let n = 0;
  for (const line of metricsText.split('\n'))
    if (line.startsWith('spillway_resourcepolicy_webhook_admissions_total{'))
      n += Number(line.split(' ').pop());
  return n;
}

/** Namespaces the current test created: cleaned after it, pass or fail, so capacity is free. */
const used: string[] = [];
async function namespace(ns: string): Promise<string> {
  await ensureNamespace(env.core, ns);
  used.push(ns);
  return ns;
}
afterEach(async () => {
  for (const ns of used.splice(0)) await cleanNamespace(env.kubeconfig, env.core, ns);
}, 120_000);

describe('ResourcePolicy units', () => {
  it('puts at most max pods in a unit even when it has room', async () => {
    const ns = await namespace('rp-max');
    await apply(
      env.kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A, max: 3 },
          { resource: 'ecs', nodeSelector: POOL_B, max: 2 },
          { resource: 'eci' },
        ],
      }),
      deploymentManifest('web', ns, 8, '100m'),
    );
    const list = await waitPods(env.core, ns, 'app=web', '8 Running web pods', runningN(8));
    expect(byPool(list)).toEqual({ 'pool-a': 3, 'pool-b': 2, eci: 3 });
    await waitFor('status summary 3/3,2/2,3', 30_000, async () => {
      const cur = JSON.parse(
        await kubectl(env.kubeconfig, ['-n', ns, 'get', 'rsp', 'web', '-o', 'json']),
      ) as { status?: { summary?: string } };
      return cur.status?.summary === '3/3,2/2,3';
    });
  }, 300_000);

  it('applies max per pod-template-hash group with matchLabelKeys during a rolling update', async () => {
    const ns = await namespace('rp-match');
    await apply(
      env.kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        matchLabelKeys: ['pod-template-hash'],
        units: [
          { resource: 'ecs', nodeSelector: POOL_A, max: 2 },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
      deploymentManifest('web', ns, 3, '100m', {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 0 } },
      }),
    );
    let list = await waitPods(env.core, ns, 'app=web', '3 Running web pods', runningN(3));
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 1 });
    const oldHash = templateHash(live(list)[0] as V1Pod);

    // A new revision: its pods form their own group, so pool A takes 2 of them again.
    await kubectl(env.kubeconfig, ['-n', ns, 'set', 'env', 'deployment/web', 'REVISION=2']);
    list = await waitPods(
      env.core,
      ns,
      'app=web',
      'rollout to the new revision',
      (l) => runningN(3)(l) && live(l).every((p) => templateHash(p) !== oldHash),
    );
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 1 });
  }, 300_000);

  it('ignorePreviousPod leaves pods created before the policy out of max', async () => {
    const ns = await namespace('rp-previous');
    // Two pods created before the policy, on pool A (pool B cordoned meanwhile).
    await kubectl(env.kubeconfig, ['cordon', 'pool-b-0', 'pool-b-1']);
    try {
      await apply(env.kubeconfig, deploymentManifest('web', ns, 2, '100m'));
      const before = await waitPods(
        env.core,
        ns,
        'app=web',
        '2 previous pods Running',
        runningN(2),
      );
      expect(byPool(before)).toEqual({ 'pool-a': 2 });
    } finally {
      await kubectl(env.kubeconfig, ['uncordon', 'pool-b-0', 'pool-b-1']);
    }
    await new Promise((r) => setTimeout(r, 1100)); // creation timestamps have one-second steps
    await apply(
      env.kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        ignorePreviousPod: true,
        units: [
          { resource: 'ecs', nodeSelector: POOL_A, max: 2 },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'web');
    await kubectl(env.kubeconfig, ['-n', ns, 'scale', 'deployment', 'web', '--replicas', '4']);
    const list = await waitPods(env.core, ns, 'app=web', '4 Running web pods', runningN(4));
    // The two new pods still fit under max 2 in pool A: the previous two are not counted.
    expect(byPool(list)).toEqual({ 'pool-a': 4 });
  }, 300_000);

  it('never exceeds a unit max when 50 pods are created at once', async () => {
    const ns = await namespace('rp-burst');
    await apply(
      env.kubeconfig,
      policyManifest('burst', ns, {
        selector: { app: 'burst' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A, max: 5 },
          { resource: 'ecs', nodeSelector: POOL_B, max: 10 },
          { resource: 'eci' },
        ],
      }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'burst');
    let worst = { 'pool-a': 0, 'pool-b': 0 };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const seen = byPool(await pods(env.core, ns, 'app=burst'));
        worst = {
          'pool-a': Math.max(worst['pool-a'], seen['pool-a'] ?? 0),
          'pool-b': Math.max(worst['pool-b'], seen['pool-b'] ?? 0),
        };
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        env.core.createNamespacedPod({ namespace: ns, body: podBody(`burst-${i}`, 'burst') }),
      ),
    );
    const list = await waitPods(
      env.core,
      ns,
      'app=burst',
      '50 Running burst pods',
      runningN(50),
      180_000,
    );
    watching = false;
    await watcher;
    expect(byPool(list)).toEqual({ 'pool-a': 5, 'pool-b': 10, eci: 35 });
    expect(worst['pool-a']).toBeLessThanOrEqual(5);
    expect(worst['pool-b']).toBeLessThanOrEqual(10);
    // Counts reach the status at most about once a second during the burst; the last write
    // holds the final counts.
    await waitFor('burst status 5/5,10/10,35 with no gated pod', 30_000, async () => {
      const cur = JSON.parse(
        await kubectl(env.kubeconfig, ['-n', ns, 'get', 'rsp', 'burst', '-o', 'json']),
      ) as { status?: { summary?: string; gatedPods?: number } };
      return cur.status?.summary === '5/5,10/10,35' && cur.status.gatedPods === 0;
    });
    // The fast path was taken: pods sent to their unit at admission, never gated. Also past
    // the unit boundaries, where the last places of a unit are held for pods the watch has not
    // shown yet: the admissions there wait a moment for them instead of gating the pod (and,
    // with it, every later pod of the policy until a pass has decided it).
    const admitted = list.filter(admittedIntoUnit);
    const pastUnit0 = admitted.filter(
      (p) => p.metadata?.annotations?.['scheduling.spillway.dev/unit'] !== '0',
    );
    expect(pastUnit0.length).toBeGreaterThan(10);
    // Every one of the 50 found room in its unit, at admission or by a pass: no Event.
    expect(await routineEvents(ns)).toEqual([]);
  }, 300_000);

  it('sends a pod to its unit at admission, and a dry-run create holds no place', async () => {
    const ns = await namespace('rp-dryrun');
    await apply(
      env.kubeconfig,
      policyManifest('one', ns, {
        selector: { app: 'one' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A, max: 1 },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'one');
    const body = (name: string) => podBody(name, 'one');
    // A dry run is answered with the gate (as before the fast path) and reserves nothing.
    const dry = await env.core.createNamespacedPod({
      namespace: ns,
      body: body('first'),
      dryRun: 'All',
    });
    expect(dry.spec?.schedulingGates?.map((g) => g.name)).toEqual([
      'scheduling.alibabacloud.com/resource-policy',
    ]);
    expect(admittedIntoUnit(dry)).toBe(false);
    // So unit 0's single place is still free for the real pod, which gets it at admission (a
    // place held by the dry run would have made the answer uncertain, and the pod gated).
    const first = await env.core.createNamespacedPod({ namespace: ns, body: body('first') });
    expect(first.spec?.schedulingGates ?? []).toEqual([]);
    expect(admittedIntoUnit(first)).toBe(true);
    expect(first.metadata?.annotations?.['scheduling.spillway.dev/unit']).toBe('0');
    expect(first.spec?.nodeSelector).toEqual(POOL_A);
    await env.core.createNamespacedPod({ namespace: ns, body: body('second') });
    const list = await waitPods(env.core, ns, 'app=one', '2 Running pods', runningN(2));
    expect(byPool(list)).toEqual({ 'pool-a': 1, 'pool-b': 1 });
  }, 300_000);
  it('a standby replica gates the pods it is asked about while the leader decides at admission', async () => {
    const ns = await namespace('rp-standby');
    await apply(
      env.kubeconfig,
      policyManifest('two', ns, {
        selector: { app: 'two' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A, max: 2 },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
    );
    await waitPolicyReady(env.kubeconfig, ns, 'two');
    const { kc } = memberConfig(fleet.state);
    const admission = kc.makeApiClient(AdmissionregistrationV1Api);
    const leaderHook = await admission.readMutatingWebhookConfiguration({
      name: 'spillway-resource-policy',
    });
    const dryRun = () =>
      env.core.createNamespacedPod({ namespace: ns, body: podBody('probe', 'two'), dryRun: 'All' });
    // A second replica loses the election to the running one and, starting, points the
    // webhook at itself (as a rolling update of the Deployment may leave it).
    const standby = await startController(kc);
    try {
      expect(standby.isLeader()).toBe(false);
      const standbyReviews = async () => reviewsIn(await standby.registry.metrics());
      await waitFor('the API server to call the standby', 30_000, async () => {
        await dryRun();
        return (await standbyReviews()) > 0;
      });
      const viaStandby = await env.core.createNamespacedPod({
        namespace: ns,
        body: podBody('via-standby', 'two'),
      });
      // The standby never decides: the pod is gated, and the leader's pass sends it on.
      expect(viaStandby.spec?.schedulingGates?.map((g) => g.name)).toEqual([GATE]);
      expect(admittedIntoUnit(viaStandby)).toBe(false);
      const [placed] = await waitPods(env.core, ns, 'app=two', '1 Running pod', runningN(1));
      expect(placed?.metadata?.annotations?.['scheduling.spillway.dev/unit']).toBe('0');
      expect(admittedIntoUnit(placed as V1Pod)).toBe(false);
    } finally {
      await ensureWebhookConfiguration(kc, {
        metadata: { name: leaderHook.metadata?.name ?? '' },
        webhooks: leaderHook.webhooks ?? [],
      });
      await standby.stop();
    }
    await waitFor('the API server to call the leader again', 30_000, async () => {
      const before = reviewsIn(await env.metrics());
      await dryRun();
      return reviewsIn(await env.metrics()) > before;
    });
    const viaLeader = await env.core.createNamespacedPod({
      namespace: ns,
      body: podBody('via-leader', 'two'),
    });
    expect(viaLeader.spec?.schedulingGates ?? []).toEqual([]);
    expect(admittedIntoUnit(viaLeader)).toBe(true);
    const list = await waitPods(env.core, ns, 'app=two', '2 Running pods', runningN(2));
    expect(byPool(list)).toEqual({ 'pool-a': 2 });
    expect(await routineEvents(ns)).toEqual([]);
  }, 300_000);
});
