/**
 * The API server's refusals in the fuzz tests, and how long one case may take. Test
 * infrastructure only.
 */

/** The API server's message and HTTP code for an error response. */
export function failureOf(err: unknown): { code: number; message: string } {
  const e = err as { code?: number; body?: unknown; message?: string };
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return { code: e.code ?? 0, message: body as string };
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return {
    code: e.code ?? 0,
    message: typeof message === 'string' ? message : String(e.message ?? err),
  };
}

/** A message names a field when it carries a path into the spec, e.g. spec.units[0].max. */
export function namesSpecField(message: string): boolean {
  return /\bspec(\.|\[|:| in body)|unknown field "spec\./.test(message);
}

/**
 * The test timeout per generated case: a guard against a hang, not a timing. A case is one dry
 * run on the API server (tens of ms on an idle machine, up to a second on one loaded thirty
 * times over, where 100 ms per case failed the long run by timeout).
 */
export const FUZZ_CASE_GUARD_MS = 1_000;
