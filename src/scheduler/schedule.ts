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

/** No overflow on any member (an absent entry reads as 0). */
const NONE: readonly number[] = [];

/**
 * Divided: replicas leave the clusters they may not stay on, then the difference between what is
 * held and what is wanted is scaled out or in. Running replicas move only by that first step, so
 * recomputing with the same state changes nothing (sticky).
 */
function scheduleDivided(p: Placement, replicas: number, s: Divided, notes: Notes): Outcome {
  const base = releaseReplicas(p, notes);
  let held = 0;
  for (const b of base) held += b;
  const n = base.length;
  const counts = new Array<number>(n);
  if (held >= replicas) {
    const removed = scaleIn(p, base, held - replicas, s, notes);
    for (let i = 0; i < n; i++) counts[i] = (base[i] as number) - (removed[i] ?? 0);
    return { counts, kept: counts, overflow: NONE, unplaced: 0 };
  }
  const out = scaleOut(p, base, replicas - held, s, notes);
  for (let i = 0; i < n; i++) counts[i] = (base[i] as number) + (out.added[i] ?? 0);
  return { counts, kept: base, overflow: out.overflow, unplaced: out.unplaced };
}

/**
 * The fleet scheduling rule (priority spill-over), as a pure function: from the desired replicas,
 * the ordered groups, each cluster's state and the previous result to each cluster's count with
 * its reason, the replicas waiting for capacity and the clusters to ask for nodes. Throws
 * `ScheduleInputError` for input that has no meaning (negative or fractional counts).
 */
export function schedule(input: ScheduleInput): ScheduleResult {
  validateInput(input);
  const p = buildPlacement(input);
  const notes = new Notes();
  const s = input.scheduling;
  const out =
    s.type === 'Duplicated'
      ? scheduleDuplicated(p, input.replicas, notes)
      : scheduleDivided(p, input.replicas, s, notes);
  return assemble(p, input, out, notes);
}
