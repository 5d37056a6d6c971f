/**
 * The Kubernetes effective-request rule (resourcehelper.PodRequests, as kube-scheduler uses it):
 *
 *   max(sum of app containers + sidecars, max over init containers of (own + sidecars started
 *   before it)) + overhead, per resource,
 *
 * where a sidecar is an init container with restartPolicy Always (KEP-753): it keeps running,
 * so it adds to the sum and to every init container that starts after it. Pod-level requests
 * (KEP-2837) replace the container aggregate for the resources they name.
 *
 * Amounts are exact milli-units (bigint), so nothing is rounded before the final conversion.
 */
import { parseMilli } from '../util/quantity.js';
import type { ContainerInput, PodSpecInput, ResourceListInput } from './types.js';

export type MilliList = Map<string, bigint>;

/** Resources a pod-level `resources.requests` may set (the rest are ignored, as upstream). */
const POD_LEVEL_RESOURCES: ReadonlySet<string> = new Set(['cpu', 'memory']);

export type QuantityParser = (quantity: string | number) => bigint;

/**
 * Reads a ResourceList. The API server validates quantities, so an unparsable or negative one
 * can only come from a hand-built object; it is skipped rather than failing the whole event.
 */
export function readResourceList(
  list: ResourceListInput | undefined,
  parse: QuantityParser = parseMilli,
): MilliList {
  const out: MilliList = new Map();
  if (!list) return out;
  for (const [name, quantity] of Object.entries(list)) {
    if (quantity === undefined) continue;
    let value: bigint;
    try {
      value = parse(quantity);
    } catch {
      continue;
    }
    if (value > 0n) out.set(name, value);
  }
  return out;
}

function addInto(acc: MilliList, list: MilliList): void {
  for (const [name, value] of list) acc.set(name, (acc.get(name) ?? 0n) + value);
}

function maxInto(acc: MilliList, list: MilliList): void {
  for (const [name, value] of list) if (value > (acc.get(name) ?? 0n)) acc.set(name, value);
}

function containerRequests(c: ContainerInput, parse: QuantityParser): MilliList {
  return readResourceList(c.resources?.requests, parse);
}

/** The pod's effective requests, in exact milli-units, zero amounts left out, `pods` too. */
export function effectiveRequests(
  spec: PodSpecInput | undefined,
  parse: QuantityParser = parseMilli,
): MilliList {
  const total: MilliList = new Map();
  for (const c of spec?.containers ?? []) addInto(total, containerRequests(c, parse));

  const sidecars: MilliList = new Map(); // sidecars started so far
  const initPeak: MilliList = new Map();
  for (const c of spec?.initContainers ?? []) {
    const own = containerRequests(c, parse);
    if (c.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      addInto(own, sidecars);
      maxInto(initPeak, own);
    }
  }
  maxInto(total, initPeak);

  for (const [name, value] of readResourceList(spec?.resources?.requests, parse)) {
    if (POD_LEVEL_RESOURCES.has(name)) total.set(name, value);
  }
  addInto(total, readResourceList(spec?.overhead, parse));
  // `pods` is a node capacity each pod uses once, not something a pod can ask more of.
  total.delete('pods');
  return total;
}
