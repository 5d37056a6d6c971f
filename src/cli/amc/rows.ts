/** Pods and nodes (client-node objects) to `kubectl amc` rows, the way kubectl derives its columns. */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { NodeRow, PodRow } from './format.js';

const ADOPTED = 'fleet.spillway.dev/adopted';

export function podStatus(p: V1Pod): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  const waiting = (p.status?.containerStatuses ?? [])
    .map((c) => c.state?.waiting?.reason)
    .find((r) => r);
  return waiting ?? p.status?.reason ?? p.status?.phase ?? 'Unknown';
}

export function podRow(p: V1Pod, cluster: string, alias: string): PodRow {
  const statuses = p.status?.containerStatuses ?? [];
  const gates = (p.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const row: PodRow = {
    ...(p.metadata?.namespace ? { namespace: p.metadata.namespace } : {}),
    name: p.metadata?.name ?? '',
    cluster,
    alias,
    readyContainers: statuses.filter((c) => c.ready).length,
    containers: p.spec?.containers.length ?? 0,
    status: podStatus(p),
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    createdMs: p.metadata?.creationTimestamp
      ? new Date(p.metadata.creationTimestamp).getTime()
      : Date.now(),
    adopted: p.metadata?.annotations?.[ADOPTED] === 'true',
  };
  if (p.status?.podIP) row.ip = p.status.podIP;
  if (p.spec?.nodeName) row.node = p.spec.nodeName;
  if (p.status?.nominatedNodeName) row.nominatedNode = p.status.nominatedNodeName;
  if (gates.length > 0) row.readinessGates = gates.join(',');
  return row;
}

export function nodeRow(n: V1Node, cluster: string, alias: string): NodeRow {
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  let status = ready?.status === 'True' ? 'Ready' : 'NotReady';
  if (n.spec?.unschedulable) status += ',SchedulingDisabled';
  const roles = Object.keys(n.metadata?.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .join(',');
  const row: NodeRow = {
    name: n.metadata?.name ?? '',
    cluster,
    alias,
    status,
    roles: roles || '<none>',
    createdMs: n.metadata?.creationTimestamp
      ? new Date(n.metadata.creationTimestamp).getTime()
      : Date.now(),
    version: n.status?.nodeInfo?.kubeletVersion ?? '',
    adopted: false,
  };
  const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (ip) row.internalIp = ip;
  return row;
}
