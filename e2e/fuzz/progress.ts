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
