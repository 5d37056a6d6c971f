import type { ClusterGroup, ClusterState, ReplicaScheduling, ScheduleInput } from './types.js';
import { DEFAULT_TOLERATION_SECONDS } from './types.js';
import { duplicateCluster } from './validate.js';
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

/**
 * Each cluster's position in `input.clusters`, in name order. Throws for a name given twice.
 * Callers usually list clusters by name already, and then nothing is sorted.
 */
function nameOrder(cs: readonly ClusterState[]): number[] {
  const n = cs.length;
  const order = new Array<number>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (sorted && i > 0 && (cs[i - 1] as ClusterState).name >= (cs[i] as ClusterState).name) {
      sorted = false;
    }
  }
  if (!sorted) {
    order.sort((a, b) => byName((cs[a] as ClusterState).name, (cs[b] as ClusterState).name));
  }
  for (let k = 1; k < n; k++) {
    const name = (cs[order[k] as number] as ClusterState).name;
    if (name === (cs[order[k - 1] as number] as ClusterState).name) throw duplicateCluster(name);
  }
  return order;
}

/** Position in `input.clusters` of the cluster called `name`, by binary search over `order`. */
function find(cs: readonly ClusterState[], order: readonly number[], name: string): number {
  let lo = 0;
  let hi = order.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const i = order[mid] as number;
    const at = (cs[i] as ClusterState).name;
    if (at === name) return i;
    if (at < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The members in their fixed order (group order, then name; clusters outside the placement
 * last), and each group's members. Throws `ScheduleInputError` for a cluster name given twice.
 */
export function buildPlacement(input: ScheduleInput): Placement {
  // This runs for every binding on every reconcile; profiles showed its time in per-cluster
  // objects, hash maps built per call, closures and comparator sorts. So: clusters ordered by
  // name once (usually already), each group's names found by binary search, and the group
  // order laid over the name order by a stable counting pass instead of a second sort.
  const cs = input.clusters;
  const n = cs.length;
  const outside = input.groups.length;
  const byNameOrder = nameOrder(cs);
  // A cluster named by two groups belongs to the first (higher priority) one. Names without a
  // state are skipped: an unregistered cluster can neither hold nor take replicas.
  const rank = new Array<number>(n).fill(outside);
  const sizes = new Array<number>(outside + 1).fill(0);
  for (let g = 0; g < outside; g++) {
    for (const name of (input.groups[g] as ClusterGroup).clusters) {
      const i = find(cs, byNameOrder, name);
      if (i >= 0 && rank[i] === outside) {
        rank[i] = g;
        sizes[g] = (sizes[g] as number) + 1;
      }
    }
  }
  sizes[outside] = n;
  for (let g = 0; g < outside; g++)
    sizes[outside] = (sizes[outside] as number) - (sizes[g] as number);

  const tolerance = input.tolerationSeconds ?? DEFAULT_TOLERATION_SECONDS;
  const table = staticWeights(input.scheduling);
  // Rules that weigh no usable cluster above zero are treated as absent (equal weights), so a
  // stale staticWeightList cannot strand every replica.
  let weighted = false;
  if (table !== undefined) {
    for (let i = 0; i < n && !weighted; i++) {
      const c = cs[i] as ClusterState;
      weighted = rank[i] !== outside && !isFailed(c, tolerance) && (table.get(c.name) ?? 0) > 0;
    }
  }

  // Where each group's members start in the member order.
  const next = new Array<number>(outside + 1);
  let at = 0;
  const groups = new Array<{ name: string; members: number[] }>(outside);
  for (let g = 0; g <= outside; g++) {
    next[g] = at;
    const size = sizes[g] as number;
    if (g < outside) {
      const members = new Array<number>(size);
      for (let k = 0; k < size; k++) members[k] = at + k;
      groups[g] = { name: (input.groups[g] as ClusterGroup).name, members };
    }
    at += size;
  }
  const members = new Array<Member>(n);
  let anyUsable = false;
  for (let k = 0; k < n; k++) {
    const i = byNameOrder[k] as number;
    const c = cs[i] as ClusterState;
    const r = rank[i] as number;
    const stuck = Math.min(c.stuck ?? 0, c.cur);
    const failed = isFailed(c, tolerance);
    const usable = r < outside && !failed;
    const weight = weighted ? (table?.get(c.name) ?? 0) : 1;
    const notReady = c.notReady === true;
    const eligible = usable && weight > 0 && !notReady;
    const slot = next[r] as number;
    next[r] = slot + 1;
    members[slot] = {
      name: c.name,
      group: r < outside ? r : -1,
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
    if (usable) anyUsable = true;
  }
  return { members, groups, anyUsable, laterFirst: tieBreakFromUid(input.uid) };
}

function isFailed(c: ClusterState, tolerance: number): boolean {
  return c.failed === true || (c.notReadySeconds ?? 0) > tolerance;
}
