import { scheduleDuplicated } from './duplicated.js';
import { releaseReplicas } from './failover.js';
import { Notes } from './notes.js';
import type { Placement } from './placement.js';
import { buildPlacement } from './placement.js';
import type { Outcome } from './result.js';
import { assemble } from './result.js';
import { scaleIn } from './scalein.js';
import type { Divided } from './spillover.js';
import { scaleOut } from './spillover.js';
import type { ScheduleInput, ScheduleResult } from './types.js';
import { validateInput } from './validate.js';

/**
 * Divided: replicas leave the clusters they may not stay on, then the difference between what is
 * held and what is wanted is scaled out or in. Running replicas move only by that first step, so
 * recomputing with the same state changes nothing (sticky).
 */
function scheduleDivided(p: Placement, replicas: number, s: Divided, notes: Notes): Outcome {
  const base = releaseReplicas(p, notes);
  const held = base.reduce((sum, b) => sum + b, 0);
  const none = base.map(() => 0);
  if (held >= replicas) {
    const removed = scaleIn(p, base, held - replicas, s, notes);
    const counts = base.map((b, i) => b - (removed[i] ?? 0));
    return { counts, kept: counts, overflow: none, unplaced: 0 };
  }
  const out = scaleOut(p, base, replicas - held, s, notes);
  const counts = base.map((b, i) => b + (out.added[i] ?? 0));
  return { counts, kept: base, overflow: out.overflow, unplaced: out.unplaced };
}

/**
 * The fleet scheduling rule (priority spill-over), as a pure function: from the desired replicas,
 * the ordered groups, each cluster's state and the previous result to each cluster's count with
 * its reason, the replicas waiting for capacity and the clusters to ask for nodes. Throws
 * `ScheduleInputError` for input that has no meaning (negative or fractional counts).
 */
export function schedule(input: ScheduleInput): ScheduleResult {
  const p = buildPlacement(input, validateInput(input));
  const notes = new Notes();
  const s = input.scheduling;
  const out =
    s.type === 'Duplicated'
      ? scheduleDuplicated(p, input.replicas, notes)
      : scheduleDivided(p, input.replicas, s, notes);
  return assemble(p, input, out, notes);
}
