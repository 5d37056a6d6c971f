/**
 * Member copies' workload status, summed into the hub template's status and the binding's.
 * Divided: counts add up over the clusters. Duplicated: every cluster runs the whole template,
 * so the hub shows the worst cluster (Karmada sums instead, which lets a healthy cluster's 3/3
 * hide another's 0/3); each cluster's own counts stay in the binding's aggregatedStatus.
 */
import type { AggregatedStatusItem } from '../api/fleet.js';
import type { LiveCopy } from './kinds.js';

export interface WorkloadStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  unavailableReplicas?: number;
  observedGeneration?: number;
}

export interface MemberWorkload {
  cluster: string;
  /** The copy exists in the member and carries our marks. */
  applied: boolean;
  /** The member controller has seen the copy's latest spec. */
  upToDate: boolean;
  status?: WorkloadStatus;
  /** The copy as the member's watch reports it, for the kind's hub status (kinds.ts). */
  live?: LiveCopy;
  waitingForCapacity?: number;
  message?: string;
}

export interface HubWorkloadStatus {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  unavailableReplicas: number;
}

export function aggregate(
  members: readonly MemberWorkload[],
  mode: 'Divided' | 'Duplicated' = 'Divided',
): HubWorkloadStatus {
  const counts = (f: (s: WorkloadStatus) => number | undefined) =>
    members.map((m) => (m.status ? (f(m.status) ?? 0) : 0));
  const sum = (f: (s: WorkloadStatus) => number | undefined) =>
    counts(f).reduce((n, x) => n + x, 0);
  // A cluster without status (unreachable, not applied) counts as 0: nothing there is known.
  const worst = (f: (s: WorkloadStatus) => number | undefined, pick: 'min' | 'max') => {
    const xs = counts(f);
    if (xs.length === 0) return 0;
    return pick === 'min' ? Math.min(...xs) : Math.max(...xs);
  };
  if (mode === 'Duplicated') {
    return {
      replicas: worst((s) => s.replicas, 'min'),
      readyReplicas: worst((s) => s.readyReplicas, 'min'),
      availableReplicas: worst((s) => s.availableReplicas, 'min'),
      updatedReplicas: worst((s) => s.updatedReplicas, 'min'),
      unavailableReplicas: worst((s) => s.unavailableReplicas, 'max'),
    };
  }
  return {
    replicas: sum((s) => s.replicas),
    readyReplicas: sum((s) => s.readyReplicas),
    availableReplicas: sum((s) => s.availableReplicas),
    updatedReplicas: sum((s) => s.updatedReplicas),
    unavailableReplicas: sum((s) => s.unavailableReplicas),
  };
}

export function aggregatedItems(members: readonly MemberWorkload[]): AggregatedStatusItem[] {
  return members.map((m) => {
    const item: AggregatedStatusItem = { clusterName: m.cluster, applied: m.applied };
    if (m.status) {
      item.replicas = m.status.replicas ?? 0;
      item.readyReplicas = m.status.readyReplicas ?? 0;
      item.availableReplicas = m.status.availableReplicas ?? 0;
      item.updatedReplicas = m.status.updatedReplicas ?? 0;
    }
    if (m.waitingForCapacity) item.waitingForCapacity = m.waitingForCapacity;
    if (m.message) item.message = m.message;
    return item;
  });
}
