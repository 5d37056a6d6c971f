import type { Notes } from './notes.js';
import type { Member, Placement } from './placement.js';
import type { ClusterResult, ProvisionSignal, ScheduleInput, ScheduleResult } from './types.js';

/** What a scheduling mode decided, per member index, before it is turned into a result. */
export interface Outcome {
  readonly counts: readonly number[];
  /** Of `counts`, replicas the cluster already held (never moved). */
  readonly kept: readonly number[];
  /** Of `counts`, new replicas placed beyond the cluster's room. */
  readonly overflow: readonly number[];
  readonly unplaced: number;
}

/**
 * Turns an outcome into the result: waiting counts, provisioning signals and reasons.
 *
 * A cluster's waiting replicas are this step's overflow plus, from the previous result, those
 * still not ready (a waiting replica stops waiting once it is ready or removed; scale-in removes
 * not-ready replicas first, so the not-ready ones among `kept` are what is left of them).
 */
export function assemble(
  p: Placement,
  input: ScheduleInput,
  out: Outcome,
  notes: Notes,
): ScheduleResult {
  const before = new Map(input.previous?.clusters.map((c) => [c.cluster, c.waiting]) ?? []);
  const clusters: ClusterResult[] = [];
  const provision: ProvisionSignal[] = [];
  let waitingTotal = 0;
  // The hot path of a large fleet (every binding, every cluster): a plain loop, and each result
  // object built whole in one of two fixed shapes (a spread of an optional field is slow).
  for (let i = 0; i < p.members.length; i++) {
    const m = p.members[i] as Member;
    const replicas = out.counts[i] ?? 0;
    if (replicas === 0 && m.cur === 0) continue;
    const kept = out.kept[i] ?? 0;
    const notReady = kept - Math.min(m.ready, kept);
    const carried = Math.min(before.get(m.name) ?? 0, notReady);
    const waiting = Math.min(replicas, carried + (out.overflow[i] ?? 0));
    const parts: string[] = kept > 0 ? [`kept ${kept}`] : [];
    for (const note of notes.of(i)) parts.push(note);
    if (carried > 0) parts.push(`${carried} still waiting for capacity`);
    if (waiting > 0 && input.ecsProvision === true && m.canProvision) {
      provision.push({ cluster: m.name, replicas: waiting });
      parts.push(`node provisioning requested for ${waiting}`);
    }
    const group = p.groups[m.group]?.name;
    const body = parts.join('; ');
    clusters.push(
      group === undefined
        ? { cluster: m.name, replicas, waiting, reason: body }
        : { cluster: m.name, group, replicas, waiting, reason: `group ${group}: ${body}` },
    );
    waitingTotal += waiting;
  }
  return { clusters, waiting: waitingTotal, unplaced: out.unplaced, provision };
}
