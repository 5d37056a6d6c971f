/**
 * The pods a reconcile sees: the informer's cache, overlaid with the controller's own writes
 * that the watch has not delivered yet. Without the overlay a reconcile right after a patch
 * would decide on the pod's old state (still gated, no unit) and could overfill a unit.
 */
import type { V1Pod } from '@kubernetes/client-node';

function rvNumber(pod: V1Pod | undefined): bigint {
  const rv = pod?.metadata?.resourceVersion;
  return rv && /^\d+$/.test(rv) ? BigInt(rv) : -1n;
}

/** A hidden deletion the watch never confirmed is trusted no longer after this. */
const DELETION_STALE_MS = 60_000;

/** Called when what the view shows of a pod may have changed (the admission counts follow). */
export type PodViewChange = (namespace: string, name: string, uid: string) => void;

export class PodView {
  private readonly written = new Map<string, V1Pod>();
  private readonly deleted = new Map<string, { atMs: number; namespace: string; name: string }>();

  constructor(private readonly changed: PodViewChange = () => undefined) {}

  /** A pod as the API server returned it after our patch. */
  wrote(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    this.written.set(uid, pod);
    this.changed(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', uid);
  }

  /** A pod we deleted: hidden until the watch reports it gone or terminating. */
  deletedPod(pod: {
    readonly metadata?: {
      readonly uid?: string;
      readonly namespace?: string;
      readonly name?: string;
    };
  }): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    this.deleted.set(uid, { atMs: Date.now(), namespace, name });
    this.changed(namespace, name, uid);
  }

  /** Called for every watch event: drops overlay entries the cache has caught up with. */
  observed(pod: V1Pod, gone: boolean): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const mine = this.written.get(uid);
    if (gone || (mine && rvNumber(pod) >= rvNumber(mine))) this.written.delete(uid);
    if (gone || pod.metadata?.deletionTimestamp) this.deleted.delete(uid);
    this.changed(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', uid);
  }

  /** Shows again the deletions the watch never confirmed within a minute: trust the cache. */
  sweep(nowMs = Date.now()): void {
    for (const [uid, d] of this.deleted) {
      if (d.atMs > nowMs - DELETION_STALE_MS) continue;
      this.deleted.delete(uid);
      this.changed(d.namespace, d.name, uid);
    }
  }

  /** One cached pod as the view shows it: our newer write, or undefined if we deleted it. */
  effective(cached: V1Pod): V1Pod | undefined {
    const uid = cached.metadata?.uid ?? '';
    if (this.deleted.has(uid)) return undefined;
    const mine = this.written.get(uid);
    return mine && rvNumber(mine) > rvNumber(cached) ? mine : cached;
  }

  /** The cached pods with our newer writes applied and our deletions left out. */
  view(cached: readonly V1Pod[]): V1Pod[] {
    if (this.deleted.size > 0) this.sweep();
    const out: V1Pod[] = [];
    for (const pod of cached) {
      const shown = this.effective(pod);
      if (shown) out.push(shown);
    }
    return out;
  }

  get size(): number {
    return this.written.size + this.deleted.size;
  }
}
