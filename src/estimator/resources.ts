/**
 * Resource names as small integer ids, and amounts as JS numbers in kube-scheduler's units.
 *
 * Units: kube-scheduler's NodeInfo keeps cpu as MilliValue() and every other resource as
 * Value(), whole units rounded up. We do the same, so a "100m" memory request costs one byte
 * here exactly as it does in the scheduler we are predicting. Storing these as numbers is
 * exact while every amount and per-node sum stays below 2^53: 8 PiB of memory or 9e12 cores on
 * one node, hundreds of times the largest machine sold. (Milli-units everywhere would not do:
 * 24 TiB of memory is 2.6e16 milli-bytes, past 2^53.) Amounts beyond that are clamped, and
 * cluster totals, which can exceed it, are summed as bigint.
 */
import type { MilliList } from './requests.js';

export const PODS = 'pods';
export const CPU = 'cpu';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Converts exact milli-units to the scheduler's unit for `resource` (see above). */
export function toUnits(resource: string, milli: bigint): number {
  const units = resource === CPU ? milli : (milli + 999n) / 1000n;
  if (units <= 0n) return 0;
  return units >= MAX ? Number.MAX_SAFE_INTEGER : Number(units);
}

/** Formats an amount in scheduler units back into a Kubernetes quantity string. */
export function formatQuantity(resource: string, units: bigint | number): string {
  return resource === CPU ? `${units}m` : `${units}`;
}

/**
 * A sparse request vector: parallel arrays of resource ids and amounts (> 0), ids ascending.
 * Pods share them (see VectorPool), so a vector is never mutated once built.
 */
export interface RequestVector {
  readonly ids: readonly number[];
  readonly amounts: readonly number[];
}

/** Interns resource names: id 0 is always `pods`, so dense per-node arrays start with it. */
export class ResourceTable {
  private readonly ids = new Map<string, number>([[PODS, 0]]);
  private readonly names: string[] = [PODS];

  get size(): number {
    return this.names.length;
  }

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  name(id: number): string {
    return this.names[id] ?? `#${id}`;
  }

  /** Converts exact milli-units to a vector in scheduler units, zero amounts left out. */
  vector(list: MilliList): RequestVector {
    const pairs: [number, number][] = [];
    for (const [name, milli] of list) {
      const amount = toUnits(name, milli);
      if (amount > 0) pairs.push([this.id(name), amount]);
    }
    pairs.sort((x, y) => x[0] - y[0]);
    return { ids: pairs.map((p) => p[0]), amounts: pairs.map((p) => p[1]) };
  }
}

/** A vector owned by a VectorPool; hand it back with release() once no pod uses it. */
export interface PooledVector extends RequestVector {
  readonly key: string;
  refs: number;
}

/**
 * Shares identical request vectors: the replicas of a workload all request the same, so 100k
 * pods hold a few hundred vectors between them instead of one each. Reference-counted, so a
 * vector no pod uses any more is dropped.
 */
export class VectorPool {
  private readonly byKey = new Map<string, PooledVector>();

  get size(): number {
    return this.byKey.size;
  }

  acquire(v: RequestVector): PooledVector {
    let key = '';
    for (let i = 0; i < v.ids.length; i++) key += `${v.ids[i]}:${v.amounts[i]},`;
    let pooled = this.byKey.get(key);
    if (!pooled) {
      pooled = { ids: v.ids, amounts: v.amounts, key, refs: 0 };
      this.byKey.set(key, pooled);
    }
    pooled.refs++;
    return pooled;
  }

  release(v: PooledVector): void {
    if (--v.refs === 0) this.byKey.delete(v.key);
  }
}
