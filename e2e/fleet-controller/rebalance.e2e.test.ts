/**
 * Rebalance home on the local fleet: a Deployment fills what the IDC has free and spills to the
 * cloud; when a blocking workload in the IDC goes, rebalance moves the cloud replicas home
 * make-before-break, with the Ready total never below `replicas` at any sampled moment. With
 * rebalance off nothing moves; a WorkloadRebalancer moves such a workload once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi, Watch, type V1Pod } from '@kubernetes/client-node';
import { runFleetController, type FleetController } from '../../src/fleet/controller.js';
import { fileLogger } from '../../src/runtime/logger.js';
import {
  hub,
  kubeConfigFor,
  member,
  restartFleetProcess,
  stopFleetProcess,
} from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { clients, deployment, ensureNamespace, podsOf } from '../support/kube.js';
import {
  SYSTEM_NAMESPACE,
  installCrds,
  kubectl,
  registerMembers,
  tieredPolicy,
  readBinding,
} from '../support/spillway.js';

const fleet = useFleet('rebalance', 'demo.yaml', { provisioner: false });

// The controller runs in this process, without leader election, so a test can restart it.
let controller: FleetController | undefined;
let started = 0;
async function startController(): Promise<void> {
  started++;
  controller = await runFleetController({
    hub: kubeConfigFor(hub(fleet.state)),
    namespace: SYSTEM_NAMESPACE,
    leaderElection: false,
    logger: fileLogger(
      'fleet-controller',
      join(fleet.state.stateDir, 'logs', `fleet-controller-${started}.log`),
    ),
    recheckMs: 1000,
    probeIntervalMs: 2000,
  });
}
beforeAll(async () => {
  await installCrds(kubeConfigFor(hub(fleet.state)));
  await registerMembers(fleet.state);
  await startController();
}, 60_000);
afterAll(async () => {
  await controller?.stop();
}, 30_000);

const NS = 'shop';
const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');

interface Binding {
  spec: {
    clusters?: { name: string; replicas?: number }[];
    rebalancing?: { move?: unknown; manual?: { phase: string } };
  };
  status?: { conditions?: { type: string; reason: string; message: string }[] };
}

async function binding(app: string): Promise<Binding> {
  return readBinding<Binding>(kubeConfigFor(hub(fleet.state)), NS, `${app}-deployment`);
}

/** Replicas per cluster (by alias) in the binding's placement. */
async function placement(app: string): Promise<{ idc: number; bj: number }> {
  const b = await binding(app);
  const of = (id: string) => b.spec.clusters?.find((c) => c.name === id)?.replicas ?? 0;
  return { idc: of(idc().name), bj: of(bj().name) };
}

/**
 * Largest placed total over every version of the app's binding while it runs: a watch sees each
 * write, where a poll can miss a make-before-break step that lasts under 100 ms.
 */
async function watchHighestPlaced(
  app: string,
): Promise<{ highest: () => number; stop: () => void }> {
  let highest = 0;
  const req = await new Watch(kubeConfigFor(hub(fleet.state))).watch(
    `/apis/fleet.spillway.dev/v1alpha1/namespaces/${NS}/resourcebindings`,
    { fieldSelector: `metadata.name=${app}-deployment` },
    (_type: string, b: Binding) => {
      const total = (b.spec.clusters ?? []).reduce((sum, c) => sum + (c.replicas ?? 0), 0);
      highest = Math.max(highest, total);
    },
    () => undefined,
  );
  return { highest: () => highest, stop: () => req.abort() };
}

const isReady = (p: V1Pod): boolean =>
  !p.metadata?.deletionTimestamp &&
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Ready, not terminating pods of the app in each member. */
async function readyPods(app: string): Promise<{ idc: number; bj: number }> {
  // A member that does not answer counts as 0 Ready: a sample can only err on the low side.
  const count = async (c: ReturnType<typeof idc>) =>
    (await podsOf(clients(kubeConfigFor(c)).core, NS, app).catch(() => [])).filter(isReady).length;
  const [i, b] = await Promise.all([count(idc()), count(bj())]);
  return { idc: i, bj: b };
}

function policy(app: string, enabled: boolean): string {
  return `${tieredPolicy({
    name: app,
    namespace: NS,
    groups: [
      ['idc', [idc().name]],
      ['cloud', [bj().name]],
    ],
    selector: { kind: 'Deployment', name: app },
  })}  rebalance:
    enabled: ${enabled}
    stabilizationWindowSeconds: 3
    budget:
      maxReplicas: 1
      minIntervalSeconds: 2
`;
}

async function createApp(app: string, replicas: number): Promise<void> {
  kubectl(hub(fleet.state).kubeconfigPath, ['apply', '-f', '-'], policy(app, app !== 'fixed'));
  await clients(kubeConfigFor(hub(fleet.state))).apps.createNamespacedDeployment({
    namespace: NS,
    body: deployment(app, NS, replicas, { cpu: '4' }),
  });
}

const timeline: { t: number; event: string }[] = [];
let t0 = 0;
const mark = (event: string) => timeline.push({ t: (Date.now() - t0) / 1000, event });

describe('rebalance home', () => {
  it('spills to the cloud while a workload blocks the IDC', async () => {
    const hubKc = kubeConfigFor(hub(fleet.state));
    await ensureNamespace(clients(hubKc).core, NS);
    // The blocker is not Spillway's: 12 of each IDC node's 16 CPUs, so 3 pods of 4 CPUs fit.
    const idcApps = clients(kubeConfigFor(idc()));
    await ensureNamespace(idcApps.core, 'batch');
    await idcApps.apps.createNamespacedDeployment({
      namespace: 'batch',
      body: deployment('blocker', 'batch', 3, { cpu: '12' }),
    });
    await waitFor('3 blockers Ready in the IDC', 60_000, async () => {
      const pods = await podsOf(idcApps.core, 'batch', 'blocker');
      return pods.filter(isReady).length === 3;
    });

    // home (rebalance on): 3 fit in the IDC, 2 spill; fixed (off): all 2 spill.
    await createApp('home', 5);
    await waitFor('home Ready as idc 3 + bj 2', 90_000, async () => {
      const p = await placement('home');
      const r = await readyPods('home');
      return p.idc === 3 && p.bj === 2 && r.idc === 3 && r.bj === 2;
    });
    await createApp('fixed', 2);
    await waitFor('fixed Ready as bj 2', 90_000, async () => {
      const p = await placement('fixed');
      const r = await readyPods('fixed');
      return p.idc === 0 && p.bj === 2 && r.bj === 2;
    });
    // Nothing to move while the IDC has no room: the fresh schedule is the sticky one.
    const cond = (await binding('home')).status?.conditions?.find((c) => c.type === 'Rebalancing');
    expect(cond?.reason).toBe('Balanced');
  }, 240_000);

  it('moves the cloud replicas home once the IDC frees up, never below 5 Ready', async () => {
    const idcApps = clients(kubeConfigFor(idc()));
    const placed = await watchHighestPlaced('home');
    t0 = Date.now();
    await idcApps.apps.deleteNamespacedDeployment({ name: 'blocker', namespace: 'batch' });
    mark('blocker deleted in the IDC');

    let lowest = Infinity;
    let samples = 0;
    let last = '';
    await waitFor(
      'home all in the IDC, none in the cloud',
      180_000,
      async () => {
        const [r, p] = await Promise.all([readyPods('home'), placement('home')]);
        samples++;
        const ready = r.idc + r.bj;
        lowest = Math.min(lowest, ready);
        const now = `placement idc ${p.idc} bj ${p.bj}; Ready idc ${r.idc} bj ${r.bj}`;
        if (now !== last) mark(now);
        last = now;
        return p.idc === 5 && p.bj === 0 && r.idc === 5 && r.bj === 0;
      },
      100,
    );
    placed.stop();
    const highest = placed.highest();
    expect(lowest).toBeGreaterThanOrEqual(5);
    // Make-before-break with maxReplicas 1: never more than one replica above spec.replicas.
    expect(highest).toBe(6);
    mark(`done: ${samples} samples, lowest Ready total ${lowest}, highest placed ${highest}`);
    await waitFor('home Rebalancing=False Balanced, no move kept', 30_000, async () => {
      const b = await binding('home');
      const c = b.status?.conditions?.find((x) => x.type === 'Rebalancing');
      return b.spec.rebalancing?.move === undefined && c?.reason === 'Balanced';
    });
    writeFileSync(
      join(fleet.state.stateDir, 'rebalance-timeline.json'),
      JSON.stringify(timeline, null, 1),
    );
    console.log(timeline.map((e) => `${e.t.toFixed(1)}s ${e.event}`).join('\n'));
  }, 240_000);

  it('leaves a workload whose policy has rebalance off where it runs', async () => {
    // The IDC has had room for fixed's 2 replicas during the whole move above.
    expect(await placement('fixed')).toEqual({ idc: 0, bj: 2 });
    const b = await binding('fixed');
    expect(b.spec.rebalancing).toBeUndefined();
    expect(b.status?.conditions?.some((c) => c.type === 'Rebalancing')).toBe(false);
  });
});

describe('WorkloadRebalancer', () => {
  it('moves a workload with rebalance off home once, across a controller restart mid-move', async () => {
    const hubKc = kubeConfigFor(hub(fleet.state));
    t0 = Date.now();
    timeline.length = 0;
    // Without its controller manager the IDC creates no pod for the raised copy, so the first
    // step stays in flight until the controller has been restarted: the restart is surely
    // mid-move (kwok pods are Ready within a second, quicker than a busy machine's poll).
    await stopFleetProcess(fleet.state, 'cluster-idc-demo-controller-manager');
    mark('IDC controller manager stopped');
    await hubKc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'workloadrebalancers',
      body: {
        apiVersion: 'fleet.spillway.dev/v1alpha1',
        kind: 'WorkloadRebalancer',
        metadata: { name: 'fixed-home' },
        spec: {
          workloads: [
            { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'fixed' },
            { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'nothing-here' },
          ],
        },
      },
    });
    mark('WorkloadRebalancer fixed-home created');

    // The first step's surge is written: stop the controller there, start a new one.
    let lowest = Infinity;
    const sample = async () => {
      const r = await readyPods('fixed');
      lowest = Math.min(lowest, r.idc + r.bj);
      return r;
    };
    let seen: Binding | undefined;
    await waitFor(
      'the first move step in flight',
      60_000,
      async () => {
        await sample();
        seen = await binding('fixed');
        return seen.spec.rebalancing?.move !== undefined;
      },
      100,
    ).catch((e: unknown) => {
      // Say what the binding held, so a failure tells why the move did not start.
      throw new Error(`${String(e)}; binding: ${JSON.stringify(seen)}`);
    });
    mark(`move in flight: placement ${JSON.stringify(await placement('fixed'))}`);
    await controller?.stop();
    mark('controller stopped mid-move');
    await sample();
    await startController();
    mark('a new controller started');
    restartFleetProcess(fleet.state, 'cluster-idc-demo-controller-manager');
    mark('IDC controller manager restarted');

    let last = '';
    await waitFor(
      'fixed all in the IDC',
      120_000,
      async () => {
        const [r, p] = await Promise.all([sample(), placement('fixed')]);
        const now = `placement idc ${p.idc} bj ${p.bj}; Ready idc ${r.idc} bj ${r.bj}`;
        if (now !== last) mark(now);
        last = now;
        return p.idc === 2 && p.bj === 0 && r.idc === 2 && r.bj === 0;
      },
      100,
    );
    expect(lowest).toBeGreaterThanOrEqual(2);

    interface Status {
      status?: {
        finishTime?: string;
        observedWorkloads?: { workload: { name: string }; result?: string; reason?: string }[];
      };
    }
    let status: Status['status'];
    await waitFor('the rebalancer finished', 60_000, async () => {
      const r = (await hubKc.makeApiClient(CustomObjectsApi).getClusterCustomObject({
        group: 'fleet.spillway.dev',
        version: 'v1alpha1',
        plural: 'workloadrebalancers',
        name: 'fixed-home',
      })) as Status;
      status = r.status;
      return r.status?.finishTime !== undefined;
    });
    mark('WorkloadRebalancer finished');
    expect(
      status?.observedWorkloads?.map((o) => [o.workload.name, o.result, o.reason ?? '']),
    ).toEqual([
      ['fixed', 'Successful', ''],
      ['nothing-here', 'Failed', 'ReferencedBindingNotFound'],
    ]);
    // Once: the policy still has rebalance off, and the request was served.
    const b = await binding('fixed');
    expect(b.spec.rebalancing?.manual?.phase).toBe('Succeeded');
    writeFileSync(
      join(fleet.state.stateDir, 'rebalancer-timeline.json'),
      JSON.stringify(timeline, null, 1),
    );
    console.log(timeline.map((e) => `${e.t.toFixed(1)}s ${e.event}`).join('\n'));
  }, 240_000);
});

describe('a move that cannot finish', () => {
  it('keeps the cloud replica while the IDC one is not Ready; aborts when the IDC goes NotReady or the workload is scaled', async () => {
    const hubKc = kubeConfigFor(hub(fleet.state));
    const idcKc = clients(kubeConfigFor(idc()));
    t0 = Date.now();
    timeline.length = 0;
    // Fill what the IDC has left with 1-CPU pods, so a 4-CPU replica fits only in the cloud.
    const free = async () => {
      const nodes = (await idcKc.core.listNode()).items;
      const pods = (await idcKc.core.listPodForAllNamespaces()).items.filter(
        (p) => p.spec?.nodeName && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
      );
      const cpu = (q: string | undefined) =>
        q === undefined ? 0 : q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
      const alloc = nodes.reduce((n, x) => n + cpu(x.status?.allocatable?.cpu), 0);
      const used = pods.reduce(
        (n, p) =>
          n + (p.spec?.containers ?? []).reduce((m, c) => m + cpu(c.resources?.requests?.cpu), 0),
        0,
      );
      return Math.floor(alloc - used);
    };
    const filler = await free();
    await idcKc.apps.createNamespacedDeployment({
      namespace: 'batch',
      body: deployment('filler', 'batch', filler, { cpu: '1' }),
    });
    await waitFor('the IDC full', 60_000, async () => {
      const pods = await podsOf(idcKc.core, 'batch', 'filler');
      return pods.filter(isReady).length === filler;
    });
    await createApp('stall', 1);
    await waitFor('stall Ready in the cloud', 60_000, async () => {
      const p = await placement('stall');
      return p.bj === 1 && p.idc === 0 && (await readyPods('stall')).bj === 1;
    });

    // Without its controller manager the IDC creates no pod for a raised copy: the move stalls.
    await stopFleetProcess(fleet.state, 'cluster-idc-demo-controller-manager');
    // The filler goes whole (no controller manager recreates or garbage-collects anything now).
    await idcKc.apps.deleteNamespacedDeployment({ name: 'filler', namespace: 'batch' });
    await idcKc.apps.deleteCollectionNamespacedReplicaSet({
      namespace: 'batch',
      labelSelector: 'app=filler',
    });
    await idcKc.core.deleteCollectionNamespacedPod({
      namespace: 'batch',
      labelSelector: 'app=filler',
    });
    mark('IDC controller manager stopped; filler deleted (the IDC has room)');
    let lowest = Infinity;
    const sample = async () => {
      const r = await readyPods('stall');
      lowest = Math.min(lowest, r.bj + r.idc);
    };
    await waitFor(
      'a move of stall in flight',
      60_000,
      async () => {
        await sample();
        return (await binding('stall')).spec.rebalancing?.move !== undefined;
      },
      100,
    );
    mark(`move in flight: placement ${JSON.stringify(await placement('stall'))}`);

    await stopFleetProcess(fleet.state, 'cluster-idc-demo-apiserver');
    mark('IDC API server stopped');
    await waitFor(
      'the move aborted, the placement before it kept',
      60_000,
      async () => {
        await sample();
        const b = await binding('stall');
        const p = await placement('stall');
        return b.spec.rebalancing?.move === undefined && p.idc === 0 && p.bj === 1;
      },
      100,
    );
    mark('move aborted: placement idc 0 bj 1');
    const events = await clients(hubKc).core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: 'involvedObject.name=stall,reason=RebalanceAborted',
    });
    expect(events.items[0]?.message).toContain('is not Ready');
    expect(lowest).toBeGreaterThanOrEqual(1);

    // The IDC answers again but still creates no pods: the next move stalls the same way.
    restartFleetProcess(fleet.state, 'cluster-idc-demo-apiserver');
    mark('IDC API server restarted (controller manager still stopped)');
    await waitFor(
      'a second move of stall in flight',
      60_000,
      async () => {
        await sample();
        return (await binding('stall')).spec.rebalancing?.move !== undefined;
      },
      100,
    );
    mark(`second move in flight: placement ${JSON.stringify(await placement('stall'))}`);

    // A scale-out during the move: the move is dropped and the scale lands on the placement
    // before it, so exactly 2 replicas are placed (none lost, none doubled).
    kubectl(hub(fleet.state).kubeconfigPath, [
      'scale',
      'deploy',
      'stall',
      `-n${NS}`,
      '--replicas=2',
    ]);
    mark('stall scaled 1 -> 2 on the hub');
    let placedAfterScale = { idc: 0, bj: 0 };
    await waitFor(
      'the move aborted by the scale',
      60_000,
      async () => {
        await sample();
        const b = await binding('stall');
        placedAfterScale = await placement('stall');
        return (
          b.spec.rebalancing?.move === undefined &&
          b.spec.clusters !== undefined &&
          placedAfterScale.idc + placedAfterScale.bj === 2
        );
      },
      100,
    );
    mark(`move aborted by the scale: placement ${JSON.stringify(placedAfterScale)}`);
    const scaled = await clients(hubKc).core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: 'involvedObject.name=stall,reason=RebalanceAborted',
    });
    expect(scaled.items.map((e) => e.message).join('\n')).toContain('the placement changed');

    const placed = await watchHighestPlaced('stall');
    restartFleetProcess(fleet.state, 'cluster-idc-demo-controller-manager');
    mark('IDC controller manager restarted');
    await waitFor(
      'stall home in the IDC after all',
      120_000,
      async () => {
        await sample();
        const p = await placement('stall');
        const r = await readyPods('stall');
        return p.idc === 2 && p.bj === 0 && r.idc === 2 && r.bj === 0;
      },
      100,
    );
    placed.stop();
    const highest = placed.highest();
    mark(`stall home: placement idc 2 bj 0 (at most ${highest} placed)`);
    expect(highest).toBeLessThanOrEqual(3);
    expect(lowest).toBeGreaterThanOrEqual(1);
    console.log(timeline.map((e) => `${e.t.toFixed(1)}s ${e.event}`).join('\n'));
  }, 300_000);
});
