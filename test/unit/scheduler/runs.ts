/**
 * How many cases each scheduler property runs: the file's default in `make test`, or
 * SPILLWAY_PROPERTY_RUNS (`make fuzz` sets 100,000), with a test timeout to match.
 */
import { jest } from '@jest/globals';

export function propertyRuns(defaultRuns: number): { numRuns: number } {
  const fromEnv = Number(process.env.SPILLWAY_PROPERTY_RUNS);
  const numRuns = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultRuns;
  // A generous 10 ms a case: the long run is bounded by its case count, not a clock.
  if (numRuns > defaultRuns) jest.setTimeout(numRuns * 10);
  return { numRuns };
}
