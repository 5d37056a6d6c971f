/**
 * Errors of Kubernetes API calls, told briefly (pure). client-node's ApiException message
 * holds the whole response: body, headers, audit IDs (about 2 KB). A condition, an Event or a
 * log line needs the status code, the Status reason and the API server's own message.
 */
import { oneLine } from '../util/text.js';

/** The HTTP status code of a failed API call; undefined for other errors. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** metav1.Status as the body of an error response (parsed, or JSON text). */
function statusOf(body: unknown): { reason?: string; message?: string } | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return body.trim() ? { message: body } : undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as { reason?: unknown; message?: unknown };
  return {
    ...(typeof s.reason === 'string' && s.reason ? { reason: s.reason } : {}),
    ...(typeof s.message === 'string' && s.message ? { message: s.message } : {}),
  };
}

/** "404 NotFound: deployments.apps \"web\" not found", or undefined when not an API error. */
export function apiErrorSummary(err: unknown): string | undefined {
  const code = statusCode(err);
  if (code === undefined || !(err instanceof Error) || !('body' in err)) return undefined;
  const status = statusOf((err as { body?: unknown }).body);
  // Without a Status body, client-node's own word ("Unauthorized") is on the "Message:" line.
  const fallback = /^Message: (.*)$/m.exec(err.message)?.[1];
  const message = status?.message ?? fallback ?? '';
  return oneLine(
    `${code}${status?.reason ? ` ${status.reason}` : ''}${message ? `: ${message}` : ''}`,
  );
}

/**
 * A create refused because its namespace is being deleted (the API server's NamespaceTerminating
 * cause). Nothing can be made there any more, and what is left goes with the namespace.
 */
export function namespaceTerminating(err: unknown): boolean {
  if (statusCode(err) !== 403) return false;
  return /because it is being terminated/.test(apiErrorSummary(err) ?? '');
}

/** What the work queue does with a reconcile that threw, decided once for every controller. */
export type ErrorClass =
  /**
   * A create refused because its namespace is being deleted: a retry would be refused the same
   * way, and the namespace's objects (the template among them) go with it, their own deletion
   * reconciled then. Not retried, not a failure.
   */
  | 'namespaceTerminating'
  /** 409: someone wrote the object first (a stale resourceVersion). Retried; routine. */
  | 'conflict'
  /** Anything else: retried with backoff and reported as a failure. */
  | 'failure';

export function classifyError(err: unknown): ErrorClass {
  if (namespaceTerminating(err)) return 'namespaceTerminating';
  if (statusCode(err) === 409) return 'conflict';
  return 'failure';
}
