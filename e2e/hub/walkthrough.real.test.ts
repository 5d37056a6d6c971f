/**
 * The install as a user does it (docs/quickstart.md, "Real clusters with Helm"), command for
 * command, on the local fleet with a real node in the IDC member, which hosts the hub:
 * `helm install spillway-hub` (dedicated control plane in pods), the hub kubeconfig from its
 * Secret through `kubectl port-forward`, `spillway register-member` for both members,
 * `helm install spillway-member` in the IDC, then the seed walkthrough with kubectl against the
 * Helm-installed hub and a ResourcePolicy gating pods, while Prometheus (the Debian package)
 * scrapes both charts' controllers (the pods behind their Services, as the charts'
 * ServiceMonitors select them); every dashboard query returns data.
 * Then `helm upgrade` of both charts to a rebuilt image (a new image ID) while workloads are
 * bound, and `helm uninstall` of both. Prints the figures: created to Ready and RSS of every
 * pod. Root only; run by `make e2e-real` (part of `make test`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import {
  DEFAULT_STATE_ROOT,
  REPO_ROOT,
  TOPOLOGIES,
  fleetDown,
  fleetUp,
  kubeConfigFor,
  member,
  type ClusterInfo,
  type FleetState,
} from '../fleet/index.js';
import {
  REAL_NODE_LABEL,
  importControlPlaneImages,
  importImage,
  type ControlPlaneImages,
} from '../fleet/realnode.js';
import { freePorts } from '../fleet/ports.js';
import { startProcess, type ProcessRecord } from '../fleet/processes.js';
import { waitFor } from '../fleet/readiness.js';
import { CHARTS, applyWebScenario, helm } from '../charts/support.js';
import { Prometheus, chartDashboardQueries } from '../charts/prometheus.js';
import { IMAGE, imageArchive, rebuildImage } from '../image/buildah.js';
import { clients, isRunning, isUnschedulable, podsOf } from '../support/kube.js';
import { SEED_DEMO, seedPolicy } from '../support/spillway.js';
import { keepLastLogs } from '../support/fleet.js';
import { followPodLogs, type PodLogFollower } from '../support/pod-logs.js';
import { podFigures, podRestarts, type PodFigures } from '../support/pod-figures.js';

const stateDir = join(DEFAULT_STATE_ROOT, 'real-walkthrough');
const NS = 'spillway-system';
const REPOSITORY = IMAGE.slice(0, IMAGE.lastIndexOf(':'));
const TAG = IMAGE.slice(IMAGE.lastIndexOf(':') + 1);
const ON_REAL_NODE = JSON.stringify({ [REAL_NODE_LABEL]: 'real' });
let state: FleetState;
let images: ControlPlaneImages;
let idc: ClusterInfo;
let bj: ClusterInfo;
let idcCore: CoreV1Api;
let hubKubeconfig: string;
let portForward: ProcessRecord | undefined;
let prometheus: Prometheus | undefined;
let podLogs: PodLogFollower | undefined;
const figures: PodFigures[] = [];
const started = Date.now();

beforeAll(async () => {
  await fleetDown(stateDir);
  state = await fleetUp({
    topologyPath: join(TOPOLOGIES, 'demo.yaml'),
    stateDir,
    realNode: 'cluster-idc-demo',
    scaleUpDelaySeconds: 3,
  });
  const node = state.realNode;
  if (!node) throw new Error('no real node');
  importImage(node, imageArchive(), IMAGE);
  images = importControlPlaneImages(node);
  idc = member(state, 'cluster-idc-demo');
  bj = member(state, 'cluster-bj-demo');
  idcCore = kubeConfigFor(idc).makeApiClient(CoreV1Api);
  // Every Spillway pod's log, kept past the pod (upgrades replace them) and the fleet.
  podLogs = followPodLogs(kubeConfigFor(idc), NS, join(stateDir, 'logs', 'pods'));
  // etcd's volume: a hostPath PersistentVolume (the fleet has no storage provisioner).
  const dir = join(stateDir, 'node', 'pv-etcd');
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 65532, 65532);
  chmodSync(dir, 0o700);
  await idcCore.createPersistentVolume({
    body: {
      metadata: { name: 'hub-etcd' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: '',
        hostPath: { path: dir, type: 'Directory' },
      },
    },
  });
}, 300_000);

afterAll(async () => {
  await prometheus?.stop();
  stopPortForward();
  for (const f of figures)
    console.log(
      `figure ${f.pod}: created to Ready ${f.readySeconds.toFixed(1)}s, RSS ${(f.rssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  console.log(`figure real walkthrough: ${((Date.now() - started) / 1000).toFixed(0)}s`);
  await podLogs?.stop();
  keepLastLogs(stateDir, 'real-walkthrough');
  if (!process.env.SPILLWAY_KEEP_FLEET) await fleetDown(stateDir);
}, 180_000);

let hubPort = 0;

/**
 * docs/quickstart.md's port-forward, restarted in a loop: kubectl port-forward exits on the
 * first forwarded connection that fails (kubectl 1.23 and later), and with containerd 1.6 a
 * TLS client closing its connection is such a failure.
 */
function startPortForward(): void {
  const cmd = `while :; do kubectl --kubeconfig ${idc.kubeconfigPath} -n ${NS} port-forward svc/spillway-hub-apiserver ${hubPort}:6443; sleep 1; done`;
  portForward = startProcess(
    'port-forward',
    'bash',
    ['-c', cmd],
    join(stateDir, 'logs', 'port-forward.log'),
    'bash',
  );
}

/** The loop and its kubectl: the whole process group the detached bash leads. */
function stopPortForward(): void {
  if (!portForward) return;
  try {
    process.kill(-portForward.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  portForward = undefined;
}

/**
 * A command against the hub through the port-forward, retried while the loop restarts
 * kubectl port-forward. Every command used here is idempotent or fails before it changes
 * anything.
 */
async function throughPortForward<T>(run: () => T): Promise<T> {
  let out: T | undefined;
  let last = '';
  await waitFor('the hub through the port-forward', 60_000, () => {
    try {
      out = run();
      return Promise.resolve(true);
    } catch (err) {
      last = (err as Error).message;
      return Promise.resolve(false);
    }
  }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last error: ${last}`, { cause: err });
  });
  return out as T;
}

function hubKubectl(args: string[], input?: string): Promise<string> {
  return throughPortForward(() => kubectl(hubKubeconfig, args, input));
}

function kubectl(kubeconfig: string, args: string[], input?: string): string {
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input !== undefined ? { input } : {}),
  });
}

async function spillwayPods(): Promise<V1Pod[]> {
  return (await idcCore.listNamespacedPod({ namespace: NS })).items.filter(
    (p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running',
  );
}

/** `ip:port` of every ready endpoint behind the Service's named port. */
async function serviceEndpoints(service: string, port: string): Promise<string[]> {
  const slices = await kubeConfigFor(idc)
    .makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({
      namespace: NS,
      labelSelector: `kubernetes.io/service-name=${service}`,
    });
  return slices.items.flatMap((s) => {
    const p = s.ports?.find((x) => x.name === port)?.port;
    return s.endpoints
      .filter((e) => e.conditions?.ready)
      .flatMap((e) => e.addresses.map((a) => `${a}:${p ?? 0}`));
  });
}

async function leaseHolder(kc: CoordinationV1Api, name: string): Promise<string> {
  const lease = await kc.readNamespacedLease({ name, namespace: NS });
  return lease.spec?.holderIdentity ?? '';
}

describe('the Helm install, end to end, as docs/quickstart.md has it', () => {
  it('helm install spillway-hub: every pod Ready without a restart', async () => {
    await helm([
      'install',
      'spillway-hub',
      join(CHARTS, 'spillway-hub'),
      '--kubeconfig',
      idc.kubeconfigPath,
      '-n',
      NS,
      '--create-namespace',
      '--set',
      `image.repository=${REPOSITORY}`,
      '--set',
      `image.tag=${TAG}`,
      // The local fleet's settings (docs/quickstart.md): images imported, not pulled; the
      // control plane from the fleet's own binaries; one replica each; the real node.
      '--set',
      'image.pullPolicy=Never',
      '--set',
      `controlPlane.etcd.image=${images.etcd}`,
      '--set',
      `controlPlane.apiserver.image=${images.apiserver}`,
      '--set',
      `controlPlane.controllerManager.image=${images.controllerManager}`,
      '--set',
      `controlPlane.bootstrap.image=${images.kubectl}`,
      '--set',
      'controlPlane.etcd.persistence.size=1Gi',
      '--set',
      'controlPlane.apiserver.replicas=1',
      '--set',
      'controlPlane.controllerManager.replicas=1',
      '--set-json',
      `nodeSelector=${ON_REAL_NODE}`,
      '--wait',
      '--timeout',
      '300s',
    ]);
    const pods = await spillwayPods();
    const names = pods.map((p) => p.metadata?.name ?? '');
    for (const part of ['etcd', 'apiserver', 'controller-manager', 'fleet-controller'])
      expect(names.some((n) => n.includes(part))).toBe(true);
    for (const p of pods) {
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      figures.push(podFigures(p));
    }
    // kube-controller-manager used to exit once or twice, started before its API server
    // answered: its init container now waits for /readyz.
    expect(pods.map((p) => [p.metadata?.name, podRestarts(p)])).toEqual(
      pods.map((p) => [p.metadata?.name, 0]),
    );
  }, 420_000);

  it('the hub kubeconfig from its Secret, through kubectl port-forward', async () => {
    const raw = kubectl(idc.kubeconfigPath, [
      '-n',
      NS,
      'get',
      'secret',
      'spillway-hub-admin-kubeconfig',
      '-o',
      'jsonpath={.data.kubeconfig}',
    ]);
    const [port = 0] = await freePorts(1);
    hubPort = port;
    startPortForward();
    hubKubeconfig = join(stateDir, 'hub.kubeconfig');
    writeFileSync(
      hubKubeconfig,
      Buffer.from(raw, 'base64')
        .toString('utf8')
        .replace(/server: .*/, `server: https://127.0.0.1:${port}`),
    );
    expect(await hubKubectl(['get', 'crd'])).toContain('propagationpolicies.policy.one');
  }, 120_000);

  it('spillway register-member for both members: READY True', async () => {
    const cli = ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'spillway.ts')];
    for (const [m, label, extra] of [
      [idc, 'location=idc', []],
      [bj, 'location=cloud', ['--provisioning']],
    ] as const) {
      await throughPortForward(() =>
        execFileSync(
          process.execPath,
          [
            ...cli,
            'register-member',
            '--hub-kubeconfig',
            hubKubeconfig,
            '--member-kubeconfig',
            m.kubeconfigPath,
            '--name',
            m.name,
            '--alias',
            m.alias,
            '--label',
            label,
            ...extra,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
    }
    await waitFor('both members Ready', 90_000, async () => {
      const out = await hubKubectl([
        'get',
        'memberclusters',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}',
      ]);
      return out.trim() === 'True True';
    });
  }, 180_000);

  it('helm install spillway-member in the IDC member; Prometheus scrapes both charts through their Services', async () => {
    await helm([
      'install',
      'spillway-member',
      join(CHARTS, 'spillway-member'),
      '--kubeconfig',
      idc.kubeconfigPath,
      '-n',
      NS,
      '--set',
      `image.repository=${REPOSITORY}`,
      '--set',
      `image.tag=${TAG}`,
      '--set',
      'image.pullPolicy=Never',
      '--set-json',
      `nodeSelector=${ON_REAL_NODE}`,
      '--wait',
      '--timeout',
      '180s',
    ]);
    const pods = (await spillwayPods()).filter((p) =>
      p.metadata?.name?.startsWith('spillway-member'),
    );
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(podRestarts(p)).toBe(0);
      figures.push(podFigures(p));
    }
    // What the charts' ServiceMonitors select: every ready pod behind the Service's metrics
    // port (not the ClusterIP, whose one kept-alive connection reaches one replica, maybe the
    // idle one), with the release names as job names. The Debian package has no Kubernetes
    // service discovery: the test resolves the EndpointSlices itself.
    prometheus = await Prometheus.start(
      {
        'spillway-hub': await serviceEndpoints('spillway-hub-fleet-controller', 'metrics'),
        'spillway-member': await serviceEndpoints('spillway-member', 'metrics'),
      },
      [],
    );
    for (const expr of [
      'count(up{job="spillway-hub"} == 1) == 2',
      'count(up{job="spillway-member"} == 1) == 2',
      'process_resident_memory_bytes{job="spillway-hub"}',
      'process_resident_memory_bytes{job="spillway-member"}',
    ])
      await waitFor(expr, 60_000, async () => {
        const r = await (prometheus as Prometheus).query(expr);
        return r.status === 'success' && (r.data?.result.length ?? 0) > 0;
      });
  }, 300_000);

  it('the seed walkthrough against the Helm-installed hub', async () => {
    const pods = async (c: ClusterInfo) =>
      (await podsOf(clients(kubeConfigFor(c)).core, 'test', 'qwen3')).filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
    await hubKubectl(['create', 'ns', 'test']);
    await hubKubectl(['apply', '-f', SEED_DEMO]);
    await hubKubectl(['apply', '-f', '-'], seedPolicy(idc.name, bj.name));
    await waitFor('2 Running in the IDC', 120_000, async () => {
      const p = await pods(idc);
      return p.length === 2 && p.every(isRunning);
    });
    await hubKubectl(['scale', 'deploy', 'qwen3', '-n', 'test', '--replicas=4']);
    await waitFor('2 Pending in the cloud cluster', 60_000, async () => {
      const p = await pods(bj);
      return p.length === 2 && p.every((x) => isUnschedulable(x) || isRunning(x));
    });
    await waitFor('2 Running in the cloud cluster', 180_000, async () => {
      const p = await pods(bj);
      return p.length === 2 && p.every(isRunning);
    });
    expect((await pods(idc)).length).toBe(2);
    await hubKubectl(['scale', 'deploy', 'qwen3', '-n', 'test', '--replicas=2']);
    await waitFor('the cloud replicas gone', 90_000, async () => (await pods(bj)).length === 0);
    expect((await pods(idc)).filter(isRunning)).toHaveLength(2);
  }, 420_000);

  it('a ResourcePolicy gates pods through the Helm-installed webhook and controller', async () => {
    await applyWebScenario(idc.kubeconfigPath);
    await waitFor('3 web pods bound', 90_000, async () => {
      const list = await idcCore.listNamespacedPod({ namespace: 'rp-test' });
      return (
        list.items.length === 3 &&
        list.items.every(
          (p) => p.spec?.nodeName && p.metadata?.annotations?.['scheduling.spillway.dev/unit'],
        )
      );
    });
  }, 120_000);

  it.each(chartDashboardQueries().map((q) => [q.panel, q.expr] as const))(
    'dashboard panel "%s" returns data: %s',
    async (_panel, expr) => {
      if (!prometheus) throw new Error('Prometheus is not running (see the install step)');
      let last = '';
      await waitFor('data', 60_000, async () => {
        const r = await (prometheus as Prometheus).query(expr);
        last = JSON.stringify(r).slice(0, 300);
        return r.status === 'success' && (r.data?.result.length ?? 0) > 0;
      }).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; last answer ${last}`, { cause: err });
      });
    },
    90_000,
  );

  it('helm upgrade of both charts to a rebuilt image: no replica change, new pods take the leases', async () => {
    const node = state.realNode;
    if (!node) throw new Error('no real node');
    const rebuilt = rebuildImage(`${TAG}-rebuilt`, `${process.pid}-${Date.now()}`);
    importImage(node, rebuilt.archive, rebuilt.image);
    const rebuiltTag = rebuilt.image.slice(rebuilt.image.lastIndexOf(':') + 1);
    const imageIds = (pods: V1Pod[]) =>
      new Set(pods.map((p) => p.status?.containerStatuses?.[0]?.imageID ?? '?'));
    const uids = async (c: ClusterInfo, ns: string, selector: string) =>
      (
        await clients(kubeConfigFor(c)).core.listNamespacedPod({
          namespace: ns,
          labelSelector: selector,
        })
      ).items
        .map((p) => p.metadata?.uid)
        .sort();
    const qwen3 = await uids(idc, 'test', 'app=qwen3');
    const web = await uids(idc, 'rp-test', 'app=web');
    expect(qwen3).toHaveLength(2);
    expect(web).toHaveLength(3);
    const memberLeases = kubeConfigFor(idc).makeApiClient(CoordinationV1Api);
    const hubLease = () =>
      hubKubectl([
        'get',
        'lease',
        '-n',
        NS,
        'spillway-fleet-controller',
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]);
    const before = await spillwayPods();
    const oldImageIds = imageIds(
      before.filter((p) => /^spillway-(hub-fleet-controller|member)-/.test(p.metadata?.name ?? '')),
    );
    const oldHubHolder = await hubLease();
    const oldMemberHolder = await leaseHolder(memberLeases, 'spillway-resource-policy-controller');
    for (const release of ['spillway-hub', 'spillway-member'])
      await helm([
        'upgrade',
        release,
        join(CHARTS, release),
        '--kubeconfig',
        idc.kubeconfigPath,
        '-n',
        NS,
        '--reuse-values',
        '--set',
        `image.tag=${rebuiltTag}`,
        '--wait',
        '--timeout',
        '300s',
      ]);
    const after = await spillwayPods();
    const upgraded = (prefix: string) =>
      after.filter(
        (p) =>
          p.metadata?.name?.startsWith(prefix) && p.spec?.containers[0]?.image === rebuilt.image,
      );
    const fleetControllers = upgraded('spillway-hub-fleet-controller');
    const rpControllers = upgraded('spillway-member-');
    expect(fleetControllers).toHaveLength(2);
    expect(rpControllers).toHaveLength(2);
    // A different image, not the same one under a new tag.
    for (const id of imageIds([...fleetControllers, ...rpControllers]))
      expect(oldImageIds.has(id)).toBe(false);
    for (const p of [...fleetControllers, ...rpControllers]) figures.push(podFigures(p));
    const heldByOneOf = (holder: string, pods: V1Pod[]) =>
      pods.some((p) => holder.startsWith(`${p.metadata?.name ?? '?'}_`));
    await waitFor('a new fleet controller holds the lease', 90_000, async () => {
      const holder = await hubLease();
      return holder !== oldHubHolder && heldByOneOf(holder, fleetControllers);
    });
    await waitFor('a new ResourcePolicy controller holds the lease', 90_000, async () => {
      const holder = await leaseHolder(memberLeases, 'spillway-resource-policy-controller');
      return holder !== oldMemberHolder && heldByOneOf(holder, rpControllers);
    });
    // The workloads were not touched: the same pods, no replica in the cloud cluster.
    expect(await uids(idc, 'test', 'app=qwen3')).toEqual(qwen3);
    expect(await uids(idc, 'rp-test', 'app=web')).toEqual(web);
    expect((await podsOf(clients(kubeConfigFor(bj)).core, 'test', 'qwen3')).length).toBe(0);
    // No Spillway or control-plane pod restarted over the whole walkthrough.
    const all = await spillwayPods();
    expect(all.map((p) => [p.metadata?.name, podRestarts(p)])).toEqual(
      all.map((p) => [p.metadata?.name, 0]),
    );
  }, 600_000);

  it('helm uninstall of both leaves what the docs say', async () => {
    await prometheus?.stop();
    prometheus = undefined;
    stopPortForward();
    for (const release of ['spillway-member', 'spillway-hub'])
      await helm(['uninstall', release, '--kubeconfig', idc.kubeconfigPath, '-n', NS, '--wait']);
    const live = <T extends { metadata?: { name?: string; deletionTimestamp?: Date } }>(
      items: T[],
    ) => items.filter((o) => !o.metadata?.deletionTimestamp).map((o) => o.metadata?.name);
    expect(live((await idcCore.listNamespacedPod({ namespace: NS })).items)).toEqual([]);
    expect(live((await idcCore.listNamespacedService({ namespace: NS })).items)).toEqual([]);
    // What docs/operations.md says stays: etcd's claim (the hub's data) and the hub's PKI
    // (helm.sh/resource-policy: keep), so a reinstall finds its data and members' credentials
    // still valid.
    expect(
      live((await idcCore.listNamespacedPersistentVolumeClaim({ namespace: NS })).items),
    ).toEqual(['data-spillway-hub-etcd-0']);
    expect(
      live((await idcCore.listNamespacedSecret({ namespace: NS })).items).filter((n) =>
        n?.startsWith('spillway-hub'),
      ),
    ).toEqual(['spillway-hub-pki']);
    expect(live((await idcCore.listNamespacedConfigMap({ namespace: NS })).items)).toEqual([
      'kube-root-ca.crt',
    ]);
    const hooks = kubectl(idc.kubeconfigPath, [
      'get',
      'mutatingwebhookconfigurations',
      '-o',
      'name',
    ]);
    expect(hooks).not.toContain('spillway');
  }, 420_000);
});
