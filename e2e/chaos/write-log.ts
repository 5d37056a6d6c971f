/**
 * Preloaded (`node --import`) into a fleet controller process the chaos suite starts: appends one
 * line per write request (POST, PUT, PATCH, DELETE) the process starts towards any API server,
 * with the time it was handed to the HTTP client, to $SPILLWAY_WRITE_LOG. The suite reads it to
 * show that a deposed leader starts no write once it resumes after losing its lease.
 * Synchronous appends: a SIGKILL loses no line.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

type RequestFn = typeof http.request;
const file = process.env.SPILLWAY_WRITE_LOG;

function methodOf(args: unknown[]): { method: string; path: string } {
  const [first, second] = args;
  const opts = (
    first instanceof URL || typeof first === 'string'
      ? { ...(typeof second === 'object' && second !== null ? second : {}), path: String(first) }
      : first
  ) as { method?: string; path?: string };
  return { method: (opts.method ?? 'GET').toUpperCase(), path: opts.path ?? '' };
}

if (file) {
  for (const mod of [http, https]) {
    const original = mod.request as RequestFn;
    (mod as { request: RequestFn }).request = ((...args: unknown[]) => {
      const { method, path } = methodOf(args);
      const req = (original as (...a: unknown[]) => http.ClientRequest)(...args);
      // Logged as the request is handed to the HTTP client, once a fence had its say (it
      // destroys a refused request inside that very call, which is then never sent).
      if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && !req.destroyed)
        appendFileSync(file, `${Date.now()} ${method} ${path}\n`);
      return req;
    }) as RequestFn;
  }
}
