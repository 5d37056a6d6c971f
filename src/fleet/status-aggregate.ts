/** Member copies' workload status, summed into the hub template's status and the binding's. */
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

export function aggregate(members: readonly MemberWorkload[]): HubWorkloadStatus {
  const sum = (f: (s: WorkloadStatus) => number | undefined) =>
    members.reduce((n, m) => n + (m.status ? (f(m.status) ?? 0) : 0), 0);
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
