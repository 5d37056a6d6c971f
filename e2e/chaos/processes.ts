/**
 * The controllers the chaos suite runs as their own processes, so they can be SIGKILLed,
 * SIGSTOPped and restarted: fleet controller replicas (leader election on; each with the
 * write-log preload) and the ResourcePolicy controller with its webhook. A small supervisor
 * starts a replica again when one exits, as a Deployment's ReplicaSet would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { REPO_ROOT, type ClusterInfo, type FleetState } from '../fleet/index.js';
import { isRunning, rssBytes, type ProcessRecord } from '../fleet/processes.js';
import {
  startControllerProcess,
  startResourcePolicyControllerProcess,
} from '../support/spillway.js';

export const WRITE_LOG = join(REPO_ROOT, 'e2e', 'chaos', 'write-log.ts');
export const LEASE = { namespace: 'spillway-system', name: 'spillway-fleet-controller' };

export interface Replica {
  rec: ProcessRecord;
  writeLog: string;
  /** Set when the suite stopped it on purpose (a kill), so the supervisor does not count it. */
  killedAt?: number;
  startedAt: number;
}

export function startFleetReplica(state: FleetState, name: string): Replica {
  const writeLog = join(state.stateDir, 'logs', `${name}.writes`);
  const rec = startControllerProcess(state, {
    name,
    preload: [WRITE_LOG],
    env: { SPILLWAY_WRITE_LOG: writeLog, LOG_LEVEL: 'info' },
  });
  return { rec, writeLog, startedAt: Date.now() };
}

export function startResourcePolicyController(
  state: FleetState,
  cluster: ClusterInfo,
  name: string,
  webhookPort: number,
): ProcessRecord {
  return startResourcePolicyControllerProcess(state, cluster, webhookPort, {
    name,
    namespace: 'kube-system',
  });
}

/** Holder of the fleet controller's Lease ('' when none). */
export async function leaseHolder(hubKc: KubeConfig): Promise<string> {
  try {
    const lease = await hubKc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: LEASE.name, namespace: LEASE.namespace });
    return lease.spec?.holderIdentity ?? '';
  } catch {
    return '';
  }
}

/** The replica whose log says it became leader with this identity. */
export function replicaOf(replicas: readonly Replica[], identity: string): Replica | undefined {
  if (!identity) return undefined;
  return replicas.find(
    (r) =>
      existsSync(r.rec.log) && readFileSync(r.rec.log, 'utf8').includes(`"identity":"${identity}"`),
  );
}

/**
 * Write requests (time, method, path) a replica started at or after `since`, but for its leader
 * Lease: a renewal based on a read from before a freeze is refused by the API server (the
 * replace carries the resourceVersion it read), so it cannot take the lease back.
 */
export function writesSince(r: Replica, since: number): string[] {
  if (!existsSync(r.writeLog)) return [];
  return readFileSync(r.writeLog, 'utf8')
    .split('\n')
    .filter((l) => l && Number(l.split(' ')[0]) >= since)
    .filter((l) => !l.includes(`/leases/${LEASE.name}`));
}

export function alive(r: Replica): boolean {
  return isRunning(r.rec);
}

/**
 * The replicas that count as running: started and not killed by the suite. A SIGKILLed process
 * still looks alive until it is reaped, and counted as live it was "found" as its own successor
 * holding the lease, so leader takeovers were measured as 0 s.
 */
export function liveReplicas(
  replicas: readonly Replica[],
  running: (r: Replica) => boolean = alive,
): Replica[] {
  return replicas.filter((r) => r.killedAt === undefined && running(r));
}

export function rssOf(r: Replica): number {
  return rssBytes(r.rec.pid);
}

export function signal(r: Replica, sig: NodeJS.Signals): void {
  try {
    process.kill(r.rec.pid, sig);
  } catch {
    // gone already
  }
}
