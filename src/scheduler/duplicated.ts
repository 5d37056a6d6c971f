import type { Notes } from './notes.js';
import type { Outcome } from './result.js';
import type { Placement } from './placement.js';

/**
 * Duplicated: every cluster of the selected group gets the full count. With several groups the
 * first group that has a usable cluster is selected, as Karmada tries `clusterAffinities` in
 * order and keeps the first that schedules. There is nothing to spill: a copy per cluster.
 */
export function scheduleDuplicated(p: Placement, replicas: number, notes: Notes): Outcome {
  // A cluster that is not Ready keeps the copy it has, but a new one would only wait there, so a
  // group whose only usable clusters are not Ready and hold nothing is passed over.
  const canHold = (i: number): boolean => {
    const m = p.members[i];
    return m !== undefined && m.usable && (!m.notReady || m.cur > 0);
  };
  const selected = p.groups.findIndex((g) => g.members.some(canHold));
  const counts = p.members.map((m, i) => {
    if (m.group === selected && m.usable) {
      if (!canHold(i)) {
        notes.add(i, 'no copy yet: cluster is not Ready');
        return 0;
      }
      notes.add(i, `full copy of ${replicas} (Duplicated)`);
      return replicas;
    }
    if (m.cur === 0) return 0;
    if (m.group < 0) notes.add(i, 'removed: cluster is outside the placement');
    else if (!m.failed) notes.add(i, 'removed: a higher-priority group is selected');
    else if (selected >= 0) notes.add(i, 'removed: cluster not Ready past its toleration');
    else {
      // No healthy cluster anywhere: a failed cluster keeps its copy rather than lose it.
      notes.add(i, `cluster failed, but no healthy cluster can take its copy`);
      return replicas;
    }
    return 0;
  });
  return {
    counts,
    kept: p.members.map((m, i) => Math.min(m.cur, counts[i] ?? 0)),
    // New replicas beyond what fits wait for capacity.
    overflow: p.members.map((m, i) => Math.max(0, (counts[i] ?? 0) - m.cur - m.room)),
    unplaced: counts.some((c) => c > 0) ? 0 : replicas,
  };
}
