/** Go's time.ParseDuration for the forms a CRD admits (no sign): "90s", "1m30s", "1.5h". */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/y;

export class DurationError extends Error {}

/** Go's largest duration, 2^63 - 1 ns, in ms: longer text does not parse in Go (or CEL). */
export const MAX_DURATION_MS = 9_223_372_036_854;

/** Milliseconds in a Go duration string; throws DurationError naming the bad input. */
export function parseDurationMs(text: string): number {
  if (text === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start)
      throw new DurationError(`invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    matched++;
  }
  if (matched === 0) throw new DurationError(`invalid duration ${JSON.stringify(text)}`);
  if (total > MAX_DURATION_MS)
    throw new DurationError(`duration ${JSON.stringify(text)} is out of range (at most 2562047h)`);
  return total;
}
