/** The fleet controller's own metrics, beside the standard controller set. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TargetCluster } from '../api/fleet.js';
import type { ScheduleResult } from '../scheduler/index.js';
import type { TemplateKey } from './template-key.js';

export class FleetMetrics {
  readonly decisions: Counter<'result'>;
  readonly replicas: Gauge<'namespace' | 'workload' | 'cluster' | 'group'>;
  readonly waiting: Gauge<'namespace' | 'workload'>;
  readonly provisioningRequests: Counter<'cluster'>;
  readonly provisioningFailures: Counter<'cluster'>;
  readonly memberReady: Gauge<'cluster'>;
  readonly rebalanceSteps: Counter<'step'>;
  /** Label sets last written per workload, so a cluster that lost its share drops out. */
  private readonly lastReplicaLabels = new Map<
    string,
    { namespace: string; workload: string; cluster: string; group: string }[]
  >();
  private knownMembers = new Set<string>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.decisions = new Counter({
      name: 'spillway_scheduling_decisions_total',
      help: 'Scheduling results by outcome (scheduled, waiting, unplaced).',
      labelNames: ['result'],
      registers,
    });
    this.replicas = new Gauge({
      name: 'spillway_replicas',
      help: 'Replicas scheduled per workload, cluster and affinity group.',
      labelNames: ['namespace', 'workload', 'cluster', 'group'],
      registers,
    });
    this.waiting = new Gauge({
      name: 'spillway_replicas_waiting_for_capacity',
      help: 'Replicas of a workload waiting for capacity.',
      labelNames: ['namespace', 'workload'],
      registers,
    });
    this.provisioningRequests = new Counter({
      name: 'spillway_provisioning_requests_total',
      help: 'ProvisioningRequests created in member clusters.',
      labelNames: ['cluster'],
      registers,
    });
    this.provisioningFailures = new Counter({
      name: 'spillway_provisioning_failures_total',
      help: 'ProvisioningRequests that a member cluster answered with a failure (e.g. CapacityLimitReached).',
      labelNames: ['cluster'],
      registers,
    });
    this.memberReady = new Gauge({
      name: 'spillway_member_cluster_ready',
      help: '1 when the member cluster answers its health probe.',
      labelNames: ['cluster'],
      registers,
    });
    this.rebalanceSteps = new Counter({
      name: 'spillway_rebalance_steps_total',
      help: 'Rebalance move steps by kind (started, completed, aborted).',
      labelNames: ['step'],
      registers,
    });
  }

  /** Readiness of the registered members; series of members no longer registered go. */
  observeMembers(ready: ReadonlyMap<string, boolean>): void {
    for (const name of this.knownMembers) {
      if (ready.has(name)) continue;
      this.memberReady.remove({ cluster: name });
      this.provisioningRequests.remove({ cluster: name });
    }
    for (const [name, r] of ready) this.memberReady.set({ cluster: name }, r ? 1 : 0);
    this.knownMembers = new Set(ready.keys());
  }

  /** The template is gone or no policy claims it: its series go with it. */
  forgetWorkload(key: TemplateKey): void {
    const workload = `${key.kind.toLowerCase()}/${key.name}`;
    const id = `${key.namespace}/${workload}`;
    for (const labels of this.lastReplicaLabels.get(id) ?? []) this.replicas.remove(labels);
    this.lastReplicaLabels.delete(id);
    this.waiting.remove({ namespace: key.namespace, workload });
  }

  observeSchedule(
    key: TemplateKey,
    targets: readonly TargetCluster[],
    result: ScheduleResult,
  ): void {
    this.decisions.inc({
      result: result.unplaced > 0 ? 'unplaced' : result.waiting > 0 ? 'waiting' : 'scheduled',
    });
    const workload = `${key.kind.toLowerCase()}/${key.name}`;
    const id = `${key.namespace}/${workload}`;
    for (const labels of this.lastReplicaLabels.get(id) ?? []) this.replicas.remove(labels);
    const labels = targets.map((t) => ({
      namespace: key.namespace,
      workload,
      cluster: t.name,
      group: t.affinityName ?? '',
    }));
    targets.forEach((t, i) => this.replicas.set(labels[i] ?? {}, t.replicas ?? 0));
    this.lastReplicaLabels.set(id, labels);
    this.waiting.set({ namespace: key.namespace, workload }, result.waiting);
  }
}
