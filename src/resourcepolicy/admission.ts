/**
 * The webhook's side of deciding a unit at admission: gathers what a reconcile pass would look
 * at (the policy that wins the pod, the counts of its pods as the controller sees them, places
 * held for pods admitted a moment ago, the reconciler's refusals and wait suspensions), asks
 * the pure decision (admit.ts), and holds the place when it assigns. The counts are kept from
 * the pod watch (policy-counts.ts), so an admission costs O(units), not O(pods of the
 * namespace). JavaScript runs one admission or one pass plan at a time, so each sees the
 * others' places: a pass's patches show the pod still gated until they return (the decision
 * then keeps the gate), and the pass counts the places held here.
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
}

export class AdmissionDecider {
  constructor(private readonly deps: AdmissionDeciderDeps) {}

  /** The patch that sends the pod to its unit, or undefined to gate it as usual. */
  decide(pod: PolicyPod, namespace: string, token: string): JsonPatchOp[] | undefined {
    const { deps } = this;
    if (!token || !deps.ready()) return undefined;
    const valid = deps.policies().filter((p) => p.namespace === namespace);
    const [policy] = matchingPolicies(valid, namespace, pod.metadata?.labels);
    if (!policy) return undefined;
    const raw = deps.rawPolicy(namespace, policy.name);
    // An edit the controller has not acted on yet (units, max...): let the pass decide.
    if (!raw || raw.status?.observedGeneration !== policy.generation) return undefined;
    const summary = deps.summary(namespace, valid, policy);
    if (!summary) return undefined;
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
    if (decision.kind !== 'assign') return undefined;
    deps.ledger.reserve(token, { namespace, policy: policy.name, pod: decision.placed }, nowMs);
    deps.assigned?.(policy, decision.unit);
    return decision.patch;
  }
}
