/**
 * The webhook's side of deciding a unit at admission: gathers what a reconcile pass would look
 * at (the policy that wins the pod, the counts of its pods as the controller sees them, places
 * held for pods admitted a moment ago, the reconciler's refusals and wait suspensions), asks
 * the pure decision (admit.ts), and holds the place when it assigns. The counts are kept from
 * the pod watch (policy-counts.ts), so an admission costs O(units), not O(pods of the
 * namespace). JavaScript runs one admission or one pass plan at a time, so each sees the
 * others' places: a pass's patches show the pod still gated until they return (the decision
 * then keeps the gate), and the pass counts the places held here.
 *
 * At a unit boundary the places held for pods admitted just before decide the unit (the last
 * places of a unit are held, not yet seen). Gating the pod there used to gate every later pod
 * of the policy too (older pods are decided first) until a pass had decided it. Instead the
 * admission waits, up to `heldWaitMs` (well within the API server's 5 s deadline), for the
 * watch to show those pods, then decides again; admissions of the policy that arrive
 * meanwhile wait behind it, so they are decided in the order they came. A held place that
 * never shows (a create refused after the webhook) makes the wait end in the gate, as before.
 */
import type { ResourcePolicy } from '../api/resourcepolicy.js';
import { admitDecision } from './admit.js';
import type { UnitRoom } from './choose.js';
import type { JsonPatchOp } from './gate.js';
import type { PolicySummary } from './policy-counts.js';
import type { ReservationLedger } from './reservations.js';
import { matchingPolicies } from './select.js';
import type { Policy, Unit } from './spec.js';
import type { PolicyPod } from './types.js';

export interface AdmissionDeciderDeps {
  /** Valid policies. */
  policies: () => readonly Policy[];
  /** The stored policy (for its status), by namespace and name. */
  rawPolicy: (namespace: string, name: string) => ResourcePolicy | undefined;
  /**
   * The counts of the pods `policy` wins among the namespace's valid `policies`, as the
   * reconciler sees the pods (cache and its own writes).
   */
  summary: (
    namespace: string,
    policies: readonly Policy[],
    policy: Policy,
  ) => PolicySummary | undefined;
  /**
   * Capacity of a unit for the pod. Asked at admission, it need not count preemption victims
   * exactly: a unit where some may run (lowerPriorityPods > 0) only ever makes the decision
   * keep the gate.
   */
  room: (unit: Unit, pod: PolicyPod) => UnitRoom;
  refusedOwners: (policyUid: string) => ReadonlySet<string>;
  waitSuspended: (policy: Policy, raw: ResourcePolicy, nowMs: number) => boolean[];
  ledger: ReservationLedger;
  /** Leader, caches synced: otherwise every selected pod is gated. */
  ready: () => boolean;
  /** Called for each pod sent to a unit at admission. */
  assigned?: (policy: Policy, unit: number) => void;
  /**
   * Longest wait for places held by earlier admissions to be seen, when they decide the unit
   * (default 2000 ms, well within the API server's 5 s deadline); 0 gates at once.
   */
  heldWaitMs?: number;
}

type Attempt =
  | { readonly kind: 'done'; readonly patch: JsonPatchOp[] | undefined }
  | { readonly kind: 'wait'; readonly key: string };

interface Waiter {
  readonly pod: PolicyPod;
  readonly namespace: string;
  readonly token: string;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly resolve: (patch: JsonPatchOp[] | undefined) => void;
}

export class AdmissionDecider {
  /** Admissions waiting for held places to be seen, per policy (namespace/name), oldest first. */
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(private readonly deps: AdmissionDeciderDeps) {
    deps.ledger.onDrop((namespace, policy) => {
      const key = `${namespace}/${policy}`;
      // After the watch handler that dropped the place has updated the counts.
      if (this.waiting.has(key)) queueMicrotask(() => this.drain(key));
    });
  }

  /** The patch that sends the pod to its unit, or undefined to gate it as usual. */
  decide(
    pod: PolicyPod,
    namespace: string,
    token: string,
  ): JsonPatchOp[] | undefined | Promise<JsonPatchOp[] | undefined> {
    const first = this.attempt(pod, namespace, token, false);
    if (first.kind === 'done') return first.patch;
    const waitMs = this.deps.heldWaitMs ?? 2000;
    if (waitMs <= 0) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const queue = this.waiting.get(first.key) ?? [];
        const i = queue.findIndex((w) => w.token === token);
        if (i < 0) return;
        queue.splice(i, 1);
        if (queue.length === 0) this.waiting.delete(first.key);
        resolve(undefined);
        // The ones behind it may be decided now (they would have waited for it).
        this.drain(first.key);
      }, waitMs);
      const queue = this.waiting.get(first.key) ?? [];
      queue.push({ pod, namespace, token, timer, resolve });
      this.waiting.set(first.key, queue);
    });
  }

  /** Decides the waiting admissions of a policy in order, up to the first that must wait on. */
  private drain(key: string): void {
    const queue = this.waiting.get(key);
    while (queue && queue.length > 0) {
      const w = queue[0] as Waiter;
      const a = this.attempt(w.pod, w.namespace, w.token, true);
      if (a.kind === 'wait') return;
      queue.shift();
      clearTimeout(w.timer);
      w.resolve(a.patch);
    }
    this.waiting.delete(key);
  }

  /**
   * One decision. 'wait': held places decide the unit (or, unless `queued`, earlier admissions
   * of the policy already wait for them).
   */
  private attempt(pod: PolicyPod, namespace: string, token: string, queued: boolean): Attempt {
    const { deps } = this;
    const gate: Attempt = { kind: 'done', patch: undefined };
    if (!token || !deps.ready()) return gate;
    const valid = deps.policies().filter((p) => p.namespace === namespace);
    const [policy] = matchingPolicies(valid, namespace, pod.metadata?.labels);
    if (!policy) return gate;
    const key = `${namespace}/${policy.name}`;
    if (!queued && this.waiting.has(key)) return { kind: 'wait', key };
    const raw = deps.rawPolicy(namespace, policy.name);
    // An edit the controller has not acted on yet (units, max...): let the pass decide.
    if (!raw || raw.status?.observedGeneration !== policy.generation) return gate;
    const summary = deps.summary(namespace, valid, policy);
    if (!summary) return gate;
    const nowMs = Date.now();
    const decision = admitDecision({
      policy,
      pod: { ...pod, metadata: { ...pod.metadata, namespace } },
      summary,
      reserved: deps.ledger.pending(namespace, policy.name, nowMs).map((r) => r.pod),
      room: deps.room,
      refusedOwners: deps.refusedOwners(policy.uid),
      waitSuspended: deps.waitSuspended(policy, raw, nowMs),
      nowMs,
      token,
    });
    if (decision.kind !== 'assign') return decision.untilSeen ? { kind: 'wait', key } : gate;
    deps.ledger.reserve(token, { namespace, policy: policy.name, pod: decision.placed }, nowMs);
    deps.assigned?.(policy, decision.unit);
    return { kind: 'done', patch: decision.patch };
  }
}
