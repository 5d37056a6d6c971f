/**
 * WorkloadRebalancer (pure): for one rebalancer, which bindings still have to be asked for a
 * one-shot rebalance, and its status from what each binding reports in
 * `spec.rebalancing.manual`. Each workload is served once; the result is final once Successful
 * or Failed.
 */
import {
  WorkloadRebalancerReasons as W,
  type ManualRebalanceState,
  type ObservedWorkload,
  type WorkloadRebalancer,
  type WorkloadRebalancerStatus,
  type WorkloadReference,
} from '../api/fleet.js';

/** What the binding of one workload says about manual requests. */
export interface BindingRequestView {
  /** The request annotation on the binding (the last one asked). */
  annotation?: string;
  /** The last request the binding served, and how it went. */
  manual?: ManualRebalanceState;
}

export interface RebalancerPlan {
  /** Workloads whose binding must be annotated with `request`. */
  ask: WorkloadReference[];
  /** `<rebalancer name>/<uid>`: the annotation value the bindings serve. */
  request: string;
  status: WorkloadRebalancerStatus;
  /** ttlSecondsAfterFinished has passed: delete the rebalancer. */
  remove: boolean;
  /** Re-check after this long (when the TTL ends). */
  requeueMs?: number;
}

const sameWorkload = (a: WorkloadReference, b: WorkloadReference): boolean =>
  a.apiVersion === b.apiVersion &&
  a.kind === b.kind &&
  a.namespace === b.namespace &&
  a.name === b.name;

const final = (o: ObservedWorkload | undefined): boolean =>
  o?.result === 'Successful' || o?.result === 'Failed';

export function planRebalancer(
  r: WorkloadRebalancer,
  bindingOf: (w: WorkloadReference) => BindingRequestView | undefined,
  nowMs: number,
): RebalancerPlan {
  const request = `${r.metadata.name ?? ''}/${r.metadata.uid ?? ''}`;
  const ask: WorkloadReference[] = [];
  const observed = r.spec.workloads.map((w): ObservedWorkload => {
    const workload = {
      apiVersion: w.apiVersion,
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
    };
    const before = r.status?.observedWorkloads?.find((o) => sameWorkload(o.workload, w));
    if (before && final(before)) return before;
    const b = bindingOf(w);
    if (!b)
      return {
        workload,
        result: 'Failed',
        reason: W.ReferencedBindingNotFound,
        message: `no ResourceBinding for ${w.kind} ${w.namespace}/${w.name}: no policy claims it`,
      };
    if (b.manual?.request === request) {
      const { phase, message } = b.manual;
      if (phase === 'Succeeded')
        return { workload, result: 'Successful', ...(message ? { message } : {}) };
      if (phase === 'Failed')
        return {
          workload,
          result: 'Failed',
          reason: W.MoveAborted,
          ...(message ? { message } : {}),
        };
      return { workload, result: 'Running', ...(message ? { message } : {}) };
    }
    if (b.annotation === request) return { workload, result: 'Running', message: 'asked' };
    if (before?.result === 'Running' && b.annotation !== undefined)
      return {
        workload,
        result: 'Failed',
        reason: W.Superseded,
        message: `a newer request (${b.annotation}) asks for this workload`,
      };
    ask.push(workload);
    return { workload, result: 'Running', message: 'asked' };
  });
  const done = observed.every(final);
  const finishTime = done
    ? (r.status?.finishTime ?? new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'))
    : undefined;
  const status: WorkloadRebalancerStatus = {
    ...(r.metadata.generation !== undefined ? { observedGeneration: r.metadata.generation } : {}),
    observedWorkloads: observed,
    ...(finishTime ? { finishTime } : {}),
  };
  const ttl = r.spec.ttlSecondsAfterFinished;
  if (!finishTime || ttl === undefined) return { ask, request, status, remove: false };
  const left = Date.parse(finishTime) + ttl * 1000 - nowMs;
  return left <= 0
    ? { ask, request, status, remove: true }
    : { ask, request, status, remove: false, requeueMs: left };
}
