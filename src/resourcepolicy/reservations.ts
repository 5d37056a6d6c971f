/**
 * Places in units taken at admission, before the pod exists. The webhook that sends a pod
 * straight to a unit answers before the API server stores the pod, and the controller's pod
 * watch shows it only later: until then the place is held here, so neither the next admission
 * nor a reconcile pass can give it away again. A reservation ends when the watch shows the pod
 * (it then counts by the unit recorded on it), or after `ttlMs` when it never does (another
 * admission plugin, a quota or a name clash refused the create). In memory only: after a
 * restart, pods count by the unit recorded on them.
 */
import { ANNOTATION_ADMISSION } from './constants.js';
import type { PolicyPod } from './types.js';

export interface Reservation {
  readonly namespace: string;
  readonly policy: string;
  /** The pod as the webhook let it through (unit labels and annotations included). */
  readonly pod: PolicyPod;
  readonly expiresMs: number;
}

export class ReservationLedger {
  /** By policy (namespace/name), then by token: an admission reads its own policy's only. */
  private readonly byPolicy = new Map<string, Map<string, Reservation>>();
  private readonly policyOf = new Map<string, string>();
  private sweptMs = 0;
  private readonly dropListeners: ((namespace: string, policy: string) => void)[] = [];

  constructor(private readonly ttlMs: number) {}

  /** Told (synchronously) each time a place of a policy ends: seen, expired or replaced. */
  onDrop(listener: (namespace: string, policy: string) => void): void {
    this.dropListeners.push(listener);
  }

  /** Holds a place for a pod admitted with `token` in its ANNOTATION_ADMISSION annotation. */
  reserve(token: string, r: Omit<Reservation, 'expiresMs'>, nowMs: number): void {
    this.drop(token);
    const key = `${r.namespace}/${r.policy}`;
    let held = this.byPolicy.get(key);
    if (!held) this.byPolicy.set(key, (held = new Map()));
    held.set(token, { ...r, expiresMs: nowMs + this.ttlMs });
    this.policyOf.set(token, key);
    // Places of policies nobody asks about any more must not pile up.
    if (nowMs - this.sweptMs >= this.ttlMs) {
      this.sweptMs = nowMs;
      for (const k of [...this.byPolicy.keys()]) this.expire(k, nowMs);
    }
  }

  /** A pod seen by the watch: its own record counts from now on. */
  observed(pod: PolicyPod): void {
    const token = pod.metadata?.annotations?.[ANNOTATION_ADMISSION];
    if (token !== undefined) this.drop(token);
  }

  /** Reservations of one policy still held at `nowMs`; expired ones are dropped. */
  pending(namespace: string, policy: string, nowMs: number): Reservation[] {
    return this.expire(`${namespace}/${policy}`, nowMs);
  }

  get size(): number {
    return this.policyOf.size;
  }

  private expire(key: string, nowMs: number): Reservation[] {
    const held = this.byPolicy.get(key);
    if (!held) return [];
    const out: Reservation[] = [];
    for (const [token, r] of held) {
      if (r.expiresMs <= nowMs) this.drop(token);
      else out.push(r);
    }
    return out;
  }

  private drop(token: string): void {
    const key = this.policyOf.get(token);
    if (key === undefined) return;
    this.policyOf.delete(token);
    const held = this.byPolicy.get(key);
    const r = held?.get(token);
    held?.delete(token);
    if (held?.size === 0) this.byPolicy.delete(key);
    if (r) for (const listener of this.dropListeners) listener(r.namespace, r.policy);
  }
}
