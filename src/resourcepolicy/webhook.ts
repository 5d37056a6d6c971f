/**
 * The mutating admission webhook (HTTPS): POST /mutate receives an AdmissionReview for a pod
 * CREATE and answers with a JSON patch adding the scheduling gate when a ResourcePolicy selects
 * the pod, or, when the pod's unit is already certain, the unit's constraints instead. It never rejects a pod: on any doubt (unparsable review, not a pod) it allows it
 * unchanged, so a fault here degrades to ordinary scheduling instead of blocking workloads.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Histogram, Counter } from 'prom-client';
import type { Logger } from '../runtime/logger.js';
import type { WebhookTls } from './certs.js';
import { gateDecision, type JsonPatchOp } from './gate.js';
import type { SelectorHolder } from './select.js';
import type { PolicyPod } from './types.js';

interface AdmissionRequest {
  uid: string;
  dryRun?: boolean;
  kind?: { kind?: string };
  operation?: string;
  namespace?: string;
  object?: PolicyPod;
}

export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: { uid: string; allowed: true; patchType?: 'JSONPatch'; patch?: string };
}

export interface WebhookMetrics {
  latency: Histogram<'result'>;
  admissions: Counter<'result'>;
}

/**
 * Sends a selected pod straight to its unit when that is certain (admission.ts): the patch, or
 * undefined to gate it. Never asked for a dry run, which must not hold a place. May answer
 * after a moment (well within the API server's deadline), when places held for pods admitted
 * just before decide the unit until the watch shows those pods.
 */
export type DecideAtAdmission = (
  pod: PolicyPod,
  namespace: string,
  token: string,
) => JsonPatchOp[] | undefined | Promise<JsonPatchOp[] | undefined>;

export type ReviewResult = 'gated' | 'assigned' | 'skipped';

/** The part without I/O: an AdmissionReview body in, the review to answer out. */
export async function review(
  body: unknown,
  policies: () => Iterable<SelectorHolder>,
  decide?: DecideAtAdmission,
): Promise<{ response: AdmissionReviewResponse; result: ReviewResult }> {
  const request = (body as { request?: AdmissionRequest } | null)?.request;
  const uid = request?.uid ?? '';
  const allow = (): AdmissionReviewResponse => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid, allowed: true },
  });
  if (!request?.object || request.kind?.kind !== 'Pod' || request.operation !== 'CREATE')
    return { response: allow(), result: 'skipped' };
  const namespace = request.namespace ?? request.object.metadata?.namespace ?? '';
  const { patch } = gateDecision(request.object, namespace, policies());
  if (patch.length === 0) return { response: allow(), result: 'skipped' };
  let direct: JsonPatchOp[] | undefined;
  try {
    if (decide && request.dryRun !== true) direct = await decide(request.object, namespace, uid);
  } catch {
    direct = undefined; // a fault in the fast path must never let a selected pod through ungated
  }
  const response = allow();
  response.response.patchType = 'JSONPatch';
  response.response.patch = Buffer.from(JSON.stringify(direct ?? patch)).toString('base64');
  return { response, result: direct ? 'assigned' : 'gated' };
}

export interface WebhookServerOptions {
  tls: WebhookTls;
  host: string;
  port: number;
  policies: () => Iterable<SelectorHolder>;
  decide?: DecideAtAdmission;
  metrics: WebhookMetrics;
  logger: Logger;
}

export interface WebhookServer {
  port: number;
  /** Whether the server still accepts connections (the controller's readiness). */
  serving(): boolean;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

function handle(opts: WebhookServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const start = process.hrtime.bigint();
  if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/mutate') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(c);
  });
  // The decision may take a moment (admission.ts): answered when it is known.
  const respond = async (): Promise<void> => {
    let result: ReviewResult | 'error' = 'error';
    let reply: AdmissionReviewResponse;
    try {
      const out = await review(
        JSON.parse(Buffer.concat(chunks).toString('utf8')),
        opts.policies,
        opts.decide,
      );
      reply = out.response;
      result = out.result;
    } catch (err) {
      opts.logger.warn('unreadable admission review; pod allowed unchanged', {
        error: String(err),
      });
      reply = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: '', allowed: true },
      };
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    opts.metrics.latency.observe({ result }, seconds);
    opts.metrics.admissions.inc({ result });
  };
  req.on('end', () => void respond());
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) =>
    handle(opts, req, res),
  );
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    serving: () => server.listening,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
