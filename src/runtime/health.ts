/** The probe and metrics endpoints: /healthz (process alive), /readyz (caller's check), /metrics. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Ready when this returns true (e.g. caches synced); else /readyz answers 503 with the reason. */
  ready: () => true | string;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const r = opts.ready();
      if (r === true) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(r);
    } else if (path === '/metrics') {
      opts.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
