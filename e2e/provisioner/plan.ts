/**
 * The simulated cloud's decisions, as pure functions: which elastic pool can hold a pod, how
 * many nodes to add for pending pods or a ProvisioningRequest, and which idle nodes to remove.
 * Test and demo infrastructure (it stands in for a cloud's node autoscaler), not product.
 */
import { parseMilli } from '../../src/util/quantity.js';
import type { NodePool, Taint } from '../fleet/topology.js';

/** A resource vector in milli-units (`pods` counts 1000 per pod). */
export type Resources = Map<string, bigint>;

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/** What the simulated cloud needs to know about a pod that waits for capacity. */
export interface PendingPod {
  requests: Resources;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
}

export function resources(list: Record<string, string> | undefined): Resources {
  const out: Resources = new Map();
  for (const [k, v] of Object.entries(list ?? {})) out.set(k, parseMilli(v));
  return out;
}

export function addInto(into: Resources, add: Resources): void {
  for (const [k, v] of add) into.set(k, (into.get(k) ?? 0n) + v);
}

export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  if (taint.effect === 'PreferNoSchedule') return true;
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Labels and taints a fresh node of `pool` has (see fleet/nodes.ts). */
export interface PoolShape {
  pool: NodePool;
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Resources;
}

/** Whether a pod could run on an empty node of this pool at all. */
export function fitsPool(pod: PendingPod, shape: PoolShape): boolean {
  for (const [k, v] of Object.entries(pod.nodeSelector)) if (shape.labels[k] !== v) return false;
  if (!shape.taints.every((t) => tolerates(pod.tolerations, t))) return false;
  return fitsIn(pod.requests, shape.capacity);
}

function fitsIn(req: Resources, free: Resources): boolean {
  for (const [k, v] of req) if (v > 0n && (free.get(k) ?? 0n) < v) return false;
  return (free.get('pods') ?? 0n) >= 1000n;
}

function take(free: Resources, req: Resources): void {
  for (const [k, v] of req) free.set(k, (free.get(k) ?? 0n) - v);
  free.set('pods', (free.get('pods') ?? 0n) - 1000n);
}

/**
 * How many new nodes of the pool the pods need, after using `spare` (free capacity of nodes
 * already joining or just joined, which the scheduler has not used yet). First-fit decreasing
 * by the pool's scarcest resource, which is what a cloud autoscaler's simulation amounts to.
 */
export function nodesNeeded(pods: PendingPod[], shape: PoolShape, spare: Resources[]): number {
  const bins = spare.map((s) => new Map(s));
  let added = 0;
  const sorted = [...pods].sort((a, b) => weight(b, shape) - weight(a, shape));
  for (const pod of sorted) {
    let bin = bins.find((b) => fitsIn(pod.requests, b));
    if (!bin) {
      bin = new Map(shape.capacity);
      bins.push(bin);
      added += 1;
    }
    take(bin, pod.requests);
  }
  return added;
}

function weight(pod: PendingPod, shape: PoolShape): number {
  let w = 0;
  for (const [k, v] of pod.requests) {
    const cap = shape.capacity.get(k);
    if (cap && cap > 0n) w = Math.max(w, Number((v * 1000n) / cap));
  }
  return w;
}

export interface PoolNode {
  name: string;
  pool: string;
  createdAtMs: number;
  /** Non-terminated pods bound to it. */
  pods: number;
  /** Free allocatable (allocatable minus requests of its pods). */
  free: Resources;
}

/** Assigns each pod to the first pool (topology order) that could run it; the rest stay out. */
export function assignPools(pods: PendingPod[], shapes: PoolShape[]): Map<string, PendingPod[]> {
  const out = new Map<string, PendingPod[]>();
  for (const pod of pods) {
    const shape = shapes.find((s) => fitsPool(pod, s));
    if (!shape) continue;
    const list = out.get(shape.pool.name) ?? [];
    list.push(pod);
    out.set(shape.pool.name, list);
  }
  return out;
}

export interface ScaleUpInput {
  shape: PoolShape;
  pods: PendingPod[];
  /** Nodes of the pool that exist now. */
  nodes: PoolNode[];
  /** Nodes decided but not yet created (waiting out the scale-up delay). */
  inFlight: number;
  /** Nodes younger than this count as spare capacity the scheduler has yet to use. */
  freshWindowMs: number;
  nowMs: number;
}

/** New nodes to add to one pool for its pending pods, capped at the pool's max. */
export function scaleUp(input: ScaleUpInput): number {
  const { shape, nodes, inFlight, nowMs } = input;
  const max = shape.pool.elastic?.max ?? 0;
  const spare = [
    ...nodes.filter((n) => nowMs - n.createdAtMs < input.freshWindowMs).map((n) => n.free),
    ...Array.from({ length: inFlight }, () => new Map(shape.capacity)),
  ];
  const want = nodesNeeded(input.pods, shape, spare);
  const room = Math.max(0, max - nodes.length - inFlight);
  return Math.min(want, room);
}

/** Nodes to remove: empty for at least the pool's idle time. */
export function idleNodes(
  nodes: PoolNode[],
  idleSinceMs: Map<string, number>,
  idleMs: number,
  nowMs: number,
): string[] {
  return nodes
    .filter((n) => n.pods === 0)
    .filter((n) => nowMs - (idleSinceMs.get(n.name) ?? nowMs) >= idleMs)
    .map((n) => n.name);
}
