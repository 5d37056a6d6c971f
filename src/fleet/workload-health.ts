/**
 * What a member workload's own conditions say about it (pure): a failure its controller reports
 * (ReplicaFailure, e.g. FailedCreate when pods are forbidden; Progressing=False past the
 * progress deadline), and how many replicas have not even got a pod because of it.
 */
import { oneLine } from '../util/text.js';

/** A condition as a member controller writes it (times as strings, or Dates from a list). */
export interface WorkloadCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | Date;
}

export interface WorkloadHealthInput {
  /** Pods of the workload that exist in the member (Deployment status.replicas). */
  replicas?: number;
  conditions?: readonly WorkloadCondition[];
}

/** A failure the member reports, for a condition message: type, reason and message, one line. */
export interface WorkloadFailure {
  type: 'ReplicaFailure' | 'Progressing';
  reason: string;
  message: string;
  /** ms since epoch when the member's condition last changed; undefined when unknown. */
  sinceMs?: number;
}

/** A member copy's raw status (as its watch reports it) as health input. */
export function healthInput(
  status: Readonly<Record<string, unknown>> | undefined,
): WorkloadHealthInput {
  const conditions = Array.isArray(status?.conditions)
    ? (status.conditions as unknown[]).filter(
        (c): c is WorkloadCondition =>
          typeof c === 'object' &&
          c !== null &&
          typeof (c as { type?: unknown }).type === 'string' &&
          typeof (c as { status?: unknown }).status === 'string',
      )
    : [];
  return {
    ...(typeof status?.replicas === 'number' ? { replicas: status.replicas } : {}),
    conditions,
  };
}

function timeOf(t: string | Date | undefined): number | undefined {
  if (t === undefined) return undefined;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

export function workloadFailures(status: WorkloadHealthInput | undefined): WorkloadFailure[] {
  const out: WorkloadFailure[] = [];
  for (const c of status?.conditions ?? []) {
    const failed =
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      (c.type === 'Progressing' && c.status === 'False');
    if (!failed) continue;
    const since = timeOf(c.lastTransitionTime);
    out.push({
      type: c.type as WorkloadFailure['type'],
      reason: c.reason ?? c.type,
      // A member's messages can carry newlines (webhook denials, quota details).
      message: oneLine(c.message ?? '', 300),
      ...(since !== undefined ? { sinceMs: since } : {}),
    });
  }
  return out;
}

/**
 * Replicas of the member's share that have no pod because the member reports ReplicaFailure,
 * once that has lasted `afterMs`: like unschedulable pods, they may then spill to the next
 * group. Pending pods are counted elsewhere; these are the ones that do not exist at all.
 */
export function podlessReplicas(
  share: number,
  status: WorkloadHealthInput | undefined,
  afterMs: number,
  nowMs: number,
): number {
  if (afterMs <= 0) return 0;
  const failure = workloadFailures(status).find((f) => f.type === 'ReplicaFailure');
  if (!failure) return 0;
  if (failure.sinceMs === undefined || nowMs - failure.sinceMs < afterMs) return 0;
  return Math.max(0, share - (status?.replicas ?? 0));
}
