/**
 * What an admission decision needs to know of a policy's pods, kept up to date from the pod
 * watch so that one admission costs O(units) instead of a scan of every pod of the namespace
 * (the webhook answers within the API server's deadline at thousands of pods per namespace).
 *
 * Per policy: the unit tallies a pass would count (tallyUnits), how many of its live pods are
 * still behind the gate, and the earliest time one of its pods is due to leave its unit (a
 * timed-out wait, or a pod kube-scheduler cannot place there). Each pod's share is recorded
 * when it is added, so that a change or removal subtracts exactly what it added. A namespace's
 * counts are built on first use from its pods, kept by every pod change after, and dropped
 * when its policies change (rebuilt at the next admission); a change of a node's labels counts
 * the pods bound to that node again.
 *
 * summarizePods is the definition: the same summary by scanning, what the counts are checked
 * against in tests and benchmarks.
 */
import {
  addAmounts,
  emptyTally,
  groupKey,
  isCounted,
  MISSING_GROUP,
  podRequests,
  tallyUnits,
  type Amounts,
  type UnitTally,
} from './counting.js';
import { GATE } from './constants.js';
import { unitOf } from './membership.js';
import { matchingPolicies } from './select.js';
import type { Policy } from './spec.js';
import { stuckVerdict } from './stuck.js';
import { timeoutVerdict } from './timeout.js';
import {
  hasGate,
  isDaemonSetPod,
  isTerminal,
  isTerminating,
  type NodeLabelsOf,
  type PolicyPod,
} from './types.js';

export interface PolicySummary {
  /** Per unit, the policy's pods counted there (as a pass counts them). */
  readonly tallies: readonly UnitTally[];
  /** Live pods (not terminal, not terminating) still behind the gate. */
  readonly gated: number;
  /**
   * Requests of those gated pods: summed, and the largest of each resource (what an admission
   * needs to tell whether a unit has room for them all besides the pod it decides).
   */
  readonly gatedRequests: {
    readonly sum: ReadonlyMap<string, bigint>;
    readonly max: ReadonlyMap<string, bigint>;
  };
  /**
   * Earliest time a live pod of the policy is to leave its unit: -Infinity for a pod
   * kube-scheduler cannot place in its unit, the end of its wait for a pod whose wait times
   * out; Infinity when none.
   */
  readonly leavesAtMs: number;
}

/** When the pass deletes the pod from its unit (see timeout.ts, stuck.ts); Infinity: never. */
export function leavesAtMs(policy: Policy, pod: PolicyPod): number {
  if (stuckVerdict(policy, pod).kind === 'move') return -Infinity;
  if (timeoutVerdict(policy, pod, Infinity).kind !== 'delete') return Infinity;
  const early = timeoutVerdict(policy, pod, -Infinity);
  return early.kind === 'pending' ? early.dueMs : -Infinity;
}

function isLive(pod: PolicyPod): boolean {
  return !isTerminal(pod) && !isTerminating(pod);
}

/** The summary by scanning the policy's pods (those it wins, DaemonSet pods left out). */
export function summarizePods(
  policy: Policy,
  policyPods: readonly PolicyPod[],
  nodeLabels: NodeLabelsOf,
): PolicySummary {
  let gated = 0;
  let leaves = Infinity;
  const sum: Amounts = new Map();
  const max: Amounts = new Map();
  for (const p of policyPods) {
    if (!isLive(p)) continue;
    if (hasGate(p, GATE)) {
      gated++;
      const requests = podRequests(p);
      addAmounts(sum, requests);
      maxAmounts(max, requests);
    }
    leaves = Math.min(leaves, leavesAtMs(policy, p));
  }
  return {
    tallies: tallyUnits(policy, policyPods, nodeLabels),
    gated,
    gatedRequests: { sum, max },
    leavesAtMs: leaves,
  };
}

function maxAmounts(into: Amounts, of: ReadonlyMap<string, bigint>): void {
  for (const [k, v] of of) if (v > (into.get(k) ?? 0n)) into.set(k, v);
}

/** What one pod added to its policy's summary. */
interface Share {
  readonly policy: string;
  readonly name: string;
  readonly nodeName: string | undefined;
  readonly unit: number | undefined;
  readonly terminating: boolean;
  readonly unbound: boolean;
  /** Counted against max: its group and requests. */
  readonly counted?: { readonly group: string; readonly requests: ReadonlyMap<string, bigint> };
  readonly gated: boolean;
  /** Its requests, when gated. */
  readonly gatedRequests?: ReadonlyMap<string, bigint>;
  readonly leavesAtMs: number;
}

function shareOf(policy: Policy, pod: PolicyPod, name: string, nodeLabels: NodeLabelsOf): Share {
  const nodeName = pod.spec?.nodeName || undefined;
  const live = isLive(pod);
  const gated = live && hasGate(pod, GATE);
  const unit = isTerminal(pod) ? undefined : unitOf(policy, pod, nodeLabels);
  let counted: Share['counted'];
  if (unit !== undefined && isCounted(policy, pod)) {
    const group = groupKey(policy, pod.metadata?.labels);
    if (group !== MISSING_GROUP) counted = { group, requests: podRequests(pod) };
  }
  return {
    policy: policy.name,
    name,
    nodeName,
    unit,
    terminating: unit !== undefined && isTerminating(pod),
    unbound: unit !== undefined && !isTerminating(pod) && !nodeName,
    ...(counted ? { counted } : {}),
    gated,
    ...(gated ? { gatedRequests: podRequests(pod) } : {}),
    leavesAtMs: live ? leavesAtMs(policy, pod) : Infinity,
  };
}

function subtractAmounts(from: Amounts, sub: ReadonlyMap<string, bigint>): void {
  for (const [k, v] of sub) {
    const left = (from.get(k) ?? 0n) - v;
    if (left === 0n) from.delete(k);
    else from.set(k, left);
  }
}

class PolicyAccumulator {
  readonly tallies: UnitTally[];
  gated = 0;
  private readonly gatedSum: Amounts = new Map();
  private readonly gatedByUid = new Map<string, ReadonlyMap<string, bigint>>();
  /** Cached largest requests of the gated pods; undefined when they must be worked out again. */
  private gatedMax: Amounts | undefined = new Map();
  private readonly leaving = new Map<string, number>();
  /** Cached minimum of `leaving`; undefined when it must be worked out again. */
  private earliest: number | undefined = Infinity;

  constructor(readonly policy: Policy) {
    this.tallies = policy.units.map(() => emptyTally());
  }

  apply(uid: string, s: Share, sign: 1 | -1): void {
    if (s.gated) this.gated += sign;
    if (s.gatedRequests) {
      if (sign > 0) {
        addAmounts(this.gatedSum, s.gatedRequests);
        this.gatedByUid.set(uid, s.gatedRequests);
        if (this.gatedMax) maxAmounts(this.gatedMax, s.gatedRequests);
      } else {
        subtractAmounts(this.gatedSum, s.gatedRequests);
        this.gatedByUid.delete(uid);
        this.gatedMax = undefined;
      }
    }
    if (s.leavesAtMs !== Infinity) {
      if (sign > 0) {
        this.leaving.set(uid, s.leavesAtMs);
        if (this.earliest !== undefined) this.earliest = Math.min(this.earliest, s.leavesAtMs);
      } else {
        this.leaving.delete(uid);
        if (s.leavesAtMs === this.earliest) this.earliest = undefined;
      }
    }
    const tally = s.unit === undefined ? undefined : this.tallies[s.unit];
    if (!tally) return;
    if (s.terminating) tally.terminating += sign;
    if (s.unbound) tally.unbound += sign;
    const c = s.counted;
    if (!c) return;
    tally.pods += sign;
    const n = (tally.byGroup.get(c.group) ?? 0) + sign;
    let g = tally.resourcesByGroup.get(c.group);
    if (sign > 0) {
      tally.byGroup.set(c.group, n);
      addAmounts(tally.resources, c.requests);
      if (!g) tally.resourcesByGroup.set(c.group, (g = new Map()));
      addAmounts(g, c.requests);
      return;
    }
    subtractAmounts(tally.resources, c.requests);
    if (n === 0) {
      tally.byGroup.delete(c.group);
      tally.resourcesByGroup.delete(c.group);
    } else {
      tally.byGroup.set(c.group, n);
      if (g) subtractAmounts(g, c.requests);
    }
  }

  summary(): PolicySummary {
    if (this.earliest === undefined) {
      let min = Infinity;
      for (const t of this.leaving.values()) min = Math.min(min, t);
      this.earliest = min;
    }
    if (this.gatedMax === undefined) {
      this.gatedMax = new Map();
      for (const r of this.gatedByUid.values()) maxAmounts(this.gatedMax, r);
    }
    return {
      tallies: this.tallies,
      gated: this.gated,
      gatedRequests: { sum: this.gatedSum, max: this.gatedMax },
      leavesAtMs: this.earliest,
    };
  }
}

interface NamespaceState {
  readonly namespace: string;
  readonly fingerprint: string;
  readonly policies: readonly Policy[];
  readonly byPolicy: Map<string, PolicyAccumulator>;
  readonly shares: Map<string, Share>;
  readonly uidByName: Map<string, string>;
  /** Pods bound to each node, by uid: counted again when the node's labels change. */
  readonly byNode: Map<string, Map<string, PolicyPod>>;
}

function fingerprintOf(policies: readonly Policy[]): string {
  return policies
    .map((p) => `${p.uid}/${p.generation}/${p.name}`)
    .sort()
    .join(',');
}

export interface PolicyCountsDeps {
  /** The namespace's pods as the controller sees them (for a first build). */
  pods: (namespace: string) => Iterable<PolicyPod>;
  nodeLabels: NodeLabelsOf;
}

export class PolicyCounts {
  private readonly namespaces = new Map<string, NamespaceState>();
  private readonly nodeLabelsSeen = new Map<string, string>();

  constructor(private readonly deps: PolicyCountsDeps) {}

  /**
   * The summary of one of the namespace's valid `policies` (all of them, as the pass reads
   * them: which policy wins a pod depends on the others).
   */
  summary(namespace: string, policies: readonly Policy[], name: string): PolicySummary | undefined {
    const fingerprint = fingerprintOf(policies);
    let state = this.namespaces.get(namespace);
    if (state?.fingerprint !== fingerprint) state = this.build(namespace, policies, fingerprint);
    return state.byPolicy.get(name)?.summary();
  }

  /** A pod as the controller now sees it, or undefined when it is gone (or hidden). */
  setPod(namespace: string, uid: string, pod: PolicyPod | undefined): void {
    const state = this.namespaces.get(namespace);
    if (state) this.place(state, uid, pod);
  }

  /** A node appeared, changed or went away: pods bound to it count again if its labels changed. */
  nodeChanged(name: string): void {
    const labels = this.deps.nodeLabels(name);
    const text = labels === undefined ? '' : JSON.stringify(labels);
    // Never seen before: the counts may have been built while it had other labels.
    if (this.nodeLabelsSeen.get(name) === text) return;
    if (text === '') this.nodeLabelsSeen.delete(name);
    else this.nodeLabelsSeen.set(name, text);
    for (const state of this.namespaces.values()) {
      const bound = state.byNode.get(name);
      if (bound) for (const [uid, pod] of [...bound]) this.place(state, uid, pod);
    }
  }

  /** The namespace has no valid policy left: its counts are no longer kept. */
  forget(namespace: string): void {
    this.namespaces.delete(namespace);
  }

  /** Namespaces whose counts are kept (for tests and metrics). */
  get size(): number {
    return this.namespaces.size;
  }

  private build(namespace: string, policies: readonly Policy[], fingerprint: string) {
    const state: NamespaceState = {
      namespace,
      fingerprint,
      policies: policies.filter((p) => p.namespace === namespace),
      byPolicy: new Map(),
      shares: new Map(),
      uidByName: new Map(),
      byNode: new Map(),
    };
    for (const p of state.policies) state.byPolicy.set(p.name, new PolicyAccumulator(p));
    this.namespaces.set(namespace, state);
    for (const pod of this.deps.pods(namespace)) {
      const uid = pod.metadata?.uid;
      if (uid) this.place(state, uid, pod);
    }
    return state;
  }

  private place(state: NamespaceState, uid: string, pod: PolicyPod | undefined): void {
    this.remove(state, uid);
    if (!pod) return;
    // A re-listed cache may replace a pod by a new one of the same name without a delete event.
    const name = pod.metadata?.name ?? '';
    const previous = state.uidByName.get(name);
    if (previous !== undefined) this.remove(state, previous);
    if (isDaemonSetPod(pod)) return;
    const [policy] = matchingPolicies(state.policies, state.namespace, pod.metadata?.labels);
    const acc = policy && state.byPolicy.get(policy.name);
    if (!policy || !acc) return;
    const share = shareOf(policy, pod, name, this.deps.nodeLabels);
    acc.apply(uid, share, 1);
    state.shares.set(uid, share);
    state.uidByName.set(name, uid);
    if (share.nodeName !== undefined) {
      let bound = state.byNode.get(share.nodeName);
      if (!bound) state.byNode.set(share.nodeName, (bound = new Map()));
      bound.set(uid, pod);
    }
  }

  private remove(state: NamespaceState, uid: string): void {
    const before = state.shares.get(uid);
    if (!before) return;
    state.byPolicy.get(before.policy)?.apply(uid, before, -1);
    state.shares.delete(uid);
    if (state.uidByName.get(before.name) === uid) state.uidByName.delete(before.name);
    if (before.nodeName !== undefined) {
      const bound = state.byNode.get(before.nodeName);
      bound?.delete(uid);
      if (bound?.size === 0) state.byNode.delete(before.nodeName);
    }
  }
}
