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

export class PodView {
  private readonly written = new Map<string, V1Pod>();
  private readonly deleted = new Map<string, number>();

  /** A pod as the API server returned it after our patch. */
  wrote(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (uid) this.written.set(uid, pod);
  }

  /** A pod we deleted: hidden until the watch reports it gone or terminating. */
  deletedPod(uid: string): void {
    this.deleted.set(uid, Date.now());
  }

  /** Called for every watch event: drops overlay entries the cache has caught up with. */
  observed(pod: V1Pod, gone: boolean): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const mine = this.written.get(uid);
    if (gone || (mine && rvNumber(pod) >= rvNumber(mine))) this.written.delete(uid);
    if (gone || pod.metadata?.deletionTimestamp) this.deleted.delete(uid);
  }

  /** The cached pods with our newer writes applied and our deletions left out. */
  view(cached: readonly V1Pod[]): V1Pod[] {
    const out: V1Pod[] = [];
    const staleBefore = Date.now() - 60_000;
    for (const pod of cached) {
      const uid = pod.metadata?.uid ?? '';
      const deletedAt = this.deleted.get(uid);
      if (deletedAt !== undefined) {
        if (deletedAt > staleBefore) continue;
        this.deleted.delete(uid); // the watch never confirmed: trust the cache again
      }
      const mine = this.written.get(uid);
      out.push(mine && rvNumber(mine) > rvNumber(pod) ? mine : pod);
    }
    return out;
  }

  get size(): number {
    return this.written.size + this.deleted.size;
  }
}
