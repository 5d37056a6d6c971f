/**
 * Counts the write requests (POST, PUT, PATCH, DELETE) this process sends to any API server,
 * client-side: `@kubernetes/client-node` sends every request through node's http(s).request, so
 * wrapping it sees the in-process controller's requests and nothing of the fleet's own
 * processes (kwok, controller managers), which write to the same API servers.
 */
import http from 'node:http';
import https from 'node:https';

export interface WriteRequest {
  method: string;
  /** host:port and path, e.g. 127.0.0.1:40123/apis/apps/v1/namespaces/a/deployments/web */
  target: string;
}

type RequestFn = typeof http.request;

function describe(args: unknown[]): WriteRequest | undefined {
  const [first, second] = args;
  const opts = (
    first instanceof URL || typeof first === 'string'
      ? { ...(typeof second === 'object' && second !== null ? second : {}), url: String(first) }
      : first
  ) as {
    method?: string;
    hostname?: string;
    host?: string;
    port?: string | number;
    path?: string;
    url?: string;
  };
  const method = (opts.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
  const target =
    opts.url ?? `${opts.hostname ?? opts.host ?? ''}:${opts.port ?? ''}${opts.path ?? ''}`;
  return { method, target };
}

/** Starts counting; `stop()` restores the originals and returns what was sent meanwhile. */
export function countWrites(): { stop(): WriteRequest[] } {
  const writes: WriteRequest[] = [];
  const originals: [typeof http | typeof https, RequestFn][] = [
    [http, http.request],
    [https, https.request as RequestFn],
  ];
  for (const [mod, original] of originals) {
    (mod as { request: RequestFn }).request = ((...args: unknown[]) => {
      const w = describe(args);
      if (w) writes.push(w);
      return (original as (...a: unknown[]) => http.ClientRequest)(...args);
    }) as RequestFn;
  }
  return {
    stop() {
      for (const [mod, original] of originals) (mod as { request: RequestFn }).request = original;
      return writes;
    },
  };
}
