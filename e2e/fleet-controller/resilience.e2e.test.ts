/**
 * What must survive: a controller killed in the middle of a scale (no replica lost or duplicated
 * once a new one converges), a controller stopped in the middle of a policy move (the old copy
 * goes before the new one is made, so it never leaves a workload running twice), and a member outage (its replicas move to the next group after the
 * toleration; when it returns, its stale copy is scaled in).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WRITE_LOG } from '../chaos/processes.js';
import {
  hub,
  kubeConfigFor,
  member,
  restartFleetProcess,
  stopFleetProcess,
} from '../fleet/index.js';
import {
  isRunning as processRunning,
  stopProcess,
  type ProcessRecord,
} from '../fleet/processes.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { clients, deployment, isRunning, podsOf } from '../support/kube.js';
import {
  installCrds,
  kubectl,
  registerMembers,
  startControllerProcess,
  tieredPolicy,
  readBinding,
} from '../support/spillway.js';

const fleet = useFleet('resilience', 'demo.yaml', { provisioner: false });
const NS = 'shop';
let controller: ProcessRecord | undefined;

/** The controller, logging each write request it sends (e2e/chaos/write-log.ts) to <name>.writes. */
function startController(name = 'fleet-controller'): ProcessRecord {
  return startControllerProcess(fleet.state, {
    name,
    preload: [WRITE_LOG],
    env: { SPILLWAY_WRITE_LOG: writesOf(name) },
  });
}
const writesOf = (name: string) => join(fleet.state.stateDir, 'logs', `${name}.writes`);

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');

/** Replicas each member's copy asks for, and its Running pods. */
async function memberState(app: string): Promise<{ idc: [number, number]; bj: [number, number] }> {
  const one = async (c: ReturnType<typeof idc>): Promise<[number, number]> => {
    const { core, apps } = clients(kubeConfigFor(c));
    const d = await apps
      .readNamespacedDeployment({ name: app, namespace: NS })
      .catch(() => undefined);
    const running = (await podsOf(core, NS, app)).filter(isRunning).length;
    return [d?.spec?.replicas ?? 0, running];
  };
  return { idc: await one(idc()), bj: await one(bj()) };
}

async function bindingClusters(app: string): Promise<Record<string, number>> {
  const rb = await readBinding<{ spec: { clusters?: { name: string; replicas?: number }[] } }>(
    kubeConfigFor(hub(fleet.state)),
    NS,
    `${app}-deployment`,
  );
  return Object.fromEntries((rb.spec.clusters ?? []).map((c) => [c.name, c.replicas ?? 0]));
}

beforeAll(async () => {
  const kc = kubeConfigFor(hub(fleet.state));
  await installCrds(kc);
  await registerMembers(fleet.state);
  kubectl(hub(fleet.state).kubeconfigPath, ['create', 'ns', NS]);
  controller = startController();
}, 60_000);

afterAll(async () => {
  if (controller) await stopProcess(controller);
}, 30_000);

describe('fleet controller resilience', () => {
  it('converges without losing or duplicating replicas when killed during a scale', async () => {
    const hubKc = hub(fleet.state).kubeconfigPath;
    kubectl(
      hubKc,
      ['apply', '-f', '-'],
      tieredPolicy({
        name: 'api',
        namespace: NS,
        groups: [
          ['idc', [idc().name]],
          ['cloud', [bj().name]],
        ],
        selector: { kind: 'Deployment', name: 'api' },
      }),
    );
    // 6 CPUs each: idc's three 16-CPU nodes hold 6, bj's two 8-CPU nodes hold 2.
    await clients(kubeConfigFor(hub(fleet.state))).apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('api', NS, 4, { cpu: '6' }),
    });
    await waitFor(
      '4 api replicas Running in idc',
      90_000,
      async () => (await memberState('api')).idc[1] === 4,
    );

    kubectl(hubKc, ['scale', 'deploy', 'api', `-n${NS}`, '--replicas=8']);
    await new Promise((r) => setTimeout(r, 150));
    process.kill((controller as ProcessRecord).pid, 'SIGKILL');
    await waitFor(
      'the old controller gone',
      10_000,
      async () => !processRunning(controller as ProcessRecord),
    );
    controller = startController('fleet-controller-2');

    // The new controller waits for the dead one's lease to expire, then finishes the job.
    await waitFor('api at 6 + 2', 120_000, async () => {
      const s = await memberState('api');
      return s.idc[0] === 6 && s.bj[0] === 2 && s.idc[1] === 6 && s.bj[1] === 2;
    });
    expect(await bindingClusters('api')).toEqual({ [idc().name]: 6, [bj().name]: 2 });
    // Settled: nothing more is created.
    await new Promise((r) => setTimeout(r, 3000));
    const s = await memberState('api');
    expect(s.idc[1] + s.bj[1]).toBe(8);
  }, 240_000);

  it('deletes the old copy before making the new one when a policy edit moves a workload', async () => {
    const hubKc = hub(fleet.state).kubeconfigPath;
    const policy = (cluster: string) =>
      kubectl(
        hubKc,
        ['apply', '-f', '-'],
        tieredPolicy({
          name: 'mv',
          namespace: NS,
          groups: [['only', [cluster]]],
          selector: { kind: 'Deployment', name: 'mv' },
        }),
      );
    policy(idc().name);
    await clients(kubeConfigFor(hub(fleet.state))).apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('mv', NS, 2, { cpu: '100m' }),
    });
    await waitFor('2 mv replicas Running in idc', 90_000, async () => {
      const s = await memberState('mv');
      return s.idc[1] === 2 && s.bj[0] === 0;
    });
    const log = writesOf((controller as ProcessRecord).name);
    const since = Date.now();
    policy(bj().name);
    await waitFor('mv moved to bj', 90_000, async () => {
      const s = await memberState('mv');
      return s.bj[1] === 2 && s.idc[0] === 0;
    });
    // Member copies are applied with a PATCH and removed with a DELETE of the same path; the
    // hub template's status has its own path (/status).
    const copyPath = `/apis/apps/v1/namespaces/${NS}/deployments/mv`;
    const writes = (existsSync(log) ? readFileSync(log, 'utf8') : '')
      .split('\n')
      .filter((l) => l && Number(l.split(' ')[0]) >= since)
      .map((l) => l.split(' ').slice(1).join(' '))
      .filter((l) => l.split('?')[0]?.endsWith(copyPath))
      .map((l) => l.split(' ')[0]);
    // A controller stopped between the two finds the workload short, never running twice.
    expect(writes.slice(0, 2)).toEqual(['DELETE', 'PATCH']);
  }, 240_000);

  it("moves an unreachable member's replicas after the toleration and scales in its stale copy on return", async () => {
    const hubKc = hub(fleet.state).kubeconfigPath;
    kubectl(
      hubKc,
      ['apply', '-f', '-'],
      tieredPolicy({
        name: 'web',
        namespace: NS,
        groups: [
          ['idc', [idc().name]],
          ['cloud', [bj().name]],
        ],
        selector: { kind: 'Deployment', name: 'web' },
        tolerationSeconds: 5,
      }),
    );
    await clients(kubeConfigFor(hub(fleet.state))).apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('web', NS, 2, { cpu: '100m' }),
    });
    await waitFor(
      '2 web replicas Running in idc',
      90_000,
      async () => (await memberState('web')).idc[1] === 2,
    );

    await stopFleetProcess(fleet.state, 'cluster-idc-demo-apiserver');
    await waitFor('web rescheduled to bj', 90_000, async () => {
      const c = await bindingClusters('web');
      return c[bj().name] === 2 && c[idc().name] === undefined;
    });
    await waitFor('2 web replicas Running in bj', 60_000, async () => {
      const { core } = clients(kubeConfigFor(bj()));
      return (await podsOf(core, NS, 'web')).filter(isRunning).length === 2;
    });

    restartFleetProcess(fleet.state, 'cluster-idc-demo-apiserver');
    await waitFor('stale web copy removed from idc', 120_000, async () => {
      const s = await memberState('web');
      return s.idc[0] === 0 && s.idc[1] === 0 && s.bj[1] === 2;
    });
    // Placement is sticky: the replicas stay where they run now.
    expect(await bindingClusters('web')).toEqual({ [bj().name]: 2 });
  }, 300_000);
});
