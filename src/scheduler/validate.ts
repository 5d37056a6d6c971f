import type { ScheduleInput } from './types.js';

/** Input the scheduler cannot make sense of; the message names the offending field. */
export class ScheduleInputError extends Error {}

/** Counts and weights are Kubernetes int32s; the bound also keeps every sum exact. */
export const MAX_COUNT = 2 ** 31 - 1;

function count(value: number | undefined, field: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    throw new ScheduleInputError(
      `${field} must be an integer from 0 to ${MAX_COUNT}, got ${String(value)}`,
    );
  }
}

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
    const at = `cluster ${JSON.stringify(c.name)}`;
    count(c.cur, `${at} cur`);
    count(c.avail, `${at} avail`);
    count(c.ready, `${at} ready`);
    count(c.stuck, `${at} stuck`);
    count(c.notReadySeconds, `${at} notReadySeconds`);
  }
  const s = input.scheduling;
  if (s.type === 'Divided' && s.division === 'Weighted' && s.weighting.kind === 'static') {
    s.weighting.rules.forEach((rule, i) => count(rule.weight, `staticWeightList[${i}].weight`));
  }
}
