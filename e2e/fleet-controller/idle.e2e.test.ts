/**
 * No work when nothing changed: once a few workloads are placed (one spilled over two members,
 * one waiting for capacity, so its binding is re-checked every second, and a Service), the
 * controller sends no write request to any API server while nothing changes. Remembering what
 * it applied must not cost correctness: a copy deleted or edited in a member is put back. A
 * scale of one workload re-reads no other binding (the member's capacity in its status changes,
 * which is not a change of the member), and API calls share kept-alive connections.
 */
import https from 'node:https';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { clients, deployment } from '../support/kube.js';
import { kubectl, readBinding, tieredPolicy } from '../support/spillway.js';
import { countWrites, type WriteRequest } from '../support/write-counter.js';
import { shareConnections } from '../../src/runtime/connections.js';

const fleet = useFleet('idle', 'demo.yaml', { provisioner: false });
const NS = 'quiet';
const IDLE_MS = 30_000;

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubKc = () => hub(fleet.state).kubeconfigPath;
const hubApps = () => clients(kubeConfigFor(hub(fleet.state))).apps;
const memberApps = (c: ReturnType<typeof idc>) => clients(kubeConfigFor(c)).apps;
const memberDeploy = (c: ReturnType<typeof idc>, name: string) =>
  memberApps(c)
    .readNamespacedDeployment({ name, namespace: NS })
    .catch(() => undefined);
const waitingOf = async (name: string) =>
  (
    await readBinding<{ status?: { waitingForCapacity?: number } }>(
      kubeConfigFor(hub(fleet.state)),
      NS,
      `${name}-deployment`,
    ).catch(() => undefined)
  )?.status?.waitingForCapacity ?? 0;

/** Lease renewals are leader election's heartbeat, not reconcile work. */
const reconcileWrites = (ws: WriteRequest[]) => ws.filter((w) => !w.target.includes('/leases/'));

/** Writes over `ms`, counted client-side. */
async function writesDuring(ms: number): Promise<WriteRequest[]> {
  const counter = countWrites();
  await new Promise((r) => setTimeout(r, ms));
  return reconcileWrites(counter.stop());
}

/** GETs this process (the in-process controller) sends for a workload's binding during `f`. */
async function bindingReads(workload: string, f: () => Promise<unknown>): Promise<string[]> {
  const reads: string[] = [];
  const original = https.request;
  (https as { request: typeof https.request }).request = ((...args: unknown[]) => {
    const o = args[0] as { method?: string; path?: string };
    if (
      (o.method ?? 'GET') === 'GET' &&
      o.path?.includes(`/resourcebindings/${workload}-deployment`)
    )
      reads.push(o.path);
    return (original as (...a: unknown[]) => ReturnType<typeof https.request>)(...args);
  }) as typeof https.request;
  try {
    await f();
  } finally {
    (https as { request: typeof https.request }).request = original;
  }
  return reads;
}

const controller = useFleetController(fleet, { healthPort: 0 });

/** Reconciles the controller has run (its own counter on /metrics). */
async function reconciles(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${controller.healthPort ?? 0}/metrics`);
  const series = (await res.text()).match(/^spillway_reconcile_total\{[^}]*\} [0-9.e+]+$/gm);
  return (series ?? []).reduce((n, line) => n + Number(line.split(' ').pop()), 0);
}
beforeAll(() => {
  kubectl(hubKc(), ['create', 'ns', NS]);
});

describe('no work when nothing changed', () => {
  it('sends no write to any API server while nothing changes', async () => {
    const groups: [string, string[]][] = [
      ['idc', [idc().name]],
      ['cloud', [bj().name]],
    ];
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      tieredPolicy({ name: 'apps', namespace: NS, groups, selector: { kind: 'Deployment' } }),
    );
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      tieredPolicy({ name: 'svc', namespace: NS, groups, selector: { kind: 'Service' } }),
    );
    // idc's three 16-CPU nodes hold 6 replicas of 6 CPUs, bj's two 8-CPU nodes 2 more.
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: deployment('api', NS, 7, { cpu: '6' }),
    });
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: deployment('web', NS, 2, { cpu: '100m' }),
    });
    // No node anywhere has 20 CPUs: its replica waits, and its binding is re-checked.
    await hubApps().createNamespacedDeployment({
      namespace: NS,
      body: deployment('big', NS, 1, { cpu: '20' }),
    });
    await kubeConfigFor(hub(fleet.state))
      .makeApiClient(CoreV1Api)
      .createNamespacedService({
        namespace: NS,
        body: {
          metadata: { name: 'web' },
          spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
        },
      });

    await waitFor('api 6 + 1 and web 2, all ready; big waiting', 120_000, async () => {
      const [a1, a2, w] = await Promise.all([
        memberDeploy(idc(), 'api'),
        memberDeploy(bj(), 'api'),
        memberDeploy(idc(), 'web'),
      ]);
      const hubApi = await hubApps().readNamespacedDeployment({ name: 'api', namespace: NS });
      return (
        a1?.status?.readyReplicas === 6 &&
        a2?.status?.readyReplicas === 1 &&
        w?.status?.readyReplicas === 2 &&
        hubApi.status?.readyReplicas === 7 &&
        (await waitingOf('big')) === 1
      );
    });
    // Converged: the last status writes of the convergence are done once a few seconds pass
    // without any write (bounded: if that never happens, the window below shows the writes).
    const quietBy = Date.now() + 30_000;
    while (Date.now() < quietBy && (await writesDuring(3000)).length > 0);

    const writes = await writesDuring(IDLE_MS);
    console.log(`writes in ${IDLE_MS / 1000} idle seconds: ${writes.length}`);
    expect(writes.map((w) => `${w.method} ${w.target}`)).toEqual([]);

    // big is reconciled every second while it waits; its binding, unchanged since this
    // controller last wrote it, comes from the watch cache, not from the API server.
    const before = await reconciles();
    const reads = await bindingReads('big', () => new Promise((r) => setTimeout(r, 5000)));
    expect(await reconciles()).toBeGreaterThan(before);
    expect(reads).toEqual([]);
  }, 300_000);

  it('puts back a member copy deleted or edited by hand', async () => {
    await memberApps(idc()).deleteNamespacedDeployment({ name: 'web', namespace: NS });
    await waitFor(
      'web re-created in idc',
      30_000,
      async () => (await memberDeploy(idc(), 'web'))?.spec?.replicas === 2,
    );
    kubectl(idc().kubeconfigPath, ['scale', 'deploy', 'api', `-n${NS}`, '--replicas=3']);
    await waitFor(
      'api back at 6 in idc',
      30_000,
      async () => (await memberDeploy(idc(), 'api'))?.spec?.replicas === 6,
    );
  }, 120_000);
  it('re-reads no other binding when one workload scales and member capacity changes', async () => {
    const pause = (ms: number) => () => new Promise((r) => setTimeout(r, ms));
    // api settles first (the test before scaled its copy by hand).
    const quietBy = Date.now() + 60_000;
    while (Date.now() < quietBy && (await bindingReads('api', pause(4000))).length > 0);

    const reads = await bindingReads('api', async () => {
      kubectl(hubKc(), ['scale', 'deploy', 'web', `-n${NS}`, '--replicas=4']);
      await waitFor(
        'web at 4 in idc',
        30_000,
        async () => (await memberDeploy(idc(), 'web'))?.status?.readyReplicas === 4,
      );
      // Two member probes (2 s apart in this fixture) write idc's new allocated CPU.
      await pause(6000)();
    });
    expect(reads).toEqual([]);
  }, 180_000);

  it('sends API calls through one KubeConfig over kept-alive connections', async () => {
    const opened = (shared: boolean) => async () => {
      const kc = kubeConfigFor(hub(fleet.state));
      if (shared) shareConnections(kc);
      const core = kc.makeApiClient(CoreV1Api);
      let sockets = 0;
      const connect = tls.connect;
      (tls as { connect: typeof tls.connect }).connect = ((...args: unknown[]) => {
        sockets++;
        return (connect as (...a: unknown[]) => tls.TLSSocket)(...args);
      }) as typeof tls.connect;
      try {
        for (let i = 0; i < 10; i++) await core.readNamespace({ name: NS });
      } finally {
        (tls as { connect: typeof tls.connect }).connect = connect;
      }
      return sockets;
    };
    // The library alone opens a connection per call (the controller's own calls may add a few).
    expect(await opened(false)()).toBeGreaterThanOrEqual(10);
    expect(await opened(true)()).toBeLessThan(5);
  }, 60_000);
});
