import type { ClusterState, ScheduleInput } from './types.js';

/** Input the scheduler cannot make sense of; the message names the offending field. */
export class ScheduleInputError extends Error {}

/** Counts and weights are Kubernetes int32s; the bound also keeps every sum exact. */
export const MAX_COUNT = 2 ** 31 - 1;

function isCount(value: number | undefined): boolean {
  return value === undefined || (Number.isInteger(value) && value >= 0 && value <= MAX_COUNT);
}

function count(value: number | undefined, field: string): void {
  if (isCount(value)) return;
  throw new ScheduleInputError(
    `${field} must be an integer from 0 to ${MAX_COUNT}, got ${String(value)}`,
  );
}

/**
 * Rejects input that would make the counts meaningless (negative, fractional, a name given
 * twice; the placement finds the latter, as it orders clusters by name anyway). Merely
 * inconsistent input (ready above cur, a group naming an unknown cluster) is tolerated and
 * resolved by the placement, because the controller sees such states between resyncs.
 */
export function validateInput(input: ScheduleInput): void {
  count(input.replicas, 'replicas');
  count(input.tolerationSeconds, 'tolerationSeconds');
  const cs = input.clusters;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i] as ClusterState;
    // The scheduler's hot path: each field checked by name (no keyed loop), and a message
    // built only for a bad one.
    if (
      !isCount(c.cur) ||
      !isCount(c.avail) ||
      !isCount(c.ready) ||
      !isCount(c.stuck) ||
      !isCount(c.notReadySeconds)
    )
      for (const field of ['cur', 'avail', 'ready', 'stuck', 'notReadySeconds'] as const)
        count(c[field], `cluster ${JSON.stringify(c.name)} ${field}`);
  }
  const s = input.scheduling;
  if (s.type === 'Divided' && s.division === 'Weighted' && s.weighting.kind === 'static') {
    s.weighting.rules.forEach((rule, i) => count(rule.weight, `staticWeightList[${i}].weight`));
  }
}

/** A cluster name given twice: which of the two states would count is not defined. */
export function duplicateCluster(name: string): ScheduleInputError {
  return new ScheduleInputError(`cluster ${JSON.stringify(name)} twice`);
}
