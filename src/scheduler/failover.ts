import type { Notes } from './notes.js';
import type { Member, Placement } from './placement.js';

/**
 * Takes replicas away from where they may not stay, before anything is counted: clusters outside
 * the placement, failed clusters (not Ready past their toleration) and stuck replicas (those
 * unschedulable past their timeout). Returns what each member keeps. What was taken is not placed
 * here: it makes `replicas - Σkept` larger, so the scale-out rule places it on the other clusters,
 * exactly like new replicas. Stuck clusters have no room this step (see placement), so their
 * replicas land on the next cluster with room, which for a one-cluster group is the next group.
 */
export function releaseReplicas(p: Placement, notes: Notes): number[] {
  const n = p.members.length;
  const kept = new Array<number>(n);
  for (let i = 0; i < n; i++) kept[i] = keeps(p, i, notes);
  return kept;
}

function keeps(p: Placement, i: number, notes: Notes): number {
  const m = p.members[i] as Member;
  if (m.cur === 0) return 0;
  if (m.group < 0) {
    notes.add(i, `${m.cur} rescheduled: cluster is outside the placement`);
    return 0;
  }
  if (m.failed) {
    // Moving replicas to nowhere helps no one: with no healthy cluster they stay put.
    if (!p.anyUsable) {
      notes.add(i, `cluster failed, but no healthy cluster can take its ${m.cur}`);
      return m.cur;
    }
    notes.add(i, `${m.cur} moved away: cluster not Ready past its toleration`);
    return 0;
  }
  if (m.stuck > 0) {
    notes.add(i, `${m.stuck} moved away: unschedulable past their timeout`);
    return m.cur - m.stuck;
  }
  return m.cur;
}
