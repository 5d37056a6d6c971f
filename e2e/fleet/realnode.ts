/**
 * One real node in a cluster of the local fleet: containerd + runc + the bridge CNI plugin,
 * kubelet and kube-proxy (built from the fleet's Kubernetes version) and CoreDNS as host
 * processes, beside the cluster's kwok nodes. System pods (Spillway, a dedicated hub control
 * plane) run on it in real containers; images come from OCI archives, never a registry.
 *
 * Traffic stays on this machine: the node's cluster listens on an address of the fleet's own
 * bridge (not loopback, which pods cannot reach, and not the machine's other interfaces), and
 * CoreDNS answers cluster names only (no forwarding). Bring-up records what it changes outside
 * the state directory (sysctls, the bridge, iptables chains, kubelet and CNI directories,
 * cgroups) and tear-down puts it back. One real node per machine: kube-proxy's iptables chains
 * are machine-wide. Root only. Test and demo infrastructure, not product.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { waitFor } from './readiness.js';
import { isRunning, type ProcessRecord } from './processes.js';
import { cacheDir, pinnedVersions } from './tools.js';

/** The bridge, its address and the pod subnet: fixed, one real node per machine. */
export const REAL_NODE_NETWORK = {
  bridge: 'spillway0',
  ip: '10.244.0.1',
  prefix: 24,
  subnet: '10.244.0.0/24',
  serviceCidr: '10.96.0.0/16',
  /** The `kubernetes` Service's ClusterIP: the first address of the service range. */
  kubernetesServiceIp: '10.96.0.1',
  cniNetwork: 'spillway-fleet',
} as const;

export const REAL_NODE_LABEL = 'spillway.dev/local-fleet-node';

/** The sysctls the kubelet and the bridge plugin change; saved at bring-up, restored after. */
const SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
];
const MACHINE_DIRS = ['/var/lib/kubelet', '/var/lib/cni', '/run/containerd', '/run/netns'];
const CGROUP_ROOT = '/sys/fs/cgroup';

export interface RealNodeState {
  /** The cluster alias the node joined. */
  cluster: string;
  nodeName: string;
  dir: string;
  socket: string;
  ports: { kubelet: number; kubeletHealthz: number; proxyMetrics: number; proxyHealthz: number };
  /** What tear-down restores: sysctl values, and which machine directories existed before. */
  sysctls: Record<string, string>;
  preexisting: string[];
  /** The images imported into containerd (name -> OCI archive). */
  images: Record<string, string>;
  /** KUBE- and CNI- iptables lines that were there before (not ours): kept at tear-down. */
  iptablesBefore: string[];
}

export interface RealNodeBinaries {
  containerd: string;
  kubelet: string;
  kubeProxy: string;
  coredns: string;
  pause: string;
}

/** The cached binaries (hack/build-tools.sh node pause coredns) and the Debian ones. */
export function realNodeBinaries(): RealNodeBinaries {
  const v = pinnedVersions();
  const bin = join(cacheDir(), 'bin');
  // Keyed by a source hash as well (hack/build-tools.sh): the newest build of each.
  const newest = (prefix: string) =>
    readdirSync(bin)
      .filter((d) => d.startsWith(prefix) && !d.endsWith('.tmp'))
      .map((d) => ({ d, t: statSync(join(bin, d)).mtimeMs }))
      .sort((a, b) => a.t - b.t)
      .pop()?.d;
  const pauseDir = newest('pause-');
  const corednsDir = newest(`coredns-${v.COREDNS_VERSION ?? ''}-`);
  const b: RealNodeBinaries = {
    containerd: '/usr/bin/containerd',
    kubelet: join(bin, `kube-node-${v.KUBE_VERSION ?? ''}`, 'kubelet'),
    kubeProxy: join(bin, `kube-node-${v.KUBE_VERSION ?? ''}`, 'kube-proxy'),
    coredns: join(bin, corednsDir ?? `coredns-${v.COREDNS_VERSION ?? ''}-<hash>`, 'coredns'),
    pause: join(bin, pauseDir ?? 'pause-<hash>', 'pause'),
  };
  const need = [...Object.values(b), '/usr/bin/runc', '/usr/bin/ctr', '/usr/lib/cni/bridge'];
  const missing = need.filter((p) => !existsSync(p));
  if (missing.length > 0)
    throw new Error(
      `the real node needs ${missing.join(', ')}: run \`make e2e-real-deps\` (Debian packages and hack/build-tools.sh node pause coredns)`,
    );
  return b;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function trySh(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore' });
}

/**
 * Before the cluster's API server starts: the bridge with the address the API server binds,
 * and the record of what the machine looked like.
 */
export function prepareRealNodeNetwork(
  stateDir: string,
  cluster: string,
  ports: RealNodeState['ports'],
): RealNodeState {
  if (process.getuid?.() !== 0) throw new Error('the real node needs root');
  const { bridge, ip, prefix } = REAL_NODE_NETWORK;
  if (spawnSync('ip', ['link', 'show', bridge], { stdio: 'ignore' }).status === 0)
    throw new Error(
      `bridge ${bridge} exists: another real node runs on this machine (or one was not torn down; \`ip link del ${bridge}\`)`,
    );
  const dir = join(stateDir, 'node');
  mkdirSync(dir, { recursive: true });
  const sysctls: Record<string, string> = {};
  trySh('modprobe', ['br_netfilter']);
  for (const k of SYSCTLS) {
    const r = spawnSync('sysctl', ['-n', k], { encoding: 'utf8' });
    if (r.status === 0) sysctls[k] = r.stdout.trim();
  }
  const node: RealNodeState = {
    cluster,
    nodeName: `${cluster}-real`,
    dir,
    socket: join(dir, 'containerd', 'containerd.sock'),
    ports,
    sysctls,
    preexisting: MACHINE_DIRS.filter((d) => existsSync(d)),
    images: {},
    iptablesBefore: ourIptablesLines(),
  };
  writeFileSync(join(dir, 'node.json'), JSON.stringify(node, null, 2));
  sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${ip}/${prefix}`, 'dev', bridge]);
  sh('ip', ['link', 'set', bridge, 'up']);
  return node;
}

/** Extra kube-apiserver flags for the cluster with the real node. */
export function realNodeApiserverArgs(): string[] {
  const { ip } = REAL_NODE_NETWORK;
  return [
    `--bind-address=${ip}`,
    `--advertise-address=${ip}`,
    // Pods reach the API server through the `kubernetes` Service: its Endpoints must be real.
    '--endpoint-reconciler-type=lease',
    // logs/exec/port-forward dial the kubelet at its InternalIP (no DNS name for the node).
    '--kubelet-preferred-address-types=InternalIP',
  ];
}

/** Serving-certificate names for that API server (the bridge address and the Service). */
export function realNodeServingNames(): string[] {
  return [
    `IP:${REAL_NODE_NETWORK.ip}`,
    `IP:${REAL_NODE_NETWORK.kubernetesServiceIp}`,
    'DNS:kubernetes.default.svc.cluster.local',
  ];
}

function writeConfigs(node: RealNodeState, bins: RealNodeBinaries, kubeconfig: string): void {
  const { ip, subnet, bridge, cniNetwork } = REAL_NODE_NETWORK;
  const d = node.dir;
  for (const sub of ['containerd/root', 'containerd/state', 'cni', 'kubelet', 'pod-logs', 'logs'])
    mkdirSync(join(d, sub), { recursive: true });
  writeFileSync(
    join(d, 'containerd', 'config.toml'),
    `version = 2
root = "${d}/containerd/root"
state = "${d}/containerd/state"
[grpc]
  address = "${node.socket}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImageName()}"
  # Root here lacks CAP_SYS_RESOURCE: runc may not lower oom_score_adj (the CRI asks -998).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${d}/cni"
`,
  );
  writeFileSync(
    join(d, 'cni', '10-spillway.conflist'),
    JSON.stringify({
      cniVersion: '0.4.0',
      name: cniNetwork,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          // Pods reach the bridge subnet and, through the host, the Services only: no masquerade,
          // no default route, so nothing of theirs leaves this machine.
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet, gateway: ip }]],
            routes: [{ dst: REAL_NODE_NETWORK.serviceCidr }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'loopback' },
      ],
    }),
  );
  writeFileSync(
    join(d, 'kubelet.yaml'),
    `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
containerRuntimeEndpoint: unix://${node.socket}
podLogsDir: ${d}/pod-logs
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}, x509: {}}
authorization: {mode: AlwaysAllow}
readOnlyPort: 0
address: ${ip}
port: ${node.ports.kubelet}
healthzBindAddress: 127.0.0.1
healthzPort: ${node.ports.kubeletHealthz}
serializeImagePulls: false
resolvConf: /etc/resolv.conf
clusterDNS: [${ip}]
clusterDomain: cluster.local
# Imported images have no registry to come back from: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
protectKernelDefaults: false
maxPods: 60
`,
  );
  writeFileSync(
    join(d, 'kube-proxy.yaml'),
    `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: ${kubeconfig}}
hostnameOverride: ${node.nodeName}
clusterCIDR: ${subnet}
bindAddress: ${ip}
metricsBindAddress: 127.0.0.1:${node.ports.proxyMetrics}
healthzBindAddress: 127.0.0.1:${node.ports.proxyHealthz}
nodePortAddresses: [${ip}/32]
conntrack: {maxPerCore: 0}
iptables: {localhostNodePorts: false}
`,
  );
  writeFileSync(
    join(d, 'Corefile'),
    `cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${ip}
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
    }
    cache 5
}
# Every other name: NXDOMAIN, answered here (nothing is forwarded off the machine). REFUSED or
# SERVFAIL would stop a resolver walking its search list, and a cluster name looked up while
# its Service has no endpoint yet would fail instead of being retried.
.:53 {
    bind ${ip}
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`,
  );
  void bins;
}

/** The sandbox image's name in containerd. */
export function pauseImageName(): string {
  return 'spillway.local/pause:1';
}

/** `ctr` against the node's containerd, in the CRI's namespace. */
export function ctr(node: RealNodeState, args: string[]): string {
  return sh('ctr', ['-a', node.socket, '-n', 'k8s.io', ...args]);
}

/**
 * Imports an OCI archive into the node's containerd; the image must come out named `name`
 * (repository:tag). The archive's reference names the image; one that holds only a tag (as
 * umoci writes) gets `name`'s repository in front.
 */
export function importImage(node: RealNodeState, archive: string, name: string): void {
  const repository = name.slice(0, name.lastIndexOf(':'));
  ctr(node, ['images', 'import', '--base-name', repository, archive]);
  if (!listImages(node).includes(name))
    throw new Error(`importing ${archive}: containerd has no image ${name} afterwards`);
  node.images[name] = archive;
}

function listImages(node: RealNodeState): string[] {
  return ctr(node, ['images', 'ls', '-q'])
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * After the cluster's API server and controller-manager run: containerd, the pause image,
 * CoreDNS, kubelet and kube-proxy; resolves once the node is Ready.
 */
export async function startRealNode(
  node: RealNodeState,
  kubeconfig: string,
  kc: KubeConfig,
  spawn: (name: string, bin: string, args: string[]) => ProcessRecord,
): Promise<void> {
  const bins = realNodeBinaries();
  writeConfigs(node, bins, kubeconfig);
  const d = node.dir;
  const containerd = spawn('containerd', bins.containerd, [
    '--config',
    join(d, 'containerd', 'config.toml'),
  ]);
  await waitFor('containerd', 30_000, () => {
    if (!isRunning(containerd)) throw new Error(`containerd exited (see ${containerd.log})`);
    return Promise.resolve(spawnSync('ctr', ['-a', node.socket, 'version']).status === 0);
  });
  importImage(node, buildPauseArchive(node, bins.pause), pauseImageName());
  spawn('coredns', bins.coredns, ['-conf', join(d, 'Corefile')]);
  spawn('kubelet', bins.kubelet, [
    `--config=${join(d, 'kubelet.yaml')}`,
    `--kubeconfig=${kubeconfig}`,
    `--root-dir=${join(d, 'kubelet')}`,
    `--cert-dir=${join(d, 'kubelet', 'pki')}`,
    `--hostname-override=${node.nodeName}`,
    `--node-ip=${REAL_NODE_NETWORK.ip}`,
    `--node-labels=${REAL_NODE_LABEL}=real`,
    '-v=1',
  ]);
  spawn('kube-proxy', bins.kubeProxy, [`--config=${join(d, 'kube-proxy.yaml')}`, '-v=1']);
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(`real node ${node.nodeName} Ready`, 90_000, async () => {
    const n = await core.readNode({ name: node.nodeName }).catch(() => undefined);
    return Boolean(n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  });
  writeFileSync(join(d, 'node.json'), JSON.stringify(node, null, 2));
}

/** The pause image as an OCI archive (the pause binary only), keyed like the binary. */
function buildPauseArchive(node: RealNodeState, pauseBin: string): string {
  void node;
  return binaryImageArchive(basename(dirname(pauseBin)), '1', [pauseBin], ['/usr/local/bin/pause']);
}

/**
 * An OCI archive of an image holding `binaries` in /usr/local/bin (static Go binaries need
 * nothing else but a user database and /tmp), made with umoci without a registry and cached
 * under $SPILLWAY_CACHE/image/<key>.oci.tar. Its reference is `tag` alone: `importImage`
 * puts the repository in front.
 */
export function binaryImageArchive(
  key: string,
  tag: string,
  binaries: string[],
  entrypoint: string[] = [],
): string {
  const out = join(cacheDir(), 'image', `${key}.oci.tar`);
  if (existsSync(out)) return out;
  const work = `${out}.work`;
  rmSync(work, { recursive: true, force: true });
  const layout = join(work, 'layout');
  const bundle = join(work, 'bundle');
  sh('umoci', ['init', '--layout', layout]);
  sh('umoci', ['new', '--image', `${layout}:${tag}`]);
  sh('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  const root = join(bundle, 'rootfs');
  for (const b of binaries)
    sh('install', ['-D', '-m755', b, join(root, 'usr/local/bin', basename(b))]);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  sh('chmod', ['1777', join(root, 'tmp')]);
  writeFileSync(
    join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
  );
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
  sh('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
  sh('umoci', [
    'config',
    '--image',
    `${layout}:${tag}`,
    ...entrypoint.flatMap((e) => ['--config.entrypoint', e]),
    '--config.env',
    'PATH=/usr/local/bin:/usr/bin:/bin',
    '--architecture',
    'amd64',
    '--os',
    'linux',
  ]);
  sh('umoci', ['gc', '--layout', layout]);
  mkdirSync(dirname(out), { recursive: true });
  sh('tar', ['-C', layout, '-cf', `${out}.tmp`, '.']);
  sh('mv', [`${out}.tmp`, out]);
  rmSync(work, { recursive: true, force: true });
  return out;
}

/** Removes every pod while the kubelet still runs, so the CNI plugin releases each sandbox. */
export async function drainRealNode(node: RealNodeState, kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  // Cordoned first, so the pods' controllers cannot put replacements back on it.
  await core
    .patchNode(
      { name: node.nodeName, body: [{ op: 'add', path: '/spec/unschedulable', value: true }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    )
    .catch(() => undefined);
  const pods = await core
    .listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node.nodeName}` })
    .catch(() => undefined);
  for (const p of pods?.items ?? [])
    await core
      .deleteNamespacedPod({
        name: p.metadata?.name ?? '',
        namespace: p.metadata?.namespace ?? '',
        gracePeriodSeconds: 0,
      })
      .catch(() => undefined);
  await waitFor('real node sandboxes gone', 60_000, () => {
    const netns = existsSync('/run/netns')
      ? readdirSync('/run/netns').filter((n) => n.startsWith('cni-'))
      : [];
    const r = spawnSync('ctr', ['-a', node.socket, '-n', 'k8s.io', 'tasks', 'ls', '-q'], {
      encoding: 'utf8',
    });
    const tasks = r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
    return Promise.resolve(netns.length === 0 && tasks.length === 0);
  }).catch(() => undefined); // tear-down goes on; the steps below clean up the rest
}

/**
 * After the node's processes stopped: what they left on the machine. Safe to run twice, and on
 * a node whose bring-up failed half-way.
 */
export function cleanUpRealNode(node: RealNodeState): void {
  const { bridge, cniNetwork } = REAL_NODE_NETWORK;
  // Container processes outlive a stopped containerd and its shims: every process in the
  // kubelet's cgroups is one of the node's.
  killCgroupTree(join(CGROUP_ROOT, 'pids', 'kubepods'));
  // Shims outlive a stopped containerd (re-parented to PID 1): only those of our socket.
  const shims = spawnSync('pgrep', ['-f', `containerd-shim-runc-v2 .*-address ${node.socket}`], {
    encoding: 'utf8',
  });
  for (const pid of shims.stdout.split('\n').filter(Boolean)) trySh('kill', ['-9', pid]);
  const bins = (() => {
    try {
      return realNodeBinaries();
    } catch {
      return undefined;
    }
  })();
  if (bins) trySh(bins.kubeProxy, ['--cleanup']);
  // Mounts: netns bind mounts, container root file systems, shm, kubelet volumes (deepest first).
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter(
      (m) =>
        m.startsWith(`${node.dir}/`) ||
        m.startsWith('/run/netns/cni-') ||
        m.startsWith('/run/containerd/'),
    )
    .sort()
    .reverse();
  for (const m of mounts)
    if (spawnSync('umount', [m], { stdio: 'ignore' }).status !== 0) trySh('umount', ['-l', m]);
  if (existsSync('/run/netns'))
    for (const n of readdirSync('/run/netns').filter((n) => n.startsWith('cni-')))
      rmSync(join('/run/netns', n), { force: true });
  trySh('ip', ['link', 'del', bridge]);
  // Only the chains kube-proxy, the kubelet and the CNI plugins made (KUBE-*, CNI-*), not
  // such lines that were there before bring-up.
  const keep = new Set(node.iptablesBefore);
  for (const [save, restore] of IPTABLES)
    for (const table of IPTABLES_TABLES) {
      const r = spawnSync(save, ['-t', table], { encoding: 'utf8' });
      if (r.status !== 0) continue;
      const ours = (l: string) =>
        /KUBE-|CNI-/.test(l) && !keep.has(`${save} ${table} ${normalizeRule(l)}`);
      if (!r.stdout.split('\n').some(ours)) continue;
      const kept = r.stdout
        .split('\n')
        .filter((l) => !ours(l))
        .join('\n');
      spawnSync(restore, ['-T', table], { input: kept });
    }
  rmSync(`/var/lib/cni/networks/${cniNetwork}`, { recursive: true, force: true });
  if (existsSync('/var/lib/cni/results'))
    for (const f of readdirSync('/var/lib/cni/results').filter((f) =>
      f.startsWith(`${cniNetwork}-`),
    ))
      rmSync(join('/var/lib/cni/results', f), { force: true });
  for (const d of MACHINE_DIRS)
    if (!node.preexisting.includes(d)) rmSync(d, { recursive: true, force: true });
  // The kubelet's cgroups (cgroupfs driver): kubepods in every v1 hierarchy, deepest first.
  for (
    let attempt = 0;
    attempt < 20 && existsSync(join(CGROUP_ROOT, 'pids', 'kubepods'));
    attempt++
  ) {
    for (const h of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : [])
      removeCgroupTree(join(CGROUP_ROOT, h, 'kubepods'));
    if (existsSync(join(CGROUP_ROOT, 'pids', 'kubepods'))) spawnSync('sleep', ['0.2']);
  }
  for (const h of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : [])
    removeCgroupTree(join(CGROUP_ROOT, h, 'kubepods'));
  for (const [k, v] of Object.entries(node.sysctls)) trySh('sysctl', ['-qw', `${k}=${v}`]);
}

const IPTABLES = [
  ['iptables-save', 'iptables-restore'],
  ['ip6tables-save', 'ip6tables-restore'],
] as const;
const IPTABLES_TABLES = ['nat', 'filter', 'mangle'];

/** A rule or chain line without its packet counters. */
function normalizeRule(line: string): string {
  return line.replace(/\[\d+:\d+\]/g, '').trim();
}

function ourIptablesLines(): string[] {
  const out: string[] = [];
  for (const [save] of IPTABLES)
    for (const table of IPTABLES_TABLES) {
      const r = spawnSync(save, ['-t', table], { encoding: 'utf8' });
      if (r.status !== 0) continue;
      for (const l of r.stdout.split('\n'))
        if (/KUBE-|CNI-/.test(l)) out.push(`${save} ${table} ${normalizeRule(l)}`);
    }
  return out;
}

function killCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) killCgroupTree(join(dir, e.name));
  const procs = existsSync(join(dir, 'cgroup.procs'))
    ? readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)
    : [];
  for (const pid of procs) trySh('kill', ['-9', pid]);
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  trySh('rmdir', [dir]);
}

/** The node's record, if the state directory has one (also after a failed bring-up). */
export function readRealNode(stateDir: string): RealNodeState | undefined {
  const f = join(stateDir, 'node', 'node.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RealNodeState) : undefined;
}

/** The images of a dedicated hub control plane, made of the fleet's cached binaries. */
export interface ControlPlaneImages {
  etcd: string;
  apiserver: string;
  controllerManager: string;
  kubectl: string;
}

/**
 * Builds (cached) and imports into the node's containerd one image per control-plane binary:
 * spillway.local/etcd:<etcd version>, spillway.local/kube-apiserver:<KUBE_VERSION>,
 * spillway.local/kube-controller-manager:<KUBE_VERSION> and spillway.local/kubectl:<KUBE_VERSION>
 * (the binary on PATH, as the upstream images have it).
 */
export function importControlPlaneImages(node: RealNodeState): ControlPlaneImages {
  const v = pinnedVersions();
  const kube = v.KUBE_VERSION ?? '';
  const bin = join(cacheDir(), 'bin');
  const etcdBin = join(bin, `kube-${kube}`, 'etcd');
  const etcdVersion = /Version:\s*(\S+)/.exec(sh(etcdBin, ['--version']))?.[1] ?? 'unknown';
  const parts: [keyof ControlPlaneImages, string, string, string][] = [
    ['etcd', 'etcd', etcdVersion, etcdBin],
    ['apiserver', 'kube-apiserver', kube, join(bin, `kube-${kube}`, 'kube-apiserver')],
    [
      'controllerManager',
      'kube-controller-manager',
      kube,
      join(bin, `kube-${kube}`, 'kube-controller-manager'),
    ],
    ['kubectl', 'kubectl', kube, join(bin, `kube-node-${kube}`, 'kubectl')],
  ];
  const out: Partial<ControlPlaneImages> = {};
  for (const [key, name, tag, binary] of parts) {
    const ref = `spillway.local/${name}:${tag}`;
    importImage(node, binaryImageArchive(`${name}-${tag}`, tag, [binary]), ref);
    out[key] = ref;
  }
  return out as ControlPlaneImages;
}
