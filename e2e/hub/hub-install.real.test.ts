/**
 * `helm install spillway-hub` in dedicated control-plane mode on the local fleet's real node:
 * its etcd, kube-apiserver and kube-controller-manager run as pods from images made of the
 * fleet's cached binaries, the bootstrap Job applies the CRDs and RBAC, and the fleet
 * controller runs Ready against that hub; `helm uninstall` leaves only what the docs say.
 * Root only; run by `make e2e-real`, not by `make test`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import {
  DEFAULT_STATE_ROOT,
  TOPOLOGIES,
  fleetDown,
  fleetUp,
  kubeConfigFor,
  member,
  type FleetState,
} from '../fleet/index.js';
import {
  REAL_NODE_LABEL,
  importControlPlaneImages,
  importImage,
  type ControlPlaneImages,
} from '../fleet/realnode.js';
import { rssBytes } from '../fleet/processes.js';
import { CHARTS, helm } from '../charts/support.js';
import { IMAGE, imageArchive } from '../image/buildah.js';

const stateDir = join(DEFAULT_STATE_ROOT, 'real-hub');
const ALIAS = 'cluster-rp';
const NS = 'spillway-system';
let state: FleetState;
let core: CoreV1Api;
let images: ControlPlaneImages;
let kubeconfig: string;

beforeAll(async () => {
  await fleetDown(stateDir);
  state = await fleetUp({
    topologyPath: join(TOPOLOGIES, 'resourcepolicy.yaml'),
    stateDir,
    provisioner: false,
    realNode: ALIAS,
  });
  const node = state.realNode;
  if (!node) throw new Error('no real node');
  importImage(node, imageArchive(), IMAGE);
  images = importControlPlaneImages(node);
  kubeconfig = member(state, ALIAS).kubeconfigPath;
  core = kubeConfigFor(member(state, ALIAS)).makeApiClient(CoreV1Api);
  // etcd's volume: a hostPath PersistentVolume (the fleet has no storage provisioner).
  const dir = join(stateDir, 'node', 'pv-etcd');
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 65532, 65532);
  chmodSync(dir, 0o700);
  await core.createPersistentVolume({
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
  if (!process.env.SPILLWAY_KEEP_FLEET) await fleetDown(stateDir);
}, 180_000);

function figures(p: V1Pod): string {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  const secs =
    (new Date(ready?.lastTransitionTime ?? 0).getTime() -
      new Date(p.metadata?.creationTimestamp ?? 0).getTime()) /
    1000;
  return `${p.metadata?.name}: created to Ready ${secs.toFixed(1)}s`;
}

describe('helm install spillway-hub (dedicated control plane) on real containers', () => {
  it('runs etcd, the API server, the controller-manager and the fleet controller Ready', async () => {
    const [repository, tag] = [
      IMAGE.slice(0, IMAGE.lastIndexOf(':')),
      IMAGE.slice(IMAGE.lastIndexOf(':') + 1),
    ];
    await helm([
      'install',
      'spillway-hub',
      join(CHARTS, 'spillway-hub'),
      '--kubeconfig',
      kubeconfig,
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
    const pods = (await core.listNamespacedPod({ namespace: NS })).items.filter(
      (p) => p.status?.phase === 'Running',
    );
    for (const p of pods) {
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      console.log(`${figures(p)}, RSS ${(podRss(p) / 2 ** 20).toFixed(0)} MiB`);
    }
    const names = pods.map((p) => p.metadata?.name ?? '');
    for (const part of ['etcd', 'apiserver', 'controller-manager', 'fleet-controller'])
      expect(names.some((n) => n.includes(part))).toBe(true);
  }, 420_000);

  it('helm uninstall removes the release', async () => {
    await helm(['uninstall', 'spillway-hub', '--kubeconfig', kubeconfig, '-n', NS, '--wait']);
    const live = <T extends { metadata?: { name?: string; deletionTimestamp?: Date } }>(
      items: T[],
    ) => items.filter((o) => !o.metadata?.deletionTimestamp).map((o) => o.metadata?.name);
    expect(live((await core.listNamespacedPod({ namespace: NS })).items)).toEqual([]);
    expect(live((await core.listNamespacedService({ namespace: NS })).items)).toEqual([]);
    // The hub's PKI is kept on purpose (helm.sh/resource-policy: keep): the kept etcd data
    // and any registered member's credentials stay usable after a reinstall.
    expect(live((await core.listNamespacedSecret({ namespace: NS })).items)).toEqual([
      'spillway-hub-pki',
    ]);
    expect(live((await core.listNamespacedConfigMap({ namespace: NS })).items)).toEqual([
      'kube-root-ca.crt',
    ]);
    // What docs/operations.md says stays: etcd's claim (the hub's data) outlives the release.
    expect(live((await core.listNamespacedPersistentVolumeClaim({ namespace: NS })).items)).toEqual(
      ['data-spillway-hub-etcd-0'],
    );
  }, 180_000);
});

/** Resident memory of a pod's container processes (cgroup v1 pids hierarchy). */
function podRss(p: V1Pod): number {
  const out = execFileSync('sh', [
    '-c',
    `cat $(find /sys/fs/cgroup/pids/kubepods -path '*pod${p.metadata?.uid ?? '?'}/*' -name cgroup.procs) 2>/dev/null`,
  ]).toString();
  return out
    .split('\n')
    .filter(Boolean)
    .reduce((s, pid) => s + rssBytes(Number(pid)), 0);
}
