import type { ClusterState, ReplicaScheduling, ScheduleInput } from './types.js';
import { DEFAULT_TOLERATION_SECONDS } from './types.js';
import { tieBreakFromUid } from './webster.js';

/** A cluster as the scheduling steps see it: its state resolved against the placement. */
export interface Member {
  readonly name: string;
  /** Index of its group; -1 when no group names it (outside the placement). */
  readonly group: number;
  readonly cur: number;
  /** Ready replicas among `cur`, never counting stuck ones. */
  readonly ready: number;
  readonly stuck: number;
  readonly failed: boolean;
  /** In the placement and not failed: may hold replicas. */
  readonly usable: boolean;
  /** Usable, Ready now and weighted above zero: may take new replicas. */
  readonly eligible: boolean;
  /** Not Ready now (within its toleration): keeps what it holds, takes nothing new. */
  readonly notReady: boolean;
  /** Static weight (1 when the policy has none). */
  readonly weight: number;
  /** New replicas it can take this step: `avail`, or 0 when its replicas are stuck. */
  readonly room: number;
  readonly canProvision: boolean;
}

export interface GroupView {
  readonly name: string;
  /** Indices into `Placement.members`, by cluster name. */
  readonly members: readonly number[];
}

/**
 * Every later step works on member indices in this order: group order, then cluster name, with
 * clusters outside the placement last. Fixing the order once is what makes ties deterministic
 * and the result independent of the order the caller listed clusters in.
 */
export interface Placement {
  readonly members: readonly Member[];
  readonly groups: readonly GroupView[];
  readonly anyUsable: boolean;
  /** Exact ties between clusters go to the later name (Karmada's tie-break for odd UIDs). */
  readonly laterFirst: boolean;
}

export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0; // code-unit order: locale-independent
}

/**
 * Cluster name to static weight, when the policy has static weights. A cluster named by several
 * rules takes the largest weight, so rule order never matters; one no rule names weighs 0.
 */
function staticWeights(s: ReplicaScheduling): Map<string, number> | undefined {
  if (s.type !== 'Divided' || s.division !== 'Weighted' || s.weighting.kind !== 'static') {
    return undefined;
  }
  const table = new Map<string, number>();
  for (const r of s.weighting.rules) {
    for (const n of r.clusterNames) table.set(n, Math.max(table.get(n) ?? 0, r.weight));
  }
  return table;
}

export function buildPlacement(
  input: ScheduleInput,
  states: ReadonlyMap<string, ClusterState> = new Map(input.clusters.map((c) => [c.name, c])),
): Placement {
  // A cluster named by two groups belongs to the first (higher priority) one. Names without a
  // state are skipped: an unregistered cluster can neither hold nor take replicas.
  // Each cluster with its group index, found once (outside the placement: after the last
  // group), so nothing below looks a name up again: this runs for every binding on every
  // reconcile, and name lookups were a good part of its time.
  const outside = input.groups.length;
  const entryOf = new Map<string, { c: ClusterState; rank: number }>();
  const ranked: { c: ClusterState; rank: number }[] = [];
  for (const c of states.values()) {
    const entry = { c, rank: outside };
    entryOf.set(c.name, entry);
    ranked.push(entry);
  }
  input.groups.forEach((g, gi) => {
    for (const n of g.clusters) {
      const entry = entryOf.get(n);
      if (entry && entry.rank === outside) entry.rank = gi;
    }
  });
  ranked.sort((a, b) => a.rank - b.rank || byName(a.c.name, b.c.name));

  const tolerance = input.tolerationSeconds ?? DEFAULT_TOLERATION_SECONDS;
  const isFailed = (c: ClusterState): boolean =>
    c.failed === true || (c.notReadySeconds ?? 0) > tolerance;

  const table = staticWeights(input.scheduling);
  // Rules that weigh no usable cluster above zero are treated as absent (equal weights), so a
  // stale staticWeightList cannot strand every replica.
  const weighted =
    table !== undefined &&
    ranked.some((r) => r.rank < outside && !isFailed(r.c) && (table.get(r.c.name) ?? 0) > 0);

  const members = ranked.map(({ c, rank }): Member => {
    const stuck = Math.min(c.stuck ?? 0, c.cur);
    const failed = isFailed(c);
    const usable = rank < outside && !failed;
    const weight = weighted ? (table?.get(c.name) ?? 0) : 1;
    const notReady = c.notReady === true;
    const eligible = usable && weight > 0 && !notReady;
    return {
      name: c.name,
      group: rank < outside ? rank : -1,
      cur: c.cur,
      ready: Math.min(c.ready ?? c.cur, c.cur - stuck),
      stuck,
      failed,
      usable,
      eligible,
      notReady,
      weight,
      room: eligible && stuck === 0 ? c.avail : 0,
      canProvision: c.canProvision === true,
    };
  });
  const groups = input.groups.map((g) => ({ name: g.name, members: [] as number[] }));
  members.forEach((m, i) => groups[m.group]?.members.push(i));
  return {
    members,
    groups,
    anyUsable: members.some((m) => m.usable),
    laterFirst: tieBreakFromUid(input.uid),
  };
}
