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
  private readonly byToken = new Map<string, Reservation>();

  constructor(private readonly ttlMs: number) {}

  /** Holds a place for a pod admitted with `token` in its ANNOTATION_ADMISSION annotation. */
  reserve(token: string, r: Omit<Reservation, 'expiresMs'>, nowMs: number): void {
    this.byToken.set(token, { ...r, expiresMs: nowMs + this.ttlMs });
  }

  /** A pod seen by the watch: its own record counts from now on. */
  observed(pod: PolicyPod): void {
    const token = pod.metadata?.annotations?.[ANNOTATION_ADMISSION];
    if (token !== undefined) this.byToken.delete(token);
  }

  /** Reservations of one policy still held at `nowMs`; expired ones are dropped. */
  pending(namespace: string, policy: string, nowMs: number): Reservation[] {
    const out: Reservation[] = [];
    for (const [token, r] of this.byToken) {
      if (r.expiresMs <= nowMs) this.byToken.delete(token);
      else if (r.namespace === namespace && r.policy === policy) out.push(r);
    }
    return out;
  }

  get size(): number {
    return this.byToken.size;
  }
}
