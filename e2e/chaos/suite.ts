/**
 * The chaos suite: random operations over many workloads on the local fleet while faults are
 * injected, in rounds. Each round applies a slice of the operations while one fault runs, then
 * waits for the fleet to settle (measuring how long that takes after the fault ended) and checks
 * the invariants (invariants.ts). Pods are sampled all along for doubling. A last phase kills the
 * ResourcePolicy controller and webhook during a 50-pod burst. `make chaos` runs the full suite
 * (run.ts); e2e/chaos/slice.e2e.test.ts runs a short slice of it in `make test`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
} from '@kubernetes/client-node';
import { prng } from '../../bench/prng.js';
import { NAMESPACE_LABEL } from '../../src/resourcepolicy/constants.js';
import {
  REPO_ROOT,
  TOPOLOGIES,
  fleetDown,
  fleetUp,
  hub,
  kubeConfigFor,
  member,
  members,
  restartFleetProcess,
  stopFleetProcess,
  type ClusterInfo,
  type FleetState,
} from '../fleet/index.js';
import { applyManifestFile } from '../fleet/apply.js';
import { ensurePki } from '../fleet/pki.js';
import { freePorts } from '../fleet/ports.js';
import { isRunning, stopProcess, type ProcessRecord } from '../fleet/processes.js';
import { waitFor, waitReady } from '../fleet/readiness.js';
import { installCrds, registerMembers } from '../support/spillway.js';
import { FaultProxy } from './fault-proxy.js';
import { readFleet, readHub, readMembers, type MemberView } from './fleet-view.js';
import {
  INVARIANTS,
  checkDoubling,
  checkRepeatedErrors,
  checkSettled,
  excusedPods,
  orphanPods,
  parseLog,
  shareDrops,
  sharesOf,
  type Outage,
  type ShareDrop,
  type Violation,
} from './invariants.js';
import {
  generateOperations,
  groupsOf,
  initialWorkloads,
  type Operation,
  type PolicyShape,
  type WorkloadModel,
} from './operations.js';
import {
  alive,
  leaseHolder,
  liveReplicas,
  replicaOf,
  rssOf,
  signal,
  startFleetReplica,
  startResourcePolicyController,
  writesSince,
  type Replica,
} from './processes.js';

export type FaultKind =
  | 'controller-kills'
  | 'leader-pause'
  | 'member-outage'
  | 'hub-restart'
  | 'etcd-restart'
  | 'network';

export interface ChaosOptions {
  seed: number;
  workloads: number;
  operations: number;
  /** One fault per round, in this order; operations are split evenly over the rounds. */
  rounds: FaultKind[];
  /** Member outage length, seconds: uniform in [min, max]. */
  outageSeconds: [number, number];
  /** Network fault length, seconds. */
  networkSeconds: [number, number];
  /** Controller kills per `controller-kills` round, 5-15 s apart. */
  killsPerRound: number;
  /** Kill the ResourcePolicy controller and webhook during a 50-pod burst. */
  resourcePolicyBurst: boolean;
  /** How long the fleet may take to settle after a round's fault. */
  settleTimeoutMs: number;
  stateDir: string;
  log: (line: string) => void;
}

export interface InjectedFault {
  kind: FaultKind | 'controller-kill' | 'resource-policy-kill';
  detail: string;
  endedAt: number;
}

export interface ChaosReport {
  seed: number;
  operations: number;
  invariants: string[];
  faults: InjectedFault[];
  /** Per round: ms from the end of its fault until every settled invariant held. */
  settleMs: number[];
  /** Leader kills: ms from the kill until another replica held the lease. */
  takeoverMs: number[];
  samples: number;
  /** Per settled round: pods of deleted copies the members' garbage collectors had not removed. */
  orphanPods: number[];
  /** Samples where pods were excused (excusedPods), and the most in one sample. */
  excused: { samples: number; max: number };
  violations: Violation[];
  extraViolations: string[];
  proxy: FaultProxy['stats'];
  controllerRssBytes: number[];
  durationMs: number;
}

export const NAMESPACE = 'chaos';
const RP_NAMESPACE = 'rp-chaos';
const RP_POOL_LABEL = 'spillway.dev/local-fleet-pool';
const RP_FIRST_MAX = 20;
const BURST = 50;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Retries a write while the hub is restarting (a fault, not a failure of the operation). */
async function retry<T>(what: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404 || code === 409) throw err;
      if (Date.now() > deadline) throw new Error(`${what}: ${String(err)}`, { cause: err });
      await sleep(1000);
    }
  }
}

function template(w: { name: string; replicas: number; image: string }): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, namespace: NAMESPACE },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: { app: w.name } },
      template: {
        metadata: { labels: { app: w.name } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: 'main',
              image: w.image,
              resources: { requests: { cpu: '20m', memory: '16Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** The suite's fleet and what it runs there; the rounds use it. */
class ChaosRun {
  readonly report: ChaosReport;
  readonly replicas: Replica[] = [];
  private replicaCount = 0;
  private supervising = true;
  private readonly random: () => number;
  private readonly hubKc: KubeConfig;
  private readonly memberViews: MemberView[];
  private readonly peak = new Map<string, number>();
  private readonly expectedExits = new Set<number>();
  private sampling = false;
  /** Member API server outages, as the fault log has them (excusedPods). */
  private readonly outages: Outage[] = [];
  private shares: Map<string, number> | undefined;
  private sharesAt = 0;
  private readonly drops: ShareDrop[] = [];
  private roundName = 'first placement';
  private proxyPort = 0;

  constructor(
    readonly state: FleetState,
    readonly opts: ChaosOptions,
    readonly proxy: FaultProxy,
  ) {
    this.random = prng(opts.seed ^ 0x5eed);
    this.hubKc = kubeConfigFor(hub(state));
    this.memberViews = members(state).map((m) => ({ name: m.name, kubeConfig: kubeConfigFor(m) }));
    this.report = {
      seed: opts.seed,
      operations: 0,
      invariants: [],
      faults: [],
      settleMs: [],
      takeoverMs: [],
      samples: 0,
      orphanPods: [],
      excused: { samples: 0, max: 0 },
      violations: [],
      extraViolations: [],
      proxy: proxy.stats,
      controllerRssBytes: [],
      durationMs: 0,
    };
  }

  get idc(): ClusterInfo {
    return member(this.state, 'cluster-idc-demo');
  }

  get bj(): ClusterInfo {
    return member(this.state, 'cluster-bj-demo');
  }

  private between([min, max]: [number, number]): number {
    return min + this.random() * (max - min);
  }

  // ---- set-up ------------------------------------------------------------------------------

  async setUp(model: WorkloadModel[]): Promise<void> {
    // The members' node lifecycle controller gets a grace period longer than any run. No node
    // fails in this suite (kwok runs throughout), and after a member API server outage that
    // controller is wrong: it judges node health from its informer cache, which client-go's
    // reflector re-lists up to a minute after the API server is back (its backoff grows to 30 s,
    // with jitter up to twice that), so a node whose Lease kwok renewed all along looked silent
    // for the outage plus that minute and was marked unresponsive, and every pod on it
    // Ready=False. A real kubelet marks its pods Ready again at its next status sync; kwok never
    // does, so those replicas stayed NotReady for good (seen after an 87 s outage with a 150 s
    // grace period, with no Spillway object involved). The controller stays on: it also removes
    // the not-ready taint a node is created with once the node is Ready.
    for (const m of members(this.state)) {
      const name = `${m.alias}-controller-manager`;
      const rec = this.state.processes.find((p) => p.name === name);
      if (!rec) throw new Error(`no ${name}`);
      await stopFleetProcess(this.state, name);
      rec.args = [...rec.args, '--node-monitor-grace-period=1h'];
      restartFleetProcess(this.state, name);
    }
    await installCrds(this.hubKc);
    const core = this.hubKc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } }).catch(() => undefined);
    // bj is reached through the fault proxy: the controller's kubeconfig points at it.
    this.proxyPort = await this.proxy.start();
    await registerMembers(this.state, {
      serverOverrides: { [this.bj.name]: `https://127.0.0.1:${this.proxyPort}` },
    });
    for (const w of model) await this.applyPolicy(w.name, w.shape, true);
    const apps = this.hubKc.makeApiClient(AppsV1Api);
    for (const w of model) {
      await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: template(w) });
      this.peak.set(`${NAMESPACE}/${w.name}`, w.replicas);
    }
    this.startReplica();
    this.startReplica();
    void this.supervise();
  }

  private clusterIds(aliases: string[]): string[] {
    return aliases.map((a) => (a === 'idc' ? this.idc.name : this.bj.name));
  }

  private async applyPolicy(workload: string, shape: PolicyShape, create = false): Promise<void> {
    const custom = this.hubKc.makeApiClient(CustomObjectsApi);
    const clusterAffinities = groupsOf(shape).map(([affinityName, aliases]) => ({
      affinityName,
      clusterNames: this.clusterIds(aliases),
    }));
    const ref = {
      group: 'policy.one.alibabacloud.com',
      version: 'v1alpha1',
      plural: 'propagationpolicies',
      namespace: NAMESPACE,
    };
    if (!create) {
      await custom.patchNamespacedCustomObject(
        { ...ref, name: workload, body: { spec: { placement: { clusterAffinities } } } },
        mergePatch,
      );
      return;
    }
    await custom.createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
        kind: 'PropagationPolicy',
        metadata: { name: workload, namespace: NAMESPACE },
        spec: {
          resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: workload }],
          // Longer than any outage of the suite: replicas stay where they are while a member is
          // down, so its return never finds them doubled elsewhere.
          failover: { cluster: { tolerationSeconds: 300 } },
          placement: {
            clusterAffinities,
            replicaScheduling: {
              replicaSchedulingType: 'Divided',
              replicaDivisionPreference: 'Weighted',
              weightPreference: { dynamicWeight: 'AvailableReplicas' },
            },
          },
        },
      },
    });
  }

  // ---- controller replicas -----------------------------------------------------------------

  private startReplica(): Replica {
    const r = startFleetReplica(this.state, `fleet-controller-${++this.replicaCount}`);
    this.replicas.push(r);
    return r;
  }

  private live(): Replica[] {
    return liveReplicas(this.replicas);
  }

  /** Keeps two replicas running; an exit nobody caused is reported (a crash). */
  private async supervise(): Promise<void> {
    while (this.supervising) {
      await sleep(1000);
      if (!this.supervising) return;
      for (const r of this.replicas) {
        if (r.killedAt !== undefined || alive(r)) continue;
        r.killedAt = Date.now();
        const log = readFileSync(r.rec.log, 'utf8');
        const lostLease = log.includes('lost leadership');
        if (!lostLease && !this.expectedExits.has(r.rec.pid))
          this.report.extraViolations.push(
            `${r.rec.name} exited by itself: ${log.trim().split('\n').slice(-3).join(' | ')}`,
          );
      }
      while (this.live().length < 2) this.startReplica();
    }
  }

  async leader(timeoutMs = 90_000): Promise<Replica> {
    let found: Replica | undefined;
    await waitFor('a fleet controller leader', timeoutMs, async () => {
      found = replicaOf(this.live(), await leaseHolder(this.hubKc));
      return found !== undefined;
    });
    if (!found) throw new Error('no leader');
    return found;
  }

  private kill(r: Replica): void {
    r.killedAt = Date.now();
    this.expectedExits.add(r.rec.pid);
    signal(r, 'SIGKILL');
  }

  // ---- operations ----------------------------------------------------------------------------

  private touch(workload: string, replicas: number): void {
    const k = `${NAMESPACE}/${workload}`;
    this.peak.set(k, Math.max(this.peak.get(k) ?? 0, replicas));
  }

  async apply(op: Operation, model: Map<string, { replicas: number }>): Promise<void> {
    const apps = this.hubKc.makeApiClient(AppsV1Api);
    const name = op.workload;
    switch (op.op) {
      case 'scale':
        this.touch(name, op.replicas);
        await retry(`scale ${name}`, () =>
          apps.patchNamespacedDeployment(
            { name, namespace: NAMESPACE, body: { spec: { replicas: op.replicas } } },
            mergePatch,
          ),
        );
        break;
      case 'edit-template':
        await retry(`edit ${name}`, () =>
          apps.patchNamespacedDeployment(
            {
              name,
              namespace: NAMESPACE,
              body: {
                spec: {
                  template: { spec: { containers: [{ name: 'main', image: op.image }] } },
                },
              },
            },
            setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
          ),
        );
        break;
      case 'edit-policy':
        await retry(`policy ${name}`, () => this.applyPolicy(name, op.shape));
        break;
      case 'delete':
        await retry(`delete ${name}`, () =>
          apps.deleteNamespacedDeployment({ name, namespace: NAMESPACE }),
        );
        // The template goes once its copies are gone (finalizer); recreating needs it gone.
        await waitFor(`${name} template gone`, this.opts.settleTimeoutMs, async () =>
          apps
            .readNamespacedDeployment({ name, namespace: NAMESPACE })
            .then(() => false)
            .catch((err: unknown) => (err as { code?: number }).code === 404),
        );
        break;
      case 'create':
        this.touch(name, op.replicas);
        await retry(`create ${name}`, () =>
          apps.createNamespacedDeployment({
            namespace: NAMESPACE,
            body: template({ name, replicas: op.replicas, image: op.image }),
          }),
        );
        break;
    }
    model.set(name, {
      replicas: 'replicas' in op ? op.replicas : (model.get(name)?.replicas ?? 0),
    });
    this.report.operations++;
  }

  // ---- sampling ------------------------------------------------------------------------------

  /** Samples pods every ~2 s until stopped, checking for doubling. */
  startSampling(): () => Promise<void> {
    this.sampling = true;
    const loop = (async () => {
      while (this.sampling) {
        try {
          await this.trackShares();
          // The members are read at the first list's resourceVersion: the sample is this moment,
          // however long the reads take on a loaded machine.
          const sampledAt = Date.now();
          const s = await readMembers(this.memberViews, NAMESPACE);
          this.report.samples++;
          const excused = excusedPods(
            s.pods,
            this.shares ?? new Map(),
            this.drops,
            this.outages,
            sampledAt,
          );
          const spared = [...excused.values()].reduce((a, b) => a + b, 0);
          if (spared > 0) {
            this.report.excused.samples++;
            this.report.excused.max = Math.max(this.report.excused.max, spared);
          }
          const at = `${new Date(sampledAt).toISOString().slice(11, 19)}, read in ${Math.round((Date.now() - sampledAt) / 1000)}s`;
          for (const v of checkDoubling(s, this.peak, excused)) {
            // When and in which round: the member and controller logs then tell why.
            const found = { ...v, message: `${v.message} (at ${at}, round ${this.roundName})` };
            this.report.violations.push(found);
            this.opts.log(`violation: ${found.message}`);
          }
        } catch {
          // a list that failed mid-fault: the next sample will do
        }
        await sleep(2000);
      }
    })();
    return async () => {
      this.sampling = false;
      await loop;
    };
  }

  /** Bindings' replicas per member now, and which went down since the last sample. */
  private async trackShares(): Promise<void> {
    const readAt = Date.now();
    const hubView = await readHub(this.hubKc, NAMESPACE).catch(() => undefined);
    if (!hubView) return; // the hub restarting: the next read spans the gap
    const now = sharesOf(hubView.bindings);
    if (this.shares) this.drops.push(...shareDrops(this.shares, now, this.sharesAt, readAt));
    this.shares = now;
    this.sharesAt = readAt;
  }

  /** The round is over: peaks start again from what the templates ask now. */
  private async resetPeaks(): Promise<void> {
    const s = await readFleet(this.hubKc, this.memberViews, NAMESPACE);
    this.peak.clear();
    for (const t of s.templates) this.peak.set(`${t.namespace}/${t.name}`, t.replicas);
  }

  /** Polls until every settled invariant holds; returns ms since `from`, or throws with the rest. */
  async settle(from: number): Promise<number> {
    let last: Violation[] = [];
    try {
      await waitFor('the fleet to settle', this.opts.settleTimeoutMs, async () => {
        const s = await readFleet(this.hubKc, this.memberViews, NAMESPACE);
        if (s.unreachable.length > 0) {
          last = [{ invariant: 'readyPods', message: `unreachable: ${s.unreachable.join(', ')}` }];
          return false;
        }
        last = checkSettled(s);
        this.noteUnsettled(last);
        if (last.length === 0) this.report.orphanPods.push(orphanPods(s).length);
        return last.length === 0;
      });
    } catch {
      this.report.violations.push(...last);
      return Date.now() - from;
    }
    return Date.now() - from;
  }

  /** What still differed a moment ago, for the log when settling takes long. */
  private lastUnsettled: Violation[] = [];
  private noteUnsettled(v: Violation[]): void {
    if (v.length > 0) this.lastUnsettled = v;
  }

  // ---- faults --------------------------------------------------------------------------------

  private fault(kind: InjectedFault['kind'], detail: string): void {
    this.report.faults.push({ kind, detail, endedAt: Date.now() });
    this.opts.log(`fault: ${kind} ${detail}`);
  }

  async controllerKills(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await sleep(this.between([5000, 15000]));
      const live = this.live();
      const leader = replicaOf(live, await leaseHolder(this.hubKc));
      // Mostly the leader (the kill that matters), sometimes the standby.
      const victim =
        leader && this.random() < 0.75 ? leader : live[Math.floor(this.random() * live.length)];
      if (!victim) continue;
      const killedAt = Date.now();
      this.kill(victim);
      this.fault('controller-kill', `${victim.rec.name}${victim === leader ? ' (leader)' : ''}`);
      if (victim === leader) {
        // The other replica takes over once the lease runs out.
        const next = await this.leader(120_000).catch(() => undefined);
        if (next) this.report.takeoverMs.push(Date.now() - killedAt);
        else
          this.report.extraViolations.push(
            `no leader within 120 s after killing ${victim.rec.name}`,
          );
      }
    }
  }

  /**
   * SIGSTOP the leader past its lease; the other replica takes over; SIGCONT: the deposed leader
   * must send no write from then on (it stops at its next lease check and exits).
   */
  async leaderPause(): Promise<void> {
    const leader = await this.leader();
    const holder = await leaseHolder(this.hubKc);
    signal(leader, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await waitFor('another replica to take the lease', 120_000, async () => {
        const h = await leaseHolder(this.hubKc);
        return h !== '' && h !== holder;
      });
      this.report.takeoverMs.push(Date.now() - stoppedAt);
      // The new leader works a little while the old one is still frozen.
      await sleep(3000);
    } finally {
      const resumedAt = Date.now();
      this.expectedExits.add(leader.rec.pid);
      signal(leader, 'SIGCONT');
      await waitFor('the deposed leader to exit', 60_000, async () => !alive(leader)).catch(
        () => undefined,
      );
      const writes = writesSince(leader, resumedAt);
      if (writes.length > 0)
        this.report.extraViolations.push(
          `deposed leader ${leader.rec.name} sent ${writes.length} writes after resuming: ${writes.slice(0, 5).join('; ')}`,
        );
      if (alive(leader))
        this.report.extraViolations.push(
          `deposed leader ${leader.rec.name} still runs after resuming`,
        );
      this.fault(
        'leader-pause',
        `${leader.rec.name} stopped ${Math.round((resumedAt - stoppedAt) / 1000)}s, ${writes.length} writes after resuming`,
      );
    }
  }

  async memberOutage(): Promise<void> {
    const m = this.random() < 0.5 ? this.idc : this.bj;
    const seconds = Math.round(this.between(this.opts.outageSeconds));
    const outage: Outage = { cluster: m.name, from: Date.now() };
    this.outages.push(outage);
    await stopFleetProcess(this.state, `${m.alias}-apiserver`);
    await sleep(seconds * 1000);
    await this.restartApiserver(m);
    outage.to = Date.now();
    this.fault('member-outage', `${m.alias} API server down ${seconds}s`);
  }

  private async restartApiserver(c: ClusterInfo): Promise<void> {
    const rec = restartFleetProcess(this.state, `${c.alias}-apiserver`);
    const pki = ensurePki(join(this.state.stateDir, 'pki'));
    await waitReady(c.server, pki.caCert, pki.adminToken, 120_000, () => isRunning(rec), c.alias);
  }

  async hubRestart(): Promise<void> {
    await stopFleetProcess(this.state, 'hub-apiserver');
    await this.restartApiserver(hub(this.state));
    this.fault('hub-restart', 'hub API server stopped and started');
  }

  async etcdRestart(): Promise<void> {
    await stopFleetProcess(this.state, 'etcd');
    const rec = restartFleetProcess(this.state, 'etcd');
    await waitFor('etcd', 60_000, async () => {
      if (!isRunning(rec)) throw new Error('etcd exited');
      return (await fetch(`${this.state.etcd.clientUrl}/health`)).ok;
    });
    const pki = ensurePki(join(this.state.stateDir, 'pki'));
    for (const c of this.state.clusters)
      await waitReady(c.server, pki.caCert, pki.adminToken, 120_000, () => true, c.alias);
    this.fault('etcd-restart', 'etcd stopped and started');
  }

  async network(): Promise<void> {
    const seconds = Math.round(this.between(this.opts.networkSeconds));
    await this.proxy.inject(
      { latencyMs: [100, 800], dropRate: 0.2, resetRate: 0.2 },
      seconds * 1000,
    );
    this.fault(
      'network',
      `controller <-> ${this.bj.alias}: ${seconds}s of 100-800 ms latency, 20% dropped, 20% reset`,
    );
  }

  async runFault(kind: FaultKind): Promise<void> {
    switch (kind) {
      case 'controller-kills':
        return this.controllerKills(this.opts.killsPerRound);
      case 'leader-pause':
        return this.leaderPause();
      case 'member-outage':
        return this.memberOutage();
      case 'hub-restart':
        return this.hubRestart();
      case 'etcd-restart':
        return this.etcdRestart();
      case 'network':
        return this.network();
    }
  }

  // ---- rounds --------------------------------------------------------------------------------

  async round(
    kind: FaultKind,
    ops: Operation[],
    model: Map<string, { replicas: number }>,
  ): Promise<void> {
    this.roundName = `${this.report.settleMs.length + 1} (${kind})`;
    this.opts.log(`round: ${kind}, ${ops.length} operations`);
    const applyAll = (async () => {
      for (const op of ops) {
        // An operation the hub refuses for good (not a fault's retryable error) is a finding,
        // not a reason to stop the run.
        this.opts.log(`op: ${JSON.stringify(op)}`);
        await this.apply(op, model).catch((err: unknown) =>
          this.report.extraViolations.push(
            `operation ${JSON.stringify(op)} failed: ${String(err)}`,
          ),
        );
        await sleep(300 + this.random() * 700);
      }
    })();
    const fault = this.runFault(kind);
    await Promise.all([applyAll, fault]);
    const faultEnd = Date.now();
    this.lastUnsettled = [];
    const ms = await this.settle(faultEnd);
    this.report.settleMs.push(ms);
    this.opts.log(
      `settled ${Math.round(ms / 1000)}s after the fault${
        ms > 30_000
          ? `; last waiting for: ${this.lastUnsettled
              .map((v) => v.message)
              .slice(0, 3)
              .join('; ')}`
          : ''
      }`,
    );
    await this.resetPeaks();
  }

  /** After the last round: a quiet minute-ish, then no warning or error may repeat. */
  async checkLogs(since: number, quietMs: number): Promise<void> {
    await sleep(quietMs);
    for (const r of this.live()) {
      const lines = parseLog(readFileSync(r.rec.log, 'utf8'));
      for (const v of checkRepeatedErrors(lines, since))
        this.report.violations.push({ ...v, message: `${r.rec.name}: ${v.message}` });
    }
  }

  // ---- the ResourcePolicy burst --------------------------------------------------------------

  async resourcePolicyBurst(): Promise<void> {
    const c = this.idc;
    const kc = kubeConfigFor(c);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await applyManifestFile(
      kc,
      join(REPO_ROOT, 'config', 'crds', 'scheduling.alibabacloud.com_resourcepolicies.yaml'),
    );
    await core
      .createNamespace({ body: { metadata: { name: RP_NAMESPACE } } })
      .catch(() => undefined);
    const [port = 0] = await freePorts(1);
    let rp: ProcessRecord = startResourcePolicyController(this.state, c, 'resource-policy-1', port);
    const custom = kc.makeApiClient(CustomObjectsApi);
    await retry('ResourcePolicy', () =>
      custom.createNamespacedCustomObject({
        group: 'scheduling.alibabacloud.com',
        version: 'v1alpha1',
        plural: 'resourcepolicies',
        namespace: RP_NAMESPACE,
        body: {
          apiVersion: 'scheduling.alibabacloud.com/v1alpha1',
          kind: 'ResourcePolicy',
          metadata: { name: 'burst', namespace: RP_NAMESPACE },
          spec: {
            selector: { app: 'burst' },
            units: [
              { resource: 'ecs', nodeSelector: { [RP_POOL_LABEL]: 'idc-cpu' }, max: RP_FIRST_MAX },
              { resource: 'ecs', nodeSelector: { [RP_POOL_LABEL]: 'idc-gpu' } },
            ],
          },
        },
      }),
    );
    await waitFor('the ResourcePolicy namespace labelled', 90_000, async () => {
      const ns = await core.readNamespace({ name: RP_NAMESPACE });
      return ns.metadata?.labels?.[NAMESPACE_LABEL] === 'true';
    });
    const pool = async () => {
      const pods = (
        await core.listNamespacedPod({ namespace: RP_NAMESPACE, labelSelector: 'app=burst' })
      ).items.filter((p) => !p.metadata?.deletionTimestamp);
      const count = (prefix: string) =>
        pods.filter((p) => (p.spec?.nodeName ?? '').startsWith(prefix)).length;
      return {
        first: count('idc-cpu'),
        second: count('idc-gpu'),
        running: pods.filter((p) => p.status?.phase === 'Running').length,
      };
    };
    await apps.createNamespacedDeployment({
      namespace: RP_NAMESPACE,
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'burst', namespace: RP_NAMESPACE },
        spec: {
          replicas: BURST,
          selector: { matchLabels: { app: 'burst' } },
          template: {
            metadata: { labels: { app: 'burst' } },
            spec: {
              terminationGracePeriodSeconds: 0,
              containers: [
                {
                  name: 'main',
                  image: 'example.invalid/app:1',
                  resources: { requests: { cpu: '10m' } },
                },
              ],
            },
          },
        },
      },
    });
    let maxBroken = '';
    const watch = setInterval(() => {
      void pool()
        .then((p) => {
          if (p.first > RP_FIRST_MAX)
            maxBroken = `${p.first} pods in the first unit (max ${RP_FIRST_MAX})`;
        })
        .catch(() => undefined);
    }, 1000);
    await sleep(500 + this.random() * 1500);
    await stopProcess(rp, 0);
    const down = Math.round(this.between([5, 15]));
    await sleep(down * 1000);
    rp = startResourcePolicyController(this.state, c, 'resource-policy-2', port);
    const killedAt = Date.now();
    this.fault(
      'resource-policy-kill',
      `controller and webhook killed during a ${BURST}-pod burst, down ${down}s`,
    );
    let last = { first: 0, second: 0, running: 0 };
    try {
      await waitFor(`${BURST} burst pods Running`, this.opts.settleTimeoutMs, async () => {
        last = await pool();
        return last.running === BURST;
      });
      this.report.settleMs.push(Date.now() - killedAt);
    } catch {
      this.report.extraViolations.push(
        `burst not Running after the controller restart: ${JSON.stringify(last)}`,
      );
    }
    clearInterval(watch);
    if (maxBroken) this.report.extraViolations.push(`ResourcePolicy max broken: ${maxBroken}`);
    if (last.first !== RP_FIRST_MAX || last.second !== BURST - RP_FIRST_MAX)
      this.report.extraViolations.push(
        `ResourcePolicy unit order: ${last.first} in the first unit (max ${RP_FIRST_MAX}), ${last.second} in the second`,
      );
    await apps
      .deleteNamespacedDeployment({ name: 'burst', namespace: RP_NAMESPACE })
      .catch(() => undefined);
    await stopProcess(rp);
  }

  async stop(): Promise<void> {
    this.supervising = false;
    for (const r of this.replicas) this.report.controllerRssBytes.push(alive(r) ? rssOf(r) : 0);
    this.report.controllerRssBytes = this.report.controllerRssBytes.filter((n) => n > 0);
    for (const r of this.replicas) await stopProcess(r.rec);
    await this.proxy.close();
  }
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const random = prng(opts.seed);
  await fleetDown(opts.stateDir);
  opts.log(`starting the fleet in ${opts.stateDir}`);
  const state = await fleetUp({
    topologyPath: join(TOPOLOGIES, 'demo.yaml'),
    stateDir: opts.stateDir,
    provisioner: false,
  });
  const bj = member(state, 'cluster-bj-demo');
  const proxy = new FaultProxy(
    { host: '127.0.0.1', port: Number(new URL(bj.server).port) },
    random,
  );
  const run = new ChaosRun(state, opts, proxy);
  try {
    const model = initialWorkloads(opts.workloads, random);
    await run.setUp(model);
    const ops = generateOperations(
      model.map((w) => ({ ...w })),
      opts.operations,
      random,
    );
    const replicasOf = new Map(model.map((w) => [w.name, { replicas: w.replicas }]));
    const stopSampling = run.startSampling();
    opts.log(`${opts.workloads} workloads created; waiting for the first placement`);
    await run.settle(Date.now());
    run.report.settleMs.length = 0;
    const per = Math.ceil(ops.length / Math.max(1, opts.rounds.length));
    for (const [i, kind] of opts.rounds.entries())
      await run.round(kind, ops.slice(i * per, (i + 1) * per), replicasOf);
    const lastSettled = Date.now();
    if (opts.resourcePolicyBurst) await run.resourcePolicyBurst();
    await stopSampling();
    await run.checkLogs(lastSettled, 20_000);
    run.report.invariants = [
      ...Object.values(INVARIANTS),
      'a deposed leader sends no write after resuming past its lease',
      'a killed leader is replaced by the other replica',
      'no controller exits by itself',
      ...(opts.resourcePolicyBurst
        ? ['ResourcePolicy max and unit order hold through a controller and webhook kill']
        : []),
    ];
  } finally {
    await run.stop();
    run.report.durationMs = Date.now() - started;
    if (!process.env.SPILLWAY_KEEP_FLEET) await fleetDown(opts.stateDir);
  }
  return run.report;
}

/** The report as the suite prints it. */
export function formatReport(r: ChaosReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const lines = [
    `chaos suite, seed ${r.seed}: ${r.operations} operations, ${r.samples} pod samples, ${s(r.durationMs)}`,
    'invariants checked:',
    ...r.invariants.map((i) => `  - ${i}`),
    `faults injected (${r.faults.length}):`,
    ...r.faults.map((f) => `  - ${f.kind}: ${f.detail}`),
    `network proxy: ${r.proxy.connections} connections, ${r.proxy.delayedChunks} delayed chunks, ${r.proxy.dropped} dropped, ${r.proxy.reset} reset`,
    `leader takeover after a leader kill or pause: median ${s(median(r.takeoverMs))}, max ${s(Math.max(0, ...r.takeoverMs))} (${r.takeoverMs.length})`,
    `time to settle after a round's last fault: median ${s(median(r.settleMs))}, max ${s(Math.max(0, ...r.settleMs))} (${r.settleMs.length} rounds)`,
    `pods of deleted copies not yet collected by the member (not counted as replicas), per round: ${r.orphanPods.join(', ')}`,
    `pods excused on a member that was down when the binding moved replicas off it: in ${r.excused.samples} samples, at most ${r.excused.max} at once`,
    `controller RSS at the end: ${r.controllerRssBytes.map((b) => `${Math.round(b / 2 ** 20)} MiB`).join(', ')}`,
  ];
  const all = [
    ...r.violations.map((v) => `${INVARIANTS[v.invariant]}: ${v.message}`),
    ...r.extraViolations,
  ];
  lines.push(all.length === 0 ? 'violations: none' : `violations (${all.length}):`);
  lines.push(...all.map((v) => `  - ${v}`));
  return lines.join('\n');
}

export function violationCount(r: ChaosReport): number {
  return r.violations.length + r.extraViolations.length;
}
