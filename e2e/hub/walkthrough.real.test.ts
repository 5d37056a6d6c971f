/**
 * The install as a user does it (docs/quickstart.md, "Real clusters with Helm"), on the local
 * fleet with a real node in the IDC member, which hosts the hub: `helm install spillway-hub`
 * (dedicated control plane in pods), the hub kubeconfig from its Secret through
 * `kubectl port-forward`, `spillway register-member` for both members, then the seed
 * walkthrough with kubectl against the Helm-installed hub: 2 replicas in the IDC, scale to 4
 * spills 2 to the cloud cluster (nodes provisioned), scale to 2 removes the cloud ones first.
 * Root only; run by `make e2e-real`, not by `make test`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
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
  ctr,
  importControlPlaneImages,
  importImage,
  type ControlPlaneImages,
} from '../fleet/realnode.js';
import { freePorts } from '../fleet/ports.js';
import {
  isRunning as isProcessRunning,
  startProcess,
  stopProcess,
  type ProcessRecord,
} from '../fleet/processes.js';
import { waitFor } from '../fleet/readiness.js';
import { CHARTS, helm } from '../charts/support.js';
import { IMAGE, imageArchive } from '../image/buildah.js';
import { clients, isRunning, isUnschedulable, podsOf } from '../support/kube.js';
import { SEED_DEMO, seedPolicy } from '../support/spillway.js';

const stateDir = join(DEFAULT_STATE_ROOT, 'real-walkthrough');
const NS = 'spillway-system';
let state: FleetState;
let images: ControlPlaneImages;
let idc: ClusterInfo;
let bj: ClusterInfo;
let hubKubeconfig: string;
let portForward: ProcessRecord | undefined;

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
  const dir = join(stateDir, 'node', 'pv-etcd');
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 65532, 65532);
  chmodSync(dir, 0o700);
  await kubeConfigFor(idc)
    .makeApiClient(CoreV1Api)
    .createPersistentVolume({
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
  if (portForward) await stopProcess(portForward);
  if (!process.env.SPILLWAY_KEEP_FLEET) await fleetDown(stateDir);
}, 180_000);

let hubPort = 0;

/** `kubectl port-forward svc/spillway-hub-apiserver` (docs/quickstart.md), in the background. */
function startPortForward(): void {
  portForward = startProcess(
    'port-forward',
    'kubectl',
    [
      '--kubeconfig',
      idc.kubeconfigPath,
      '-n',
      NS,
      'port-forward',
      'svc/spillway-hub-apiserver',
      `${hubPort}:6443`,
    ],
    join(stateDir, 'logs', 'port-forward.log'),
    'port-forward',
  );
}

/**
 * A command against the hub through the port-forward. kubectl port-forward exits on the first
 * failed stream (seen as resets while the hub settles after install): then it is started again
 * and the command retried for a while, as a user would. Every command used here is idempotent
 * or fails before it changes anything.
 */
async function throughPortForward<T>(run: () => T): Promise<T> {
  try {
    return run();
  } catch {
    let out: T | undefined;
    let last = '';
    await waitFor('the hub through the port-forward', 60_000, () => {
      if (portForward && !isProcessRunning(portForward)) startPortForward();
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
}

function hubKubectl(args: string[], input?: string): Promise<string> {
  return throughPortForward(() => kubectl(hubKubeconfig, args, input));
}

function kubectl(kubeconfig: string, args: string[], input?: string): string {
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
}

describe('the Helm install, end to end, with the seed walkthrough', () => {
  it('helm install spillway-hub; the hub kubeconfig through port-forward', async () => {
    const repository = IMAGE.slice(0, IMAGE.lastIndexOf(':'));
    const tag = IMAGE.slice(IMAGE.lastIndexOf(':') + 1);
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
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
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
      `nodeSelector=${JSON.stringify({ [REAL_NODE_LABEL]: 'real' })}`,
      '--wait',
      '--timeout',
      '300s',
    ]);
    // docs/quickstart.md: the admin kubeconfig from its Secret, the API server port-forwarded.
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
    await waitFor('the hub through port-forward', 30_000, () => {
      try {
        return Promise.resolve(kubectl(hubKubeconfig, ['get', 'crd']).includes('spillway'));
      } catch {
        if (portForward && !isProcessRunning(portForward)) startPortForward();
        return Promise.resolve(false);
      }
    });
  }, 420_000);

  it('spillway register-member for both members: READY True', async () => {
    const cli = ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'spillway.ts')];
    for (const [m, label, extra] of [
      [idc, 'location=idc', []],
      [bj, 'location=cloud', ['--provisioning']],
    ] as const) {
      await throughPortForward(() =>
        execFileSync(process.execPath, [
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
        ]),
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

  it('helm upgrade to a rebuilt image: no replica change, a new controller takes the lease', async () => {
    const node = state.realNode;
    if (!node) throw new Error('no real node');
    const repository = IMAGE.slice(0, IMAGE.lastIndexOf(':'));
    const rebuilt = `${IMAGE.slice(IMAGE.lastIndexOf(':') + 1)}-rebuilt`;
    // The same build under a new tag: the chart cannot tell, the pods roll as for a new image.
    ctr(node, ['images', 'tag', '--force', IMAGE, `${repository}:${rebuilt}`]);
    const uids = async () =>
      (await podsOf(clients(kubeConfigFor(idc)).core, 'test', 'qwen3'))
        .map((p) => p.metadata?.uid)
        .sort();
    const before = await uids();
    expect(before).toHaveLength(2);
    const lease = () =>
      hubKubectl([
        'get',
        'lease',
        '-n',
        NS,
        'spillway-fleet-controller',
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]);
    const oldHolder = await lease();
    await helm([
      'upgrade',
      'spillway-hub',
      join(CHARTS, 'spillway-hub'),
      '--kubeconfig',
      idc.kubeconfigPath,
      '-n',
      NS,
      '--reuse-values',
      '--set',
      `image.tag=${rebuilt}`,
      '--wait',
      '--timeout',
      '300s',
    ]);
    const core = kubeConfigFor(idc).makeApiClient(CoreV1Api);
    const controllers = (await core.listNamespacedPod({ namespace: NS })).items.filter(
      (p) =>
        p.metadata?.name?.startsWith('spillway-hub-fleet-controller') &&
        !p.metadata.deletionTimestamp &&
        p.spec?.containers[0]?.image === `${repository}:${rebuilt}`,
    );
    expect(controllers).toHaveLength(2);
    await waitFor('a new fleet controller holds the lease', 90_000, async () => {
      const holder = await lease();
      return (
        holder !== oldHolder &&
        controllers.some((p) => holder.startsWith(`${p.metadata?.name ?? '?'}_`))
      );
    });
    expect(await uids()).toEqual(before);
    expect((await podsOf(clients(kubeConfigFor(bj)).core, 'test', 'qwen3')).length).toBe(0);
  }, 420_000);

  it('helm install spillway-member in the IDC member runs Ready; helm uninstall of both leaves what the docs say', async () => {
    const repository = IMAGE.slice(0, IMAGE.lastIndexOf(':'));
    const tag = IMAGE.slice(IMAGE.lastIndexOf(':') + 1);
    await helm([
      'install',
      'spillway-member',
      join(CHARTS, 'spillway-member'),
      '--kubeconfig',
      idc.kubeconfigPath,
      '-n',
      NS,
      '--set',
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
      '--set',
      'image.pullPolicy=Never',
      '--set-json',
      `nodeSelector=${JSON.stringify({ [REAL_NODE_LABEL]: 'real' })}`,
      '--wait',
      '--timeout',
      '180s',
    ]);
    for (const release of ['spillway-member', 'spillway-hub'])
      await helm(['uninstall', release, '--kubeconfig', idc.kubeconfigPath, '-n', NS, '--wait']);
    const core = kubeConfigFor(idc).makeApiClient(CoreV1Api);
    const live = <T extends { metadata?: { name?: string; deletionTimestamp?: Date } }>(
      items: T[],
    ) => items.filter((o) => !o.metadata?.deletionTimestamp).map((o) => o.metadata?.name);
    // register-member's identity in the member (its own namespace objects) is not Helm's.
    expect(live((await core.listNamespacedPod({ namespace: NS })).items)).toEqual([]);
    expect(live((await core.listNamespacedService({ namespace: NS })).items)).toEqual([]);
    expect(live((await core.listNamespacedPersistentVolumeClaim({ namespace: NS })).items)).toEqual(
      ['data-spillway-hub-etcd-0'],
    );
    const hooks = execFileSync(
      'kubectl',
      ['--kubeconfig', idc.kubeconfigPath, 'get', 'mutatingwebhookconfigurations', '-o', 'name'],
      { encoding: 'utf8' },
    );
    expect(hooks).not.toContain('spillway');
  }, 420_000);
});
