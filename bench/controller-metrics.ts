/**
 * Reads a controller process's own figures from its /metrics endpoint (the health port it logs
 * at start-up): CPU seconds, resident memory, API requests by verb, reconciles and queue depth.
 */
import { readFileSync } from 'node:fs';
import type { ProcessRecord } from '../e2e/fleet/processes.js';
import { waitFor } from '../e2e/fleet/readiness.js';

export interface ControllerFigures {
  cpuSeconds: number;
  rssBytes: number;
  /** The V8 heap in use, and memory outside it (Buffers, native): what the RSS is made of. */
  heapUsedBytes: number;
  externalBytes: number;
  /** API requests by "verb resource" (get deployments, patch leases, watch ...). */
  requests: Record<string, number>;
  reconciles: number;
  queueDepth: number;
}

/** The health port the controller logged ("fleet controller running", healthPort). */
export async function healthPortOf(rec: ProcessRecord): Promise<number> {
  let port = 0;
  await waitFor(`${rec.name} health port in its log`, 120_000, async () => {
    const m = /"healthPort":(\d+)/.exec(readFileSync(rec.log, 'utf8'));
    port = m ? Number(m[1]) : 0;
    return port > 0;
  });
  return port;
}

function sum(text: string, name: string, labels: string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const key = labels
      .map((l) => new RegExp(`${l}="([^"]*)"`).exec(m[2] ?? '')?.[1] ?? '')
      .join(' ');
    out[key] = (out[key] ?? 0) + Number(m[3]);
  }
  return out;
}

export async function scrape(port: number): Promise<ControllerFigures> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return {
    cpuSeconds: sum(text, 'process_cpu_seconds_total')[''] ?? NaN,
    rssBytes: sum(text, 'process_resident_memory_bytes')[''] ?? NaN,
    heapUsedBytes: sum(text, 'nodejs_heap_size_used_bytes')[''] ?? NaN,
    externalBytes: sum(text, 'nodejs_external_memory_bytes')[''] ?? NaN,
    requests: sum(text, 'spillway_api_requests_total', ['verb', 'resource']),
    reconciles: sum(text, 'spillway_reconcile_total')[''] ?? 0,
    queueDepth: sum(text, 'spillway_workqueue_depth')[''] ?? 0,
  };
}

/**
 * Heartbeats: writes that say the controller is alive, per replica or per member, not work on
 * workloads: leader election renews its Lease every few seconds, and each MemberCluster's status
 * is written again every 5 minutes when nothing else in it changed (its `lastProbeTime`, as a
 * kubelet refreshes its Node's status). Counted apart from `writes`, and shown.
 */
const HEARTBEATS = new Set(['leases', 'memberclusters']);

/** Requests made between two scrapes: by verb, writes without heartbeats, and the total. */
export function requestsBetween(
  a: ControllerFigures,
  b: ControllerFigures,
): {
  byVerb: Record<string, number>;
  /** By "verb resource" (get resourcebindings, patch deployments, ...). */
  byVerbResource: Record<string, number>;
  writes: number;
  /** Heartbeat writes by resource (see HEARTBEATS). */
  heartbeats: Record<string, number>;
  total: number;
} {
  const byVerb: Record<string, number> = {};
  const byVerbResource: Record<string, number> = {};
  let total = 0;
  let writes = 0;
  const heartbeats: Record<string, number> = {};
  for (const [key, n] of Object.entries(b.requests)) {
    const d = n - (a.requests[key] ?? 0);
    if (d === 0) continue;
    const [verb = '', resource = ''] = key.split(' ');
    byVerb[verb] = (byVerb[verb] ?? 0) + d;
    byVerbResource[key] = d;
    total += d;
    if (!['post', 'put', 'patch', 'delete'].includes(verb)) continue;
    if (HEARTBEATS.has(resource)) heartbeats[resource] = (heartbeats[resource] ?? 0) + d;
    else writes += d;
  }
  return { byVerb, byVerbResource, writes, heartbeats, total };
}

/**
 * Waits until the controller has nothing to do: an empty queue and no reconcile for `quietMs`.
 * Returns how long that took.
 */
export async function settle(
  port: number,
  quietMs = 3000,
  timeoutMs = 30 * 60_000,
): Promise<number> {
  const start = performance.now();
  let last = await scrape(port);
  let since = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await scrape(port);
    if (now.reconciles !== last.reconciles || now.queueDepth > 0) since = performance.now();
    last = now;
    if (performance.now() - since >= quietMs) return performance.now() - start - quietMs;
    if (performance.now() - start > timeoutMs) throw new Error('controller never settled');
  }
}
