/** Reading the API server's refusals in the fuzz tests. Test infrastructure only. */

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
