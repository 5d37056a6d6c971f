/**
 * The local fleet's real node (containerd + kubelet + kube-proxy + CoreDNS beside kwok nodes):
 * what pods rely on from a real kubelet, the spillway-member chart from the image `make image`
 * built running Ready on it (Prometheus scraping it: e2e/hub/walkthrough.real.test.ts), the
 * seed's first ResourcePolicy scenario through it, and tear-down leaving the machine as it found it.
 * Root only; run by `make e2e-real` (part of `make test` as root).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import {
  DEFAULT_STATE_ROOT,
  TOPOLOGIES,
  fleetDown,
  fleetUp,
  kubeConfigFor,
  member,
  type FleetState,
} from '../fleet/index.js';
import { REAL_NODE_LABEL, REAL_NODE_NETWORK, importImage } from '../fleet/realnode.js';
import { isRunning } from '../fleet/processes.js';
import { podFigures, podRestarts } from '../support/pod-figures.js';
import { waitFor } from '../fleet/readiness.js';
import { CHARTS, helm } from '../charts/support.js';
import {
  byPool,
  isRunningPod,
  kubectl as rpKubectl,
  live,
  seedText,
  waitPods,
} from '../resourcepolicy/support.js';
import { IMAGE, imageArchive } from '../image/buildah.js';

const stateDir = join(DEFAULT_STATE_ROOT, 'real-realnode');
const ALIAS = 'cluster-rp';
const ON_REAL_NODE = { [REAL_NODE_LABEL]: 'real' };

/** What tear-down must give back: the machine as it was before bring-up. */
function machineSnapshot() {
  const iptables = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout ?? '';
  return {
    bridge: spawnSync('ip', ['link', 'show', REAL_NODE_NETWORK.bridge], { stdio: 'ignore' }).status,
    kubeChains: iptables.split('\n').filter((l) => /KUBE-|CNI-/.test(l)).length,
    mounts: readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .filter((l) => /\/run\/netns\/cni-|\/run\/containerd\/|\.fleet\/real-realnode\//.test(l))
      .length,
    netns: existsSync('/run/netns') ? readdirSync('/run/netns').length : 0,
    kubeletDir: existsSync('/var/lib/kubelet'),
    containerdRun: existsSync('/run/containerd'),
    kubepods: existsSync('/sys/fs/cgroup/memory/kubepods'),
    sysctls: ['vm.overcommit_memory', 'kernel.panic', 'kernel.panic_on_oops', 'net.ipv4.ip_forward']
      .map((k) => `${k}=${spawnSync('sysctl', ['-n', k], { encoding: 'utf8' }).stdout.trim()}`)
      .join(' '),
  };
}

let before: ReturnType<typeof machineSnapshot>;
let state: FleetState;
let core: CoreV1Api;

beforeAll(async () => {
  await fleetDown(stateDir); // leftovers of an interrupted run
  before = machineSnapshot();
  state = await fleetUp({
    topologyPath: join(TOPOLOGIES, 'resourcepolicy.yaml'),
    stateDir,
    provisioner: false,
    realNode: ALIAS,
  });
  const node = state.realNode;
  if (!node) throw new Error('no real node');
  importImage(node, imageArchive(), IMAGE);
  core = kubeConfigFor(member(state, ALIAS)).makeApiClient(CoreV1Api);
}, 300_000);

afterAll(async () => {
  if (!process.env.SPILLWAY_KEEP_FLEET) await fleetDown(stateDir);
}, 180_000);

async function podDone(namespace: string, name: string): Promise<V1Pod> {
  let pod: V1Pod | undefined;
  await waitFor(`pod ${name} finished`, 120_000, async () => {
    pod = await core.readNamespacedPod({ name, namespace });
    return ['Succeeded', 'Failed'].includes(pod.status?.phase ?? '');
  });
  return pod as V1Pod;
}

describe('the real node', () => {
  it('sits beside the kwok nodes, its API server on the fleet bridge only', async () => {
    const nodes = await core.listNode();
    const real = nodes.items.filter((n) => n.metadata?.labels?.[REAL_NODE_LABEL] === 'real');
    expect(real).toHaveLength(1);
    expect(nodes.items.length).toBeGreaterThan(1);
    expect(member(state, ALIAS).server).toMatch(new RegExp(`^https://${REAL_NODE_NETWORK.ip}:`));
  });

  it('runs a pod that reads a ConfigMap, a Secret and its service account token', async () => {
    const namespace = 'kubelet-truths';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings' }, data: { greeting: 'from-configmap' } },
    });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'creds' }, stringData: { password: 'from-secret' } },
    });
    await waitFor('default service account', 30_000, async () =>
      Boolean(
        await core
          .readNamespacedServiceAccount({ name: 'default', namespace })
          .catch(() => undefined),
      ),
    );
    // In-cluster config as a client library does it: the Service's DNS name, the mounted CA and
    // token; the API answers who the pod is.
    const script = `
const fs = require('fs'), https = require('https');
const sa = '/var/run/secrets/kubernetes.io/serviceaccount/';
console.log('cm=' + fs.readFileSync('/etc/settings/greeting', 'utf8'));
console.log('secret=' + fs.readFileSync('/etc/creds/password', 'utf8'));
const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
const req = https.request({ host: 'kubernetes.default.svc', port: 443, method: 'POST',
  path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca: fs.readFileSync(sa + 'ca.crt'),
  headers: { authorization: 'Bearer ' + fs.readFileSync(sa + 'token', 'utf8'), 'content-type': 'application/json' } },
  (res) => { let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => console.log('whoami=' + JSON.parse(d).status.userInfo.username)); });
req.on('error', (e) => { console.log('error=' + e.message); process.exit(1); });
req.end(body);`;
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'reader' },
        spec: {
          nodeSelector: ON_REAL_NODE,
          restartPolicy: 'Never',
          containers: [
            {
              name: 'reader',
              image: IMAGE,
              imagePullPolicy: 'Never',
              command: ['node', '-e', script],
              volumeMounts: [
                { name: 'settings', mountPath: '/etc/settings' },
                { name: 'creds', mountPath: '/etc/creds' },
              ],
            },
          ],
          volumes: [
            { name: 'settings', configMap: { name: 'settings' } },
            { name: 'creds', secret: { secretName: 'creds' } },
          ],
        },
      },
    });
    const pod = await podDone(namespace, 'reader');
    const log = await core.readNamespacedPodLog({ name: 'reader', namespace });
    expect(log).toContain('cm=from-configmap');
    expect(log).toContain('secret=from-secret');
    expect(log).toContain(`whoami=system:serviceaccount:${namespace}:default`);
    expect(pod.status?.phase).toBe('Succeeded');
  }, 180_000);

  it('runs the spillway-member chart from the built image: both replicas Ready, one leader', async () => {
    const kubeconfig = member(state, ALIAS).kubeconfigPath;
    const [repository, tag] = [
      IMAGE.slice(0, IMAGE.lastIndexOf(':')),
      IMAGE.slice(IMAGE.lastIndexOf(':') + 1),
    ];
    await helm([
      'install',
      'spillway-member',
      join(CHARTS, 'spillway-member'),
      '--kubeconfig',
      kubeconfig,
      '-n',
      'spillway-system',
      '--create-namespace',
      '--set',
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
      '--set',
      'image.pullPolicy=Never',
      '--set-json',
      `nodeSelector=${JSON.stringify(ON_REAL_NODE)}`,
      '--wait',
      '--timeout',
      '180s',
    ]);
    const pods = await core.listNamespacedPod({ namespace: 'spillway-system' });
    const spillway = pods.items.filter((p) => p.metadata?.name?.startsWith('spillway-member'));
    expect(spillway).toHaveLength(2);
    for (const p of spillway) {
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(podRestarts(p)).toBe(0);
      // The figures the install is judged by, printed for the record (not asserted).
      const f = podFigures(p);
      console.log(
        `figure ${f.pod}: created to Ready ${f.readySeconds.toFixed(1)}s, RSS ${(f.rssBytes / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    const lease = await kubeConfigFor(member(state, ALIAS))
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({
        name: 'spillway-resource-policy-controller',
        namespace: 'spillway-system',
      });
    // The holder identity is `<pod name>_<random>`.
    const holder = lease.spec?.holderIdentity ?? '';
    expect(spillway.some((p) => holder.startsWith(`${p.metadata?.name ?? '?'}_`))).toBe(true);
  }, 300_000);

  it('the seed ResourcePolicy scenario through the Helm-installed webhook and controller', async () => {
    // seeds' scenario 1, verbatim (pool IDs adapted as in the topology): pool A before pool B.
    const kubeconfig = member(state, ALIAS).kubeconfigPath;
    const running = (n: number) => (l: V1Pod[]) =>
      live(l).length === n && live(l).every(isRunningPod);
    await rpKubectl(
      kubeconfig,
      ['apply', '-f', '-'],
      seedText('scenario1-resourcepolicy.yaml.txt'),
    );
    await rpKubectl(kubeconfig, ['apply', '-f', '-'], seedText('scenario1-nginx.yaml.txt'));
    let list = await waitPods(core, 'default', 'app=nginx', '2 Running nginx pods', running(2));
    expect(byPool(list)).toEqual({ 'pool-a': 2 });
    await rpKubectl(kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '4']);
    list = await waitPods(core, 'default', 'app=nginx', '4 Running nginx pods', running(4));
    expect(byPool(list)).toEqual({ 'pool-a': 2, 'pool-b': 2 });
    // Placed by the Helm-installed controller (its unit annotation), not kube-scheduler alone.
    expect(list.every((p) => p.metadata?.annotations?.['scheduling.spillway.dev/unit'])).toBe(true);
    await rpKubectl(kubeconfig, ['scale', 'deployment', 'nginx', '--replicas', '2']);
    list = await waitPods(
      core,
      'default',
      'app=nginx',
      '2 nginx pods left',
      (l) => live(l).length === 2,
    );
    expect(byPool(list)).toEqual({ 'pool-a': 2 });
    await rpKubectl(kubeconfig, ['delete', 'deployment', 'nginx']);
  }, 400_000);

  it('tear-down leaves the machine as it found it', async () => {
    const pids = state.processes.filter((p) =>
      ['containerd', 'kubelet', 'kube-proxy', 'coredns'].includes(p.name),
    );
    expect(pids).toHaveLength(4);
    await fleetDown(stateDir);
    for (const p of pids) expect(isRunning(p)).toBe(false);
    const shims = spawnSync('pgrep', ['-f', 'containerd-shim-runc-v2'], { encoding: 'utf8' });
    expect(shims.stdout.trim()).toBe('');
    expect(machineSnapshot()).toEqual(before);
  }, 180_000);
});
