/** The `--workers` flag: how many different keys a controller reconciles at once. */

/** The most workers the flag takes: beyond this the API servers, not the workers, are the limit. */
export const MAX_WORKERS = 64;

/** The flag's value as a whole number from 1 to MAX_WORKERS, or a clear error. */
export function parseWorkers(text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS)
    throw new Error(
      `--workers wants a whole number from 1 to ${MAX_WORKERS}, got ${JSON.stringify(text ?? '')}`,
    );
  return n;
}
