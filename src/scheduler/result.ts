import type { Notes } from './notes.js';
import type { Member, Placement } from './placement.js';
import { reasonText } from './reasons.js';
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

/** Reason pieces of one cluster; reused, as `assemble` never runs inside itself. */
const PARTS: string[] = [];
/** The most common piece, made once. */
const KEPT: readonly string[] = Array.from({ length: 128 }, (_, k) => `kept ${k}`);

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
  const previous = input.previous?.clusters;
  const before =
    previous !== undefined && previous.length > 0
      ? new Map(previous.map((c) => [c.cluster, c.waiting]))
      : undefined;
  const provision: ProvisionSignal[] = [];
  let waitingTotal = 0;
  // The hot path of a large fleet (every binding, every cluster), and what a round of them keeps
  // in memory: plain loops, the result array allocated at its final size, each result object
  // built whole in one of two fixed shapes (a spread of an optional field is slow), and each
  // reason looked up by its pieces (see reasons.ts), gathered in one reused array.
  let size = 0;
  for (let i = 0; i < p.members.length; i++) {
    if ((out.counts[i] ?? 0) > 0 || (p.members[i] as Member).cur > 0) size++;
  }
  const clusters = new Array<ClusterResult>(size);
  let at = 0;
  for (let i = 0; i < p.members.length; i++) {
    const m = p.members[i] as Member;
    const replicas = out.counts[i] ?? 0;
    if (replicas === 0 && m.cur === 0) continue;
    const kept = out.kept[i] ?? 0;
    const notReady = kept - Math.min(m.ready, kept);
    const carried = before === undefined ? 0 : Math.min(before.get(m.name) ?? 0, notReady);
    const waiting = Math.min(replicas, carried + (out.overflow[i] ?? 0));
    const parts = PARTS;
    parts.length = 0;
    if (kept > 0) parts.push(kept < KEPT.length ? (KEPT[kept] as string) : `kept ${kept}`);
    for (const note of notes.of(i)) parts.push(note);
    if (carried > 0) parts.push(`${carried} still waiting for capacity`);
    if (waiting > 0 && input.ecsProvision === true && m.canProvision) {
      provision.push({ cluster: m.name, replicas: waiting });
      parts.push(`node provisioning requested for ${waiting}`);
    }
    const group = p.groups[m.group];
    const reason = reasonText(group?.name, parts);
    clusters[at++] =
      group === undefined
        ? { cluster: m.name, replicas, waiting, reason }
        : { cluster: m.name, group: group.name, replicas, waiting, reason };
    waitingTotal += waiting;
  }
  return { clusters, waiting: waitingTotal, unplaced: out.unplaced, provision };
}
