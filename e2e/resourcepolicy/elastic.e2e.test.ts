/**
 * TimeoutOrExceedMax with auto-scaling node pools (the simulated cloud): pods wait in a
 * wait-for-scaling unit for nodes; a pool that grows in time takes them, a pool that does not
 * lets them time out, be deleted and recreated by their ReplicaSet, and land on ECI.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import {
  apply,
  byPool,
  cleanNamespace,
  deploymentManifest,
  isRunningPod,
  live,
  policyManifest,
  waitPods,
} from './support.js';
import { useController } from './fixture.js';

const fleet = useFleet('resourcepolicy-elastic', 'resourcepolicy.yaml');

const env = useController(fleet);

const WAIT = { 'k8s.aliyun.com/resource-policy-wait-for-ecs-scaling': 'true' };
const runningN = (n: number) => (list: V1Pod[]) =>
  live(list).length === n && live(list).every(isRunningPod);

function elasticPolicy(ns: string, pool: string, timeout: string): object {
  return policyManifest('web', ns, {
    selector: { app: 'web' },
    units: [
      { resource: 'ecs', nodeSelector: { 'alibabacloud.com/nodepool-id': pool }, podLabels: WAIT },
      { resource: 'eci' },
    ],
    whenTryNextUnits: { policy: 'TimeoutOrExceedMax', timeout },
  });
}

describe('TimeoutOrExceedMax with an auto-scaling pool', () => {
  it('waits for a pool that scales in time, and its pods run there, not on ECI', async () => {
    const ns = 'rp-elastic-fast';
    await ensureNamespace(env.core, ns);
    await apply(
      env.kubeconfig,
      elasticPolicy(ns, 'npelasticfast0000000000000000000000', '5m'),
      deploymentManifest('web', ns, 2, '2'),
    );
    const list = await waitPods(
      env.core,
      ns,
      'app=web',
      '2 pods Running on new nodes',
      runningN(2),
      180_000,
    );
    expect(byPool(list)).toEqual({ 'elastic-fast': 2 });
    // The wait label is a unit setting, never put on pods.
    for (const p of list) expect(p.metadata?.labels).not.toHaveProperty(Object.keys(WAIT)[0] ?? '');
    await cleanNamespace(env.kubeconfig, env.core, ns);
  }, 300_000);

  it('moves pods to ECI after the timeout when the pool does not scale in time', async () => {
    const ns = 'rp-elastic-slow';
    await ensureNamespace(env.core, ns);
    await apply(
      env.kubeconfig,
      elasticPolicy(ns, 'npelasticslow0000000000000000000000', '15s'),
      deploymentManifest('web', ns, 1, '1'),
    );
    const first = await waitPods(env.core, ns, 'app=web', 'the pod waiting in the slow pool', (l) =>
      live(l).some(
        (p) => p.metadata?.annotations?.['scheduling.spillway.dev/waiting-for-capacity'] === 'true',
      ),
    );
    const waitingName = live(first)[0]?.metadata?.name;
    const list = await waitPods(
      env.core,
      ns,
      'app=web',
      'a recreated pod Running on ECI',
      runningN(1),
      180_000,
    );
    expect(byPool(list)).toEqual({ eci: 1 });
    expect(live(list)[0]?.metadata?.name).not.toBe(waitingName);
    const events = await env.core.listNamespacedEvent({ namespace: ns });
    expect(events.items.map((e) => e.reason)).toContain('UnitWaitTimeout');
    await cleanNamespace(env.kubeconfig, env.core, ns);
  }, 300_000);
});
