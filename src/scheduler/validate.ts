import type { ScheduleInput } from './types.js';

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

const CLUSTER_COUNTS = ['cur', 'avail', 'ready', 'stuck', 'notReadySeconds'] as const;

/**
 * Rejects input that would make the counts meaningless (negative, fractional, ambiguous names).
 * Merely inconsistent input (ready above cur, a group naming an unknown cluster) is tolerated
 * and resolved by the placement, because the controller sees such states between resyncs.
 */
export function validateInput(input: ScheduleInput): void {
  count(input.replicas, 'replicas');
  count(input.tolerationSeconds, 'tolerationSeconds');
  const seen = new Set<string>();
  for (const c of input.clusters) {
    if (seen.has(c.name)) throw new ScheduleInputError(`cluster ${JSON.stringify(c.name)} twice`);
    seen.add(c.name);
    // The message is built only for a bad field: this loop is the scheduler's hot path.
    for (const field of CLUSTER_COUNTS) {
      if (!isCount(c[field])) count(c[field], `cluster ${JSON.stringify(c.name)} ${field}`);
    }
  }
  const s = input.scheduling;
  if (s.type === 'Divided' && s.division === 'Weighted' && s.weighting.kind === 'static') {
    s.weighting.rules.forEach((rule, i) => count(rule.weight, `staticWeightList[${i}].weight`));
  }
}
