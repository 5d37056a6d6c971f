/**
 * The two walkthroughs of the seed (seeds/001, seeds/004), with their manifests verbatim (node
 * names and pool IDs adapted): node pool A before pool B, and subscription ECS, then
 * pay-as-you-go ECS, then ECI; scale-in removes the later units first.
 */
import { describe, expect, it } from '@jest/globals';
import { useFleet } from '../support/fleet.js';
import {
  byPool,
  cleanNamespace,
  isRunningPod,
  kubectl,
  live,
  poolOf,
  runSeedCommands,
  seedText,
  waitPods,
} from './support.js';
import { useController } from './fixture.js';

const fleet = useFleet('resourcepolicy-seed', 'resourcepolicy.yaml', { provisioner: false });
const NS = 'default';
const APP = 'app=nginx';

const env = useController(fleet);

const running = (n: number) => (list: Parameters<typeof byPool>[0]) =>
  live(list).length === n && live(list).every(isRunningPod);

describe('seed: prioritize one node pool over another', () => {
  it('fills pool A first, overflows to pool B, and scales in pool B first', async () => {
    await kubectl(
      env.kubeconfig,
      ['apply', '-f', '-'],
      seedText('scenario1-resourcepolicy.yaml.txt'),
    );
    await kubectl(env.kubeconfig, ['apply', '-f', '-'], seedText('scenario1-nginx.yaml.txt'));
    let list = await waitPods(env.core, NS, APP, '2 Running nginx pods', running(2));
    expect(byPool(list)).toEqual({ 'pool-a': 2 });

    await kubectl(env.kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '4']);
    list = await waitPods(env.core, NS, APP, '4 Running nginx pods', running(4));
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 2 });
    // The controller placed them (not kube-scheduler alone): unit and deletion cost by pool.
    const marks = list.map((p) => [
      poolOf(p.spec?.nodeName),
      p.metadata?.annotations?.['scheduling.spillway.dev/unit'],
      p.metadata?.annotations?.['controller.kubernetes.io/pod-deletion-cost'],
    ]);
    expect(marks.sort()).toEqual([
      ['pool-a', '0', '2'],
      ['pool-a', '0', '2'],
      ['pool-b', '1', '1'],
      ['pool-b', '1', '1'],
    ]);

    await kubectl(env.kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '2']);
    list = await waitPods(env.core, NS, APP, '2 nginx pods left', (l) => live(l).length === 2);
    expect(byPool(list)).toEqual({ 'pool-a': 2 });
    await cleanNamespace(env.kubeconfig, env.core, NS);
  }, 400_000);
});

describe('seed: subscription ECS, then pay-as-you-go ECS, then ECI', () => {
  it('fills the three units in order and scales in ECI first, then pay-as-you-go', async () => {
    await runSeedCommands(env.kubeconfig, 'scenario2-label-nodes.sh');
    await kubectl(
      env.kubeconfig,
      ['apply', '-f', '-'],
      seedText('scenario2-resourcepolicy.yaml.txt'),
    );
    await kubectl(env.kubeconfig, ['apply', '-f', '-'], seedText('scenario2-nginx.yaml.txt'));
    let list = await waitPods(env.core, NS, APP, '2 Running nginx pods', running(2));
    expect(byPool(list)).toEqual({ 'pool-a': 2 });

    await kubectl(env.kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '4']);
    list = await waitPods(env.core, NS, APP, '4 Running nginx pods', running(4));
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 2 });

    await kubectl(env.kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '6']);
    list = await waitPods(env.core, NS, APP, '6 Running nginx pods', running(6));
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 2, eci: 2 });

    await kubectl(env.kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '4']);
    list = await waitPods(env.core, NS, APP, '4 nginx pods left', (l) => live(l).length === 4);
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 2 });

    await kubectl(env.kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '2']);
    list = await waitPods(env.core, NS, APP, '2 nginx pods left', (l) => live(l).length === 2);
    expect(byPool(list)).toEqual({ 'pool-a': 2 });

    const status = JSON.parse(
      await kubectl(env.kubeconfig, ['-n', NS, 'get', 'resourcepolicy', 'nginx', '-o', 'json']),
    ) as {
      status?: { units?: { pods: number }[]; conditions?: { type: string; status: string }[] };
    };
    expect(status.status?.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
    );
    await waitPods(env.core, NS, APP, 'terminated pods gone', (l) => l.length === 2);
    await cleanNamespace(env.kubeconfig, env.core, NS);
  }, 600_000);
});
