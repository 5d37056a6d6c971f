/**
 * The webhook down: in a namespace with a ResourcePolicy, pod creation is refused (the owner
 * retries) instead of going ahead without the scheduling gate; other namespaces are not
 * affected; once the webhook is back, the pods are gated and `max` holds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, AppsV1Api, type V1Pod } from '@kubernetes/client-node';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import { waitFor } from '../fleet/readiness.js';
import type { ResourcePolicyController } from '../../src/resourcepolicy/main.js';
import { ANNOTATION_POLICY, NAMESPACE_LABEL } from '../../src/resourcepolicy/constants.js';
import { WEBHOOK_NAME } from '../../src/resourcepolicy/webhook-config.js';
import {
  POOL_A,
  POOL_B,
  apply,
  byPool,
  deploymentManifest,
  installCrd,
  isRunningPod,
  kubectl,
  live,
  memberConfig,
  policyManifest,
  startController,
  waitPods,
  waitPolicyReady,
} from './support.js';

const fleet = useFleet('resourcepolicy-outage', 'resourcepolicy.yaml', { provisioner: false });

let controller: ResourcePolicyController | undefined;
let kubeconfig = '';
let core: CoreV1Api;
let apps: AppsV1Api;
beforeAll(async () => {
  const { kc, path } = memberConfig(fleet.state);
  kubeconfig = path;
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  await installCrd(kc);
  controller = await startController(kc);
}, 120_000);
afterAll(async () => {
  await controller?.stop();
}, 60_000);

const namespaceLabel = async (ns: string) =>
  (await core.readNamespace({ name: ns })).metadata?.labels?.[NAMESPACE_LABEL];

describe('ResourcePolicy webhook outage', () => {
  it('refuses selected pods while the webhook is down, gates them when it is back, keeps max', async () => {
    const ns = 'rp-outage';
    const free = 'rp-no-policy';
    await ensureNamespace(core, ns);
    await ensureNamespace(core, free);
    await apply(
      kubeconfig,
      policyManifest('web', ns, {
        selector: { app: 'web' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A, max: 2 },
          { resource: 'ecs', nodeSelector: POOL_B, max: 1 },
          { resource: 'eci' },
        ],
      }),
    );
    await waitPolicyReady(kubeconfig, ns, 'web');
    await waitFor(`namespace ${ns} labelled`, 30_000, async () => {
      return (await namespaceLabel(ns)) === 'true';
    });
    expect(await namespaceLabel(free)).toBeUndefined();

    await controller?.stop();
    controller = undefined;

    // A selected pod created directly is refused, naming the webhook.
    let refused = '';
    try {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'direct', labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'pause' }] },
        },
      });
    } catch (err) {
      refused = String((err as { body?: unknown }).body ?? err);
    }
    expect(refused).toContain(WEBHOOK_NAME);

    await apply(
      kubeconfig,
      deploymentManifest('web', ns, 5, '100m'),
      deploymentManifest('other', free, 2, '100m'),
    );
    // Elsewhere pods are created and run as without Spillway.
    await waitPods(core, free, 'app=other', '2 Running pods without a policy', (l) => {
      return live(l).length === 2 && live(l).every(isRunningPod);
    });
    // Here the ReplicaSet's creations fail (it retries), and no pod exists ungated.
    await waitFor('web ReplicaSet reports FailedCreate', 60_000, async () => {
      const sets = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' });
      return sets.items.some((rs) =>
        (rs.status?.conditions ?? []).some(
          (c) => c.type === 'ReplicaFailure' && c.status === 'True',
        ),
      );
    });
    expect((await core.listNamespacedPod({ namespace: ns })).items).toEqual([]);

    controller = await startController(memberConfig(fleet.state).kc);
    const list = await waitPods(core, ns, 'app=web', '5 Running web pods', (l: V1Pod[]) => {
      return live(l).length === 5 && live(l).every(isRunningPod);
    });
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 1, eci: 2 });
    // Every pod went through the gate and was sent to its unit by the controller.
    for (const p of list) expect(p.metadata?.annotations?.[ANNOTATION_POLICY]).toBe('web');

    // The last policy gone, the namespace no longer depends on the webhook.
    await kubectl(kubeconfig, ['-n', ns, 'delete', 'resourcepolicy', 'web']);
    await waitFor(`namespace ${ns} label removed`, 30_000, async () => {
      return (await namespaceLabel(ns)) === undefined;
    });
  }, 300_000);
});
