/**
 * Progress of a long fuzz run: a line on stderr every 1,000 cases of a kind (written directly,
 * as Jest holds a test's console output until the file ends), so that a run stopped at a
 * deadline still shows how far each kind got and at what pace. Test infrastructure only.
 */
export function caseCounter(kind: string, total: number): () => void {
  let n = 0;
  const start = Date.now();
  return () => {
    n += 1;
    if (total >= 1000 && n % 1000 === 0)
      process.stderr.write(
        `fuzz progress ${kind}: ${n} of ${total} cases, ${Math.round((Date.now() - start) / 1000)} s\n`,
      );
  };
}

/**
 * SPILLWAY_FUZZ_KIND_SECONDS caps each kind's cases by time for a run that must end by a
 * deadline: fast-check stops starting cases after that long, and the cases run so far count (the
 * printed outcome counts say how many). Unset (no cap) in `make fuzz` and `make test`.
 */
export function kindTimeCap(): {
  interruptAfterTimeLimit?: number;
  markInterruptAsFailure?: false;
} {
  const seconds = Number(process.env.SPILLWAY_FUZZ_KIND_SECONDS);
  return seconds > 0
    ? { interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false }
    : {};
}
