/**
 * The sync stage's executor: carries out a member plan (member-plan.ts) through the
 * reconciler's port, 4 members at a time, and turns each member's result into a
 * MemberWorkload. One member's failure becomes that member's outcome, never a throw. Also
 * brings each member's ProvisioningRequest to the planned ask. No client here: all I/O goes
 * through the ReconcilePort.
 */
import { errorMessage, type Logger } from '../runtime/logger.js';
import { mapBounded } from '../util/bounded.js';
import type { AppliedCache } from './applied-cache.js';
import { TemplateEventReasons, failureText, type ProvisioningFailure } from './binding-status.js';
import type { KindEntry } from './kinds.js';
import type { MemberAction, ProvisioningStep } from './member-plan.js';
import type { TemplateObject } from './member-copy.js';
import type { FleetMetrics } from './metrics.js';
import { provisioningName } from './provisioning.js';
import type { MemberRequestView, ReconcilePort } from './reconcile-port.js';
import type { MemberWorkload } from './status-aggregate.js';
import type { TemplateKey } from './template-key.js';

/** The actions synced in parallel: all but removals. */
type MemberWrite = Exclude<MemberAction, { type: 'remove' }>;

/** Member copies written at once per reconcile: members answer independently. */
const MEMBER_WRITES_IN_FLIGHT = 4;

export interface SyncContext {
  port: ReconcilePort;
  applied: AppliedCache;
  keyText: string;
  key: TemplateKey;
  template: TemplateObject;
  kind: KindEntry;
  log: Logger;
}

export interface SyncOutcome {
  /** One per target (in order), then one per stale copy that could not be removed yet. */
  workloads: MemberWorkload[];
  /** Members holding an object of that name that Spillway did not create, in name order. */
  conflicts: string[];
}

function liveOf(c: SyncContext, cluster: string): Pick<MemberWorkload, 'live' | 'status'> {
  // Only watched kinds have a live view; the others count as up to date once applied.
  const live = c.kind.plural ? c.port.copyOf(cluster, c.key) : undefined;
  return {
    ...(live ? { live } : {}),
    ...(live?.status && c.kind.counts ? { status: c.kind.counts(live.status) } : {}),
  };
}

async function applyOne(
  c: SyncContext,
  a: Extract<MemberAction, { type: 'apply' }>,
): Promise<MemberWorkload | 'conflict'> {
  const { port, applied, keyText } = c;
  // A watched copy is compared with its watch; any other with a read (in applyCopy).
  const watched = c.kind.plural ? port.copyOf(a.cluster, c.key) : undefined;
  if (!applied.unchanged(keyText, a.cluster, a.copy, watched)) {
    const sent = structuredClone(a.copy);
    const outcome = await port.applyCopy(
      a.cluster,
      a.copy,
      c.template,
      (existing) => applied.unchanged(keyText, a.cluster, sent, existing),
      watched,
    );
    if (outcome === 'conflict') return 'conflict';
    if (outcome !== 'unchanged') applied.remember(keyText, a.cluster, sent, outcome.result);
  }
  const live = liveOf(c, a.cluster);
  return {
    cluster: a.cluster,
    applied: true,
    upToDate: live.live ? c.kind.upToDate(live.live) : !c.kind.plural,
    ...live,
    waitingForCapacity: a.waiting,
  };
}

async function syncOne(
  c: SyncContext,
  a: MemberWrite,
  conflicts: string[],
): Promise<MemberWorkload> {
  const failed = (message: string): MemberWorkload => ({
    cluster: a.cluster,
    applied: false,
    upToDate: false,
    message,
  });
  switch (a.type) {
    case 'unreachable':
      return { ...failed('member not reachable'), waitingForCapacity: a.waiting };
    case 'leave': {
      const live = liveOf(c, a.cluster);
      return {
        cluster: a.cluster,
        applied: live.live !== undefined,
        upToDate: false,
        ...live,
        waitingForCapacity: a.waiting,
        message: a.message,
      };
    }
    case 'fail':
      c.applied.forget(c.keyText, a.cluster);
      c.log.warn('could not apply member copy', { member: a.cluster, error: a.message });
      return failed(a.message);
    case 'apply':
      try {
        const out = await applyOne(c, a);
        if (out !== 'conflict') return out;
        conflicts.push(a.cluster);
        return failed(
          `a ${c.key.kind} ${c.key.namespace}/${c.key.name} not created by Spillway exists; set annotation fleet.spillway.dev/adopt-existing=true on the template to adopt it`,
        );
      } catch (err) {
        c.applied.forget(c.keyText, a.cluster);
        c.log.warn('could not apply member copy', { member: a.cluster, error: errorMessage(err) });
        return failed(errorMessage(err));
      }
  }
}

/**
 * Stale copies removed one by one, then copies where the result puts replicas (in parallel).
 * Removing first: a controller stopped between the two leaves a workload short for the next
 * leader to fill, never running in the old and the new member at once.
 */
export async function syncMembers(
  c: SyncContext,
  actions: readonly MemberAction[],
): Promise<SyncOutcome> {
  const conflicts: string[] = [];
  const stale: MemberWorkload[] = [];
  for (const a of actions) {
    if (a.type !== 'remove') continue;
    try {
      if (await c.port.removeCopy(a.cluster, c.key))
        c.log.info('removed member copy', { member: a.cluster });
      c.applied.forget(c.keyText, a.cluster);
    } catch (err) {
      // Remembered as applied, so the next reconcile tries again once the member answers.
      stale.push({
        cluster: a.cluster,
        applied: true,
        upToDate: false,
        message: `stale copy, removed once the member is reachable: ${errorMessage(err)}`,
      });
    }
  }
  const writes = actions.filter((a): a is MemberWrite => a.type !== 'remove');
  const workloads = await mapBounded(writes, MEMBER_WRITES_IN_FLIGHT, (a) =>
    syncOne(c, a, conflicts),
  );
  return { workloads: [...workloads, ...stale], conflicts: conflicts.sort() };
}

export interface ProvisioningContext {
  port: ReconcilePort;
  metrics: FleetMetrics;
  log: Logger;
  template: TemplateObject;
  /** uids of refused requests already counted and reported (kept by the reconciler). */
  reported: Set<string>;
}

/**
 * Brings each member's ProvisioningRequest to the planned ask and returns the requests the
 * members' autoscalers refused (each counted and told once).
 */
export async function syncProvisioning(
  c: ProvisioningContext,
  steps: readonly ProvisioningStep[],
  requests: ReadonlyMap<string, MemberRequestView | undefined>,
): Promise<ProvisioningFailure[]> {
  const failures: ProvisioningFailure[] = [];
  for (const s of steps) {
    const existing = s.known
      ? requests.get(s.cluster)
      : await c.port.readRequest(s.cluster, s.ask.namespace, s.ask.bindingName);
    const action = await c.port.syncRequest(s.cluster, s.ask, existing);
    const name = `${s.ask.namespace}/${provisioningName(s.ask.bindingName)}`;
    if (action === 'create' || action === 'recreate') {
      c.log.info('asked member for capacity', {
        member: s.cluster,
        replicas: s.ask.count,
        request: name,
      });
      c.metrics.provisioningRequests.inc({ cluster: s.cluster });
      await c.port.record(
        c.template,
        'Normal',
        TemplateEventReasons.ProvisioningRequested,
        `asked ${s.cluster} for nodes for ${s.ask.count} replicas (ProvisioningRequest ${name})`,
      );
    } else if (action === 'none' && existing?.state.phase === 'failed' && s.ask.count > 0) {
      const failure = {
        cluster: s.cluster,
        reason: existing.state.reason ?? 'Failed',
        message: existing.state.message ?? '',
      };
      failures.push(failure);
      if (!c.reported.has(existing.uid)) {
        c.reported.add(existing.uid);
        c.metrics.provisioningFailures.inc({ cluster: s.cluster });
        await c.port.record(
          c.template,
          'Warning',
          TemplateEventReasons.ProvisioningFailed,
          failureText(failure),
        );
      }
    }
  }
  return failures;
}
