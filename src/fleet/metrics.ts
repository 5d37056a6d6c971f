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
  readonly memberReady: Gauge<'cluster'>;
  /** Label sets last written per workload, so a cluster that lost its share drops out. */
  private readonly lastReplicaLabels = new Map<
    string,
    { namespace: string; workload: string; cluster: string; group: string }[]
  >();

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
    this.memberReady = new Gauge({
      name: 'spillway_member_cluster_ready',
      help: '1 when the member cluster answers its health probe.',
      labelNames: ['cluster'],
      registers,
    });
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
