/**
 * The local fleet: real kube-apiservers on loopback sharing one etcd (a key prefix each),
 * a hub whose controller-manager runs only the namespace, garbage-collector and
 * service-account-token controllers (so hub Deployments never create pods), and members with
 * a full control plane plus kwok for fake nodes. Test and demo infrastructure, not product.
 *
 * Everything lives in a state directory: state.json (ports, pids), pki/, etcd/, logs/ and
 * kubeconfigs/. `up` on a running fleet returns it unchanged; `down` stops every recorded
 * process by pid and removes the directory.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensurePki, ensureServingCert, type FleetPki } from './pki.js';
import { freePorts } from './ports.js';
import {
  isRunning,
  rssBytes,
  startProcess,
  stopProcess,
  writeJson,
  type ProcessRecord,
} from './processes.js';
import { waitFor, waitReady } from './readiness.js';
import { loadTopology, type MemberSpec, type Topology } from './topology.js';
import { findTools, REPO_ROOT, type Tools } from './tools.js';
import { writeKubeconfig } from './kubeconfig.js';
import { fixedNodeNames, nodeManifest } from './nodes.js';
import { applyManifestFile } from './apply.js';
import {
  REAL_NODE_NETWORK,
  cleanUpRealNode,
  drainRealNode,
  prepareRealNodeNetwork,
  readRealNode,
  realNodeApiserverArgs,
  realNodeBinaries,
  realNodeServingNames,
  startRealNode,
  type RealNodeState,
} from './realnode.js';

export interface ClusterInfo {
  /** `hub`, or the member's cluster ID. */
  name: string;
  /** `hub`, or the member's alias (kubeconfig file and context name). */
  alias: string;
  role: 'hub' | 'member';
  server: string;
  kubeconfigPath: string;
}

export interface FleetState {
  topologyPath: string;
  topology: Topology;
  stateDir: string;
  startedAt: string;
  etcd: { clientUrl: string };
  clusters: ClusterInfo[];
  processes: ProcessRecord[];
  /** A kubeconfig holding every cluster's context. */
  kubeconfigPath: string;
  /** The real node (containerd + kubelet), when the fleet was started with one. */
  realNode?: RealNodeState;
}

export interface UpOptions {
  topologyPath: string;
  stateDir: string;
  /** Start the simulated cloud provisioner (default true). */
  provisioner?: boolean;
  /** Override every elastic pool's idle time (seconds), e.g. a few seconds in tests. */
  idleSeconds?: number;
  /** Override every elastic pool's scale-up delay (seconds). */
  scaleUpDelaySeconds?: number;
  /**
   * A cluster alias (`hub` or a member's) that gets one real node (realnode.ts) beside its
   * kwok nodes; its API server then listens on the fleet's bridge address. Root only.
   */
  realNode?: string;
  log?: (line: string) => void;
}

const STATE_FILE = 'state.json';
/** See kwokArgs: a pod with this annotation set to "true" is left alone by kwok. */
export const HOLD_ANNOTATION = 'spillway.dev/local-fleet-hold';
export const PROVISIONING_REQUEST_CRD = join(
  REPO_ROOT,
  'config',
  'third-party',
  'provisioningrequests.autoscaling.x-k8s.io.yaml',
);

export function readState(stateDir: string): FleetState | undefined {
  const path = join(stateDir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as FleetState;
}

export function hub(state: FleetState): ClusterInfo {
  const h = state.clusters.find((c) => c.role === 'hub');
  if (!h) throw new Error('fleet state has no hub');
  return h;
}

export function members(state: FleetState): ClusterInfo[] {
  return state.clusters.filter((c) => c.role === 'member');
}

/** A member by cluster ID or alias. */
export function member(state: FleetState, idOrAlias: string): ClusterInfo {
  const m = state.clusters.find(
    (c) => c.role === 'member' && (c.name === idOrAlias || c.alias === idOrAlias),
  );
  if (!m) throw new Error(`no member ${idOrAlias} in fleet ${state.topology.name}`);
  return m;
}

export function kubeConfigFor(cluster: ClusterInfo): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return kc;
}

/** True when every recorded process runs and every API server answers /readyz. */
export async function isHealthy(state: FleetState): Promise<boolean> {
  if (!state.processes.every(isRunning)) return false;
  const token = ensurePki(join(state.stateDir, 'pki')).adminToken;
  try {
    for (const c of state.clusters) {
      await waitReady(
        c.server,
        join(state.stateDir, 'pki', 'ca.crt'),
        token,
        3000,
        () => true,
        c.name,
      );
    }
    return true;
  } catch {
    return false;
  }
}

export async function fleetUp(opts: UpOptions): Promise<FleetState> {
  const log = opts.log ?? (() => undefined);
  const stateDir = resolve(opts.stateDir);
  const existing = readState(stateDir);
  if (existing) {
    if (await isHealthy(existing)) {
      log(`fleet ${existing.topology.name} already running in ${stateDir}`);
      return existing;
    }
    log(`fleet in ${stateDir} is partly down: restarting it`);
    await fleetDown(stateDir, log);
  }
  const topologyPath = resolve(opts.topologyPath);
  const topology = loadTopology(topologyPath);
  const tools = findTools();
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  mkdirSync(join(stateDir, 'kubeconfigs'), { recursive: true });
  const pki = ensurePki(join(stateDir, 'pki'));
  const started = Date.now();

  const [etcdClient = 0, etcdPeer = 0, ...apiPorts] = await freePorts(3 + topology.members.length);
  if (opts.realNode) realNodeBinaries(); // fail before starting anything when one is missing
  const clusters: ClusterInfo[] = [
    { name: 'hub', alias: 'hub', role: 'hub', server: '', kubeconfigPath: '' },
    ...topology.members.map((m): ClusterInfo => ({
      name: m.id,
      alias: m.alias,
      role: 'member',
      server: '',
      kubeconfigPath: '',
    })),
  ];
  if (opts.realNode && !clusters.some((c) => c.alias === opts.realNode))
    throw new Error(`--real-node ${opts.realNode}: no such cluster in ${topology.name}`);
  clusters.forEach((c, i) => {
    // With a real node, every API server listens on the fleet bridge (pods there reach the
    // hub and the members, as a fleet controller in a pod must), never on loopback.
    const host = opts.realNode ? REAL_NODE_NETWORK.ip : '127.0.0.1';
    c.server = `https://${host}:${apiPorts[i] ?? 0}`;
    c.kubeconfigPath = join(stateDir, 'kubeconfigs', `${c.alias}.yaml`);
    writeKubeconfig(
      c.kubeconfigPath,
      [{ name: c.alias, server: c.server }],
      pki.caCert,
      pki.adminToken,
    );
  });
  const state: FleetState = {
    topologyPath,
    topology,
    stateDir,
    startedAt: new Date().toISOString(),
    etcd: { clientUrl: `http://127.0.0.1:${etcdClient}` },
    clusters,
    processes: [],
    kubeconfigPath: join(stateDir, 'kubeconfig'),
  };
  writeKubeconfig(
    state.kubeconfigPath,
    clusters.map((c) => ({ name: c.alias, server: c.server })),
    pki.caCert,
    pki.adminToken,
  );
  const save = () => writeJson(join(stateDir, STATE_FILE), state);
  const spawnRecorded = (name: string, bin: string, args: string[], match?: string) => {
    const rec = startProcess(name, bin, args, join(stateDir, 'logs', `${name}.log`), match ?? bin);
    state.processes.push(rec);
    save();
    return rec;
  };

  try {
    if (opts.realNode) {
      const [kubelet = 0, kubeletHealthz = 0, proxyMetrics = 0, proxyHealthz = 0] =
        await freePorts(4);
      log(`real node: bridge ${REAL_NODE_NETWORK.bridge} ${REAL_NODE_NETWORK.ip}`);
      state.realNode = prepareRealNodeNetwork(stateDir, opts.realNode, {
        kubelet,
        kubeletHealthz,
        proxyMetrics,
        proxyHealthz,
      });
      save();
    }
    log(`starting etcd on 127.0.0.1:${etcdClient}`);
    const etcd = spawnRecorded('etcd', tools.etcd, etcdArgs(stateDir, etcdClient, etcdPeer));
    await waitFor('etcd', 30_000, async () => {
      if (!isRunning(etcd)) throw new Error('etcd exited');
      const res = await fetch(`${state.etcd.clientUrl}/health`);
      return res.ok;
    });

    log(`starting ${clusters.length} kube-apiservers`);
    const apis = clusters.map((c, i) =>
      spawnRecorded(
        `${c.alias}-apiserver`,
        tools.kubeApiserver,
        apiserverArgs(pki, c, apiPorts[i] ?? 0, state.etcd.clientUrl, Boolean(opts.realNode)),
      ),
    );
    await Promise.all(
      clusters.map((c, i) =>
        waitReady(
          c.server,
          pki.caCert,
          pki.adminToken,
          120_000,
          () => isRunning(apis[i] as ProcessRecord),
          `${c.alias} kube-apiserver (see ${apis[i]?.log})`,
        ),
      ),
    );
    log(`api servers ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);

    for (const c of clusters) {
      spawnRecorded(
        `${c.alias}-controller-manager`,
        tools.kubeControllerManager,
        controllerManagerArgs(pki, c),
      );
      if (c.role === 'member') {
        spawnRecorded(`${c.alias}-scheduler`, tools.kubeScheduler, [
          '--kubeconfig',
          c.kubeconfigPath,
          '--leader-elect=false',
          '--secure-port=0',
          '-v=1',
        ]);
        spawnRecorded(`${c.alias}-kwok`, tools.kwok, kwokArgs(c));
      }
    }

    for (const m of topology.members) {
      const c = member(state, m.id);
      await applyManifestFile(kubeConfigFor(c), PROVISIONING_REQUEST_CRD);
      await createFixedNodes(c, m, tools);
    }
    await Promise.all(topology.members.map((m) => waitNodesReady(member(state, m.id), m)));
    const real = state.realNode;
    const realCluster = clusters.find((c) => c.alias === opts.realNode);
    if (real && realCluster) {
      log(`starting the real node ${real.nodeName} in ${realCluster.alias}`);
      await startRealNode(real, realCluster.kubeconfigPath, kubeConfigFor(realCluster), (n, b, a) =>
        spawnRecorded(n, b, a),
      );
      save();
    }

    if (opts.provisioner !== false && topology.members.some((m) => m.provisioning)) {
      const script = join(REPO_ROOT, 'e2e', 'provisioner', 'main.ts');
      const args = ['--import', 'tsx', script, '--state', stateDir];
      if (opts.idleSeconds !== undefined) args.push('--idle-seconds', String(opts.idleSeconds));
      if (opts.scaleUpDelaySeconds !== undefined)
        args.push('--scale-up-delay-seconds', String(opts.scaleUpDelaySeconds));
      spawnRecorded('provisioner', process.execPath, args, script);
    }
    log(`fleet ${topology.name} up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return state;
  } catch (err) {
    log(`start-up failed: ${String(err)}; logs are in ${join(stateDir, 'logs')}`);
    throw err;
  }
}

async function createFixedNodes(c: ClusterInfo, m: MemberSpec, tools: Tools): Promise<void> {
  const core = kubeConfigFor(c).makeApiClient(CoreV1Api);
  for (const pool of m.nodePools) {
    for (const name of fixedNodeNames(pool)) {
      await core.createNode({ body: nodeManifest(pool, name, `${tools.kubeVersion}-kwok`) });
    }
  }
}

async function waitNodesReady(c: ClusterInfo, m: MemberSpec): Promise<void> {
  const want = m.nodePools.reduce((n, p) => n + p.count, 0);
  const core = kubeConfigFor(c).makeApiClient(CoreV1Api);
  // kwok readies a few hundred nodes a minute on a busy machine: the scale bench asks for 1000s.
  await waitFor(`${want} Ready nodes in ${c.alias}`, Math.max(60_000, want * 200), async () => {
    const nodes = await core.listNode();
    const ready = nodes.items.filter((n) =>
      n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
    );
    return ready.length >= want;
  });
}

function etcdArgs(stateDir: string, client: number, peer: number): string[] {
  return [
    '--name=fleet',
    `--data-dir=${join(stateDir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=fleet=http://127.0.0.1:${peer}`,
    // A throwaway test store: durability buys nothing here and fsync costs a lot on shared disks.
    '--unsafe-no-fsync',
    '--quota-backend-bytes=4294967296',
    '--log-level=warn',
  ];
}

function apiserverArgs(
  pki: FleetPki,
  c: ClusterInfo,
  port: number,
  etcdUrl: string,
  realNode = false,
): string[] {
  const serving = realNode
    ? ensureServingCert(pki, `${c.alias}-real`, realNodeServingNames())
    : ensureServingCert(pki, c.alias);
  const listen = realNode
    ? realNodeApiserverArgs()
    : [
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        // The default/kubernetes Endpoints would point at loopback, which validation forbids.
        '--endpoint-reconciler-type=none',
      ];
  return [
    `--etcd-servers=${etcdUrl}`,
    // One etcd serves every control plane; each keeps its objects under its own prefix.
    `--etcd-prefix=/${c.alias}/registry`,
    ...listen,
    `--secure-port=${port}`,
    `--tls-cert-file=${serving.cert}`,
    `--tls-private-key-file=${serving.key}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${pki.tokenFile}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    '--profiling=false',
    '-v=1',
  ];
}

function controllerManagerArgs(pki: FleetPki, c: ClusterInfo): string[] {
  const args = [
    `--kubeconfig=${c.kubeconfigPath}`,
    '--leader-elect=false',
    '--secure-port=0',
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    '--use-service-account-credentials=false',
    `--cluster-name=${c.name}`,
    '-v=1',
  ];
  if (c.role === 'hub') {
    // Hub Deployments are templates: no deployment, replicaset or scheduler ever acts on them.
    args.push(
      '--controllers=namespace-controller,garbage-collector-controller,serviceaccount-token-controller',
    );
  }
  return args;
}

function kwokArgs(c: ClusterInfo): string[] {
  return [
    `--kubeconfig=${c.kubeconfigPath}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--cidr=10.0.0.1/16',
    '--node-ip=10.0.0.1',
    '--server-address=',
    // Spelled out, not left to kwok's default: without a lease duration kwok v0.7 renews no
    // node Lease and heartbeats node status only every ~10 minutes, so the member's node
    // lifecycle controller marks every node Unknown after its 50 s grace period and every pod
    // on it Ready=False (kwok re-readies the node but never the pods). With leases, kwok renews
    // each node's Lease in kube-node-lease every 10 s, as a kubelet does.
    '--node-lease-duration-seconds=40',
    // Tests mark a pod with this annotation to keep kwok's hands off it: deleted, it then stays
    // Terminating (no kubelet confirms), as a pod with a slow shutdown would.
    `--disregard-status-with-annotation-selector=${HOLD_ANNOTATION}=true`,
  ];
}

export async function fleetDown(
  stateDir: string,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const dir = resolve(stateDir);
  const state = readState(dir);
  const real = readRealNode(dir);
  const realCluster = state?.clusters.find((c) => c.alias === real?.cluster);
  if (state && real && realCluster) {
    const kubelet = state.processes.find((p) => p.name === 'kubelet');
    if (kubelet && isRunning(kubelet)) {
      log(`draining the real node ${real.nodeName}`);
      await drainRealNode(real, kubeConfigFor(realCluster));
    }
  }
  if (state) {
    // Stop clients before servers: provisioner and controllers, then API servers, etcd last.
    const order = [...state.processes].reverse();
    for (const rec of order) {
      if (isRunning(rec)) log(`stopping ${rec.name} (pid ${rec.pid})`);
      await stopProcess(rec);
    }
  }
  if (real) {
    log('cleaning up after the real node');
    cleanUpRealNode(real);
  }
  rmSync(dir, { recursive: true, force: true });
}

export interface FleetMemory {
  total: number;
  byProcess: { name: string; pid: number; rss: number }[];
}

export function fleetMemory(state: FleetState): FleetMemory {
  const byProcess = state.processes.map((p) => ({
    name: p.name,
    pid: p.pid,
    rss: isRunning(p) ? rssBytes(p.pid) : 0,
  }));
  return { total: byProcess.reduce((s, p) => s + p.rss, 0), byProcess };
}

/** Stops one process of the fleet (e.g. a member's API server, to simulate an outage). */
export async function stopFleetProcess(state: FleetState, name: string): Promise<void> {
  const rec = state.processes.find((p) => p.name === name);
  if (!rec) throw new Error(`no process ${name} in fleet ${state.topology.name}`);
  await stopProcess(rec, 2000);
}

/** Starts a stopped process again with its original command line, and records the new pid. */
export function restartFleetProcess(state: FleetState, name: string): ProcessRecord {
  const i = state.processes.findIndex((p) => p.name === name);
  const old = state.processes[i];
  if (!old) throw new Error(`no process ${name} in fleet ${state.topology.name}`);
  if (isRunning(old)) return old;
  const rec = startProcess(old.name, old.binary, old.args, old.log, old.match);
  state.processes[i] = rec;
  writeJson(join(state.stateDir, STATE_FILE), state);
  return rec;
}
