/**
 * whenTryNextUnits LackResourceAndNoTerminating during a rolling update: while an old pod of
 * the policy is still terminating in the full first unit, the new pod waits behind the gate
 * instead of spilling to the next unit, and lands in the first unit once the old pod is gone.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { HOLD_ANNOTATION } from '../fleet/fleet.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import { useController } from './fixture.js';
import {
  POOL_A,
  POOL_B,
  apply,
  deploymentManifest,
  isRunningPod,
  kubectl,
  live,
  pods,
  policyManifest,
  poolOf,
  waitPods,
  waitPolicyReady,
} from './support.js';

const fleet = useFleet('resourcepolicy-terminating', 'resourcepolicy.yaml', { provisioner: false });
const env = useController(fleet);
const NS = 'rp-term';

const gated = (p: V1Pod) => (p.spec?.schedulingGates ?? []).length > 0;
const terminating = (list: V1Pod[]) => list.filter((p) => p.metadata?.deletionTimestamp);

describe('LackResourceAndNoTerminating', () => {
  it('holds the new pod of a rolling update in its unit while the old pod terminates', async () => {
    await ensureNamespace(env.core, NS);
    await apply(
      env.kubeconfig,
      policyManifest('web', NS, {
        selector: { app: 'web' },
        whenTryNextUnits: { policy: 'LackResourceAndNoTerminating' },
        units: [
          { resource: 'ecs', nodeSelector: POOL_A },
          { resource: 'ecs', nodeSelector: POOL_B },
        ],
      }),
    );
    await waitPolicyReady(env.kubeconfig, NS, 'web');
    // 2 CPUs a pod: the two pool A nodes hold one each, so pool A is full.
    const web = deploymentManifest('web', NS, 2, '2', {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    });
    // A grace period makes a deleted pod Terminating first (0 would delete it at once).
    if (web.spec?.template.spec) web.spec.template.spec.terminationGracePeriodSeconds = 30;
    await apply(env.kubeconfig, web);
    const first = await waitPods(
      env.core,
      NS,
      'app=web',
      '2 web pods Running in pool A',
      (l) =>
        live(l).length === 2 &&
        live(l).every((p) => isRunningPod(p) && poolOf(p.spec?.nodeName) === 'pool-a'),
    );

    // Old pods shut down slowly: once deleted they stay Terminating until we let them go.
    for (const p of first)
      await kubectl(env.kubeconfig, [
        '-n',
        NS,
        'annotate',
        'pod',
        p.metadata?.name ?? '',
        `${HOLD_ANNOTATION}=true`,
      ]);
    await kubectl(env.kubeconfig, [
      '-n',
      NS,
      'patch',
      'deploy',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"template":{"metadata":{"annotations":{"rollout":"2"}}}}}',
    ]);

    const seenPools = new Set<string>();
    const oldNames = new Set(first.map((p) => p.metadata?.name));
    for (let round = 1; round <= 2; round++) {
      // An old pod terminates and a new one waits for its room, behind the gate.
      const list = await waitPods(
        env.core,
        NS,
        'app=web',
        `round ${round}: a terminating old pod and a gated new pod`,
        (l) =>
          terminating(l).some((p) => oldNames.has(p.metadata?.name)) &&
          live(l).some((p) => !oldNames.has(p.metadata?.name) && gated(p) && !p.spec?.nodeName),
      );
      await new Promise((r) => setTimeout(r, 3000)); // a few reconcile passes
      const now = await pods(env.core, NS, 'app=web');
      const fresh = live(now).filter((p) => !oldNames.has(p.metadata?.name));
      for (const p of fresh) seenPools.add(poolOf(p.spec?.nodeName));
      expect(fresh.filter((p) => !p.spec?.nodeName && gated(p))).toHaveLength(1);
      expect(seenPools.has('pool-b')).toBe(false);

      const old = terminating(list).find((p) => oldNames.has(p.metadata?.name));
      await kubectl(env.kubeconfig, [
        '-n',
        NS,
        'delete',
        'pod',
        old?.metadata?.name ?? '',
        '--grace-period=0',
        '--force',
        '--wait=false',
      ]);
      await waitFor(`round ${round}: the new pod placed`, 60_000, async () => {
        const l = live(await pods(env.core, NS, 'app=web')).filter(
          (p) => !oldNames.has(p.metadata?.name),
        );
        return l.length >= round && l.filter((p) => p.spec?.nodeName).length >= round;
      });
    }
    const done = await waitPods(
      env.core,
      NS,
      'app=web',
      '2 new pods Running',
      (l) =>
        live(l).length === 2 &&
        live(l).every(isRunningPod) &&
        live(l).every((p) => !oldNames.has(p.metadata?.name)),
    );
    expect(done.map((p) => poolOf(p.spec?.nodeName)).sort()).toEqual(['pool-a', 'pool-a']);
  }, 300_000);
});
