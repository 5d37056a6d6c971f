/** Prometheus metrics of the ResourcePolicy controller and its webhook. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WebhookMetrics } from './webhook.js';

export interface ResourcePolicyMetrics extends WebhookMetrics {
  decisions: Counter<'decision' | 'reason'>;
  gatedPods: Gauge<'namespace' | 'policy'>;
}

export function newResourcePolicyMetrics(registry: Registry): ResourcePolicyMetrics {
  const registers = [registry];
  return {
    latency: new Histogram({
      name: 'spillway_resourcepolicy_webhook_duration_seconds',
      help: 'Time to answer one pod admission review, by result (gated, assigned: sent to its unit at admission, skipped, error).',
      labelNames: ['result'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    admissions: new Counter({
      name: 'spillway_resourcepolicy_webhook_admissions_total',
      help: 'Pod admission reviews answered, by result (gated, assigned: sent to its unit at admission, skipped, error).',
      labelNames: ['result'],
      registers,
    }),
    decisions: new Counter({
      name: 'spillway_resourcepolicy_decisions_total',
      help: 'Decisions on selected pods: assign, admit (a unit at admission), hold, timeout, release, by reason.',
      labelNames: ['decision', 'reason'],
      registers,
    }),
    gatedPods: new Gauge({
      name: 'spillway_resourcepolicy_gated_pods',
      help: 'Pods a policy selects that still wait behind the scheduling gate.',
      labelNames: ['namespace', 'policy'],
      registers,
    }),
  };
}

/**
 * spillway_resourcepolicy_gated_pods for one namespace at a time: sets the series of the
 * policies reconciled and removes those of policies that are gone (deleted or now invalid), so
 * a deleted policy does not keep reporting its last value.
 */
export class GatedPodsReporter {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly gauge: Gauge<'namespace' | 'policy'>) {}

  report(namespace: string, gatedByPolicy: ReadonlyMap<string, number>): void {
    for (const [policy, n] of gatedByPolicy) this.gauge.set({ namespace, policy }, n);
    for (const policy of this.seen.get(namespace) ?? [])
      if (!gatedByPolicy.has(policy)) this.gauge.remove({ namespace, policy });
    if (gatedByPolicy.size > 0) this.seen.set(namespace, new Set(gatedByPolicy.keys()));
    else this.seen.delete(namespace);
  }
}
