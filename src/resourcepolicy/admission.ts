/**
 * The webhook's side of deciding a unit at admission: gathers what a reconcile pass would look
 * at (the policy that wins the pod, the namespace's pods as the controller sees them, places
 * held for pods admitted a moment ago, the reconciler's refusals and wait suspensions), asks
 * the pure decision (admit.ts), and holds the place when it assigns. JavaScript runs one
 * admission or one pass plan at a time, so each sees the others' places: a pass's patches show
 * the pod still gated until they return (the decision then keeps the gate), and the pass counts
 * the places held here.
 */
import type { ResourcePolicy } from '../api/resourcepolicy.js';
import { admitDecision } from './admit.js';
import type { UnitRoom } from './choose.js';
import type { JsonPatchOp } from './gate.js';
import type { ReservationLedger } from './reservations.js';
import { matchingPolicies, selectorMatches } from './select.js';
import type { Policy, Unit } from './spec.js';
import { isDaemonSetPod, type NodeLabelsOf, type PolicyPod } from './types.js';

export interface AdmissionDeciderDeps {
  /** Valid policies. */
  policies: () => readonly Policy[];
  /** The stored policy (for its status), by namespace and name. */
  rawPolicy: (namespace: string, name: string) => ResourcePolicy | undefined;
  /** The namespace's pods as the reconciler sees them (cache and its own writes). */
  pods: (namespace: string) => readonly PolicyPod[];
  nodeLabels: NodeLabelsOf;
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
    // The pods this policy wins, as a pass groups them (one policy: its selector alone).
    const wins = (p: PolicyPod) =>
      valid.length === 1
        ? selectorMatches(policy.selector, p.metadata?.labels)
        : matchingPolicies(valid, namespace, p.metadata?.labels)[0] === policy;
    const policyPods = deps.pods(namespace).filter((p) => !isDaemonSetPod(p) && wins(p));
    const nowMs = Date.now();
    const decision = admitDecision({
      policy,
      pod: { ...pod, metadata: { ...pod.metadata, namespace } },
      policyPods,
      reserved: deps.ledger.pending(namespace, policy.name, nowMs).map((r) => r.pod),
      nodeLabels: deps.nodeLabels,
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
