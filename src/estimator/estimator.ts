/**
 * The capacity estimator: an incremental index of a cluster's nodes and of the requests of its
 * bound, non-terminal pods, answering "how many more pods of this template fit?" (DESIGN 1.2).
 *
 * Pure: the controller feeds it informer events and asks questions; it does no I/O. It keeps,
 * per pod, only the node it is bound to and a shared request vector; per node, the sums. So a
 * pod event costs O(resources), and a query O(candidate nodes), never O(pods).
 */
import { parseMilli } from '../util/quantity.js';
import { nodeSelectorMatches, requiredAffinityMatches, requiredTerms } from './affinity.js';
import { NodeIndex } from './node-index.js';
import { effectiveRequests, readResourceList } from './requests.js';
import type { PooledVector, RequestVector } from './resources.js';
import { PODS, ResourceTable, VectorPool } from './resources.js';
import {
  formatTaint,
  isBlockingEffect,
  UNSCHEDULABLE_TAINT,
  untoleratedTaint,
} from './tolerations.js';
import type {
  NodeInput,
  NodeSelectorTermInput,
  PodInput,
  PodTemplateInput,
  TaintInput,
  TolerationInput,
} from './types.js';

/** Why a node takes no pods of a template, before resources are looked at. */
export type ExclusionReason =
  'NotReady' | 'Unschedulable' | 'NodeSelector' | 'NodeAffinity' | 'Taint';

export interface NodeFit {
  readonly node: string;
  /** How many more pods of the template fit on this node. */
  readonly fits: number;
  /** The node is not a candidate at all, and why. */
  readonly excluded?: ExclusionReason;
  /** For Taint: the taint not tolerated, as key=value:Effect. */
  readonly taint?: string;
  /** For an eligible node: the resource that runs out first. */
  readonly limitedBy?: string;
}

export interface QueryOptions {
  /** Only count these nodes (e.g. one unit of a ResourcePolicy). */
  readonly nodeNames?: Iterable<string>;
}

/** Replicas of a template promised to the cluster whose pods are not bound yet. */
export interface HeldBack {
  readonly template: PodTemplateInput;
  readonly replicas: number;
}

/** A node as the estimator holds it, for debugging and status. Amounts in scheduler units. */
export interface NodeSummary {
  readonly name: string;
  /** False for a node known only from pods bound to it (not yet seen, or deleted). */
  readonly present: boolean;
  readonly ready: boolean;
  readonly unschedulable: boolean;
  readonly pods: number;
  readonly terminatingPods: number;
  readonly allocatable: Readonly<Record<string, number>>;
  readonly requested: Readonly<Record<string, number>>;
}

export interface ClusterTotals {
  /** Nodes seen (present). */
  readonly nodes: number;
  /** Ready and not cordoned: the nodes `resources` sums over. */
  readonly schedulableNodes: number;
  /** Bound, non-terminal pods, on any node. */
  readonly pods: number;
  /** Per resource, in scheduler units (cpu in milli, others whole), summed exactly. */
  readonly resources: Readonly<Record<string, { allocatable: bigint; requested: bigint }>>;
}

interface NodeState {
  readonly name: string;
  present: boolean;
  labels: ReadonlyMap<string, string>;
  /** Only the NoSchedule / NoExecute ones: the rest never keep a pod off. */
  taints: readonly TaintInput[];
  ready: boolean;
  unschedulable: boolean;
  /** Dense by resource id; id 0 is `pods`. Missing ids mean 0. */
  allocatable: number[];
  /** Dense by resource id; requested[0] is the number of pods bound here. */
  readonly requested: number[];
  terminating: number;
}

interface PodEntry {
  node: NodeState;
  vec: PooledVector;
  terminating: boolean;
}

interface Template {
  /** Includes `pods`: 1 at id 0. */
  readonly request: RequestVector;
  readonly selector: readonly (readonly [string, string])[];
  readonly terms: readonly NodeSelectorTermInput[] | undefined;
  readonly tolerations: readonly TolerationInput[] | undefined;
  readonly toleratesCordon: boolean;
  readonly names: ReadonlySet<string> | undefined;
}

const NO_LABELS: ReadonlyMap<string, string> = new Map();
const PARSE_CACHE_LIMIT = 4096;

/** The key a pod is stored under: its uid, which informer add, update and delete all carry. */
export function podKey(pod: PodInput): string {
  const m = pod.metadata;
  return m?.uid ?? `${m?.namespace ?? ''}/${m?.name ?? ''}`;
}

function addAt(arr: number[], id: number, delta: number): void {
  while (arr.length <= id) arr.push(0);
  arr[id] = (arr[id] ?? 0) + delta;
}

function isReady(node: NodeInput): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export class Estimator {
  private readonly table = new ResourceTable();
  private readonly pool = new VectorPool();
  private readonly nodes = new Map<string, NodeState>();
  private readonly index = new NodeIndex<NodeState>();
  private readonly pods = new Map<string, PodEntry>();
  /** Held-back templates are asked about again and again while their pods are on their way. */
  private readonly heldVectors = new WeakMap<PodTemplateInput, RequestVector>();
  /** Request strings repeat ("500m", "1Gi") across pods: parse each once. */
  private readonly parsed = new Map<string, bigint>();
  private readonly parse = (q: string | number): bigint => {
    const key = String(q);
    let v = this.parsed.get(key);
    if (v === undefined) {
      v = parseMilli(q);
      if (this.parsed.size >= PARSE_CACHE_LIMIT) this.parsed.clear();
      this.parsed.set(key, v);
    }
    return v;
  };

  /** Sizes, for metrics and memory accounting. */
  get stats(): { nodes: number; pods: number; vectors: number; resources: number } {
    return {
      nodes: this.index.size,
      pods: this.pods.size,
      vectors: this.pool.size,
      resources: this.table.size,
    };
  }

  // ---- events ----

  /** A node was added or updated. A node without a name is ignored. */
  upsertNode(node: NodeInput): void {
    const name = node.metadata?.name;
    if (!name) return;
    const state = this.state(name);
    const labels = new Map(Object.entries(node.metadata?.labels ?? {}));
    if (state.present) {
      const before = state.labels;
      state.labels = labels;
      this.index.relabel(state, before);
    } else {
      state.labels = labels;
      state.present = true;
      this.index.add(state);
    }
    state.taints = (node.spec?.taints ?? []).filter((t) => isBlockingEffect(t.effect));
    state.ready = isReady(node);
    state.unschedulable = node.spec?.unschedulable === true;
    const allocatable = this.table.vector(readResourceList(node.status?.allocatable, this.parse));
    state.allocatable = [];
    for (let i = 0; i < allocatable.ids.length; i++) {
      addAt(state.allocatable, allocatable.ids[i] ?? 0, allocatable.amounts[i] ?? 0);
    }
  }

  /** A node was deleted. Pods still bound to it keep their sums until they go too. */
  removeNode(name: string): void {
    const state = this.nodes.get(name);
    if (!state?.present) return;
    this.index.remove(state);
    state.present = false;
    state.labels = NO_LABELS;
    state.taints = [];
    state.ready = false;
    state.unschedulable = false;
    state.allocatable = [];
    this.dropIfUnused(state);
  }

  /**
   * A pod was added or updated. Only a bound (nodeName set), non-terminal pod holds resources;
   * a terminating one still does, until it is deleted, as kube-scheduler counts it.
   */
  upsertPod(pod: PodInput): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    const phase = pod.status?.phase;
    if (!nodeName || phase === 'Succeeded' || phase === 'Failed') {
      this.removePodKey(key);
      return;
    }
    const vec = this.pool.acquire(this.table.vector(effectiveRequests(pod.spec, this.parse)));
    const terminating = pod.metadata?.deletionTimestamp != null;
    const old = this.pods.get(key);
    if (old && old.node.name === nodeName && old.vec === vec) {
      this.pool.release(vec); // unchanged requests: the usual status-only update
      if (old.terminating !== terminating) {
        old.node.terminating += terminating ? 1 : -1;
        old.terminating = terminating;
      }
      return;
    }
    if (old) this.detach(old);
    const entry: PodEntry = { node: this.state(nodeName), vec, terminating };
    this.attach(entry);
    this.pods.set(key, entry);
  }

  /** A pod was deleted: its requests are released. Accepts the pod or its key (podKey). */
  removePod(pod: PodInput | string): void {
    this.removePodKey(typeof pod === 'string' ? pod : podKey(pod));
  }

  // ---- queries ----

  /** How many more pods of `template` fit, summed over the nodes it may go to. */
  maxReplicas(template: PodTemplateInput, options: QueryOptions = {}): number {
    const t = this.compile(template, options);
    let total = 0;
    this.forEachUsableNode(t, (node) => {
      total += this.fit(node, t.request);
    });
    return total;
  }

  /** Calls `visit` once for each node the compiled template may run on (index, then exclusions). */
  private forEachUsableNode(t: Template, visit: (node: NodeState) => void): void {
    const { sets, overlap } = this.index.candidates(t.selector, t.terms, t.names);
    // The index's sets overlap when a template has several affinity terms: count a node once.
    const seen = overlap ? new Set<NodeState>() : undefined;
    for (const set of sets) {
      for (const node of set) {
        if (seen) {
          if (seen.has(node)) continue;
          seen.add(node);
        }
        if (this.exclusion(node, t) === undefined) visit(node);
      }
    }
  }

  /**
   * maxReplicas when `heldBack` replicas of other templates are promised to this cluster but not
   * bound yet, so no node holds them. Where they will land is unknown, so they are taken from
   * the free room of the nodes this template may use, summed per resource: the answer is the
   * per-node fit, capped by what that summed room holds after them, in the resources (and the
   * pod count) this template requests. A resource only the held templates request takes nothing
   * from it: subtracting replicas of one template from a count of another would mix units.
   */
  maxReplicasBeside(
    template: PodTemplateInput,
    heldBack: readonly HeldBack[],
    options: QueryOptions = {},
  ): number {
    const t = this.compile(template, options);
    const held = new Map<number, number>([[0, 0]]);
    for (const h of heldBack) {
      if (h.replicas <= 0) continue;
      held.set(0, (held.get(0) ?? 0) + h.replicas);
      let v = this.heldVectors.get(h.template);
      if (!v) {
        v = this.table.vector(effectiveRequests(h.template.spec, this.parse));
        this.heldVectors.set(h.template, v);
      }
      for (let i = 0; i < v.ids.length; i++) {
        const id = v.ids[i] ?? 0;
        held.set(id, (held.get(id) ?? 0) + h.replicas * (v.amounts[i] ?? 0));
      }
    }
    const free = t.request.ids.map(() => 0);
    let total = 0;
    this.forEachUsableNode(t, (node) => {
      total += this.fit(node, t.request);
      for (let i = 0; i < t.request.ids.length; i++) {
        const id = t.request.ids[i] ?? 0;
        free[i] =
          (free[i] ?? 0) + Math.max(0, (node.allocatable[id] ?? 0) - (node.requested[id] ?? 0));
      }
    });
    for (let i = 0; i < t.request.ids.length && total > 0; i++) {
      const h = held.get(t.request.ids[i] ?? 0) ?? 0;
      if (h <= 0) continue;
      const left = (free[i] ?? 0) - h;
      total = left <= 0 ? 0 : Math.min(total, Math.floor(left / (t.request.amounts[i] ?? 1)));
    }
    return total;
  }

  /**
   * Every node in scope (all present nodes, or `nodeNames`), sorted by name, with how many
   * pods fit and why not. O(nodes): for debugging and per-node decisions, not the hot path.
   * The fits add up to maxReplicas.
   */
  breakdown(template: PodTemplateInput, options: QueryOptions = {}): NodeFit[] {
    const t = this.compile(template, options);
    const out: NodeFit[] = [];
    for (const node of this.nodes.values()) {
      if (!node.present || (t.names && !t.names.has(node.name))) continue;
      const excluded = this.exclusion(node, t);
      if (excluded === 'Taint') {
        const taint = untoleratedTaint(node.taints, t.tolerations);
        out.push({ node: node.name, fits: 0, excluded, taint: taint && formatTaint(taint) });
      } else if (excluded) {
        out.push({ node: node.name, fits: 0, excluded });
      } else {
        const fits = this.fit(node, t.request);
        out.push({ node: node.name, fits, limitedBy: this.limitedBy(node, t.request) });
      }
    }
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** What the estimator holds for one node, or undefined if it knows nothing of it. */
  node(name: string): NodeSummary | undefined {
    const s = this.nodes.get(name);
    if (!s) return undefined;
    return {
      name,
      present: s.present,
      ready: s.ready,
      unschedulable: s.unschedulable,
      pods: s.requested[0] ?? 0,
      terminatingPods: s.terminating,
      allocatable: this.named(s.allocatable),
      requested: this.named(s.requested),
    };
  }

  /** Cluster-wide summary for MemberCluster status. O(nodes x resources), computed on demand. */
  totals(): ClusterTotals {
    const alloc: bigint[] = [];
    const req: bigint[] = [];
    let schedulable = 0;
    for (const s of this.nodes.values()) {
      if (!s.present || !s.ready || s.unschedulable) continue;
      schedulable++;
      s.allocatable.forEach((v, id) => (alloc[id] = (alloc[id] ?? 0n) + BigInt(v)));
      s.requested.forEach((v, id) => (req[id] = (req[id] ?? 0n) + BigInt(v)));
    }
    const resources: Record<string, { allocatable: bigint; requested: bigint }> = {};
    for (let id = 0; id < this.table.size; id++) {
      const a = alloc[id] ?? 0n;
      const r = req[id] ?? 0n;
      if (a !== 0n || r !== 0n) resources[this.table.name(id)] = { allocatable: a, requested: r };
    }
    return {
      nodes: this.index.size,
      schedulableNodes: schedulable,
      pods: this.pods.size,
      resources,
    };
  }

  // ---- internals ----

  private state(name: string): NodeState {
    let s = this.nodes.get(name);
    if (!s) {
      s = {
        name,
        present: false,
        labels: NO_LABELS,
        taints: [],
        ready: false,
        unschedulable: false,
        allocatable: [],
        requested: [0],
        terminating: 0,
      };
      this.nodes.set(name, s);
    }
    return s;
  }

  /** Forgets a node that is gone and has no pods left: nothing about it matters any more. */
  private dropIfUnused(s: NodeState): void {
    if (!s.present && (s.requested[0] ?? 0) === 0) this.nodes.delete(s.name);
  }

  private attach(e: PodEntry): void {
    const { node, vec } = e;
    addAt(node.requested, 0, 1);
    for (let i = 0; i < vec.ids.length; i++) {
      addAt(node.requested, vec.ids[i] ?? 0, vec.amounts[i] ?? 0);
    }
    if (e.terminating) node.terminating++;
  }

  private detach(e: PodEntry): void {
    const { node, vec } = e;
    addAt(node.requested, 0, -1);
    for (let i = 0; i < vec.ids.length; i++) {
      addAt(node.requested, vec.ids[i] ?? 0, -(vec.amounts[i] ?? 0));
    }
    if (e.terminating) node.terminating--;
    this.pool.release(vec);
    this.dropIfUnused(node);
  }

  private removePodKey(key: string): void {
    const e = this.pods.get(key);
    if (!e) return;
    this.pods.delete(key);
    this.detach(e);
  }

  private compile(template: PodTemplateInput, options: QueryOptions): Template {
    const spec = template.spec;
    // Registering a resource no node has only adds an id; every node then lacks it, so 0 fit.
    const own = this.table.vector(effectiveRequests(spec, this.parse));
    const tolerations = spec?.tolerations;
    return {
      request: { ids: [0, ...own.ids], amounts: [1, ...own.amounts] },
      selector: Object.entries(spec?.nodeSelector ?? {}),
      terms: requiredTerms(spec),
      tolerations,
      toleratesCordon: untoleratedTaint([UNSCHEDULABLE_TAINT], tolerations) === undefined,
      names: options.nodeNames ? new Set(options.nodeNames) : undefined,
    };
  }

  /**
   * kube-scheduler's filters, minus resources: a NotReady node takes nothing; a cordoned one
   * only pods tolerating the unschedulable taint (as NodeUnschedulable allows, e.g. DaemonSets).
   */
  private exclusion(node: NodeState, t: Template): ExclusionReason | undefined {
    if (!node.present || !node.ready) return 'NotReady';
    if (node.unschedulable && !t.toleratesCordon) return 'Unschedulable';
    if (t.names && !t.names.has(node.name)) return 'NodeSelector'; // out of scope: never shown
    if (!nodeSelectorMatches(t.selector, node.labels)) return 'NodeSelector';
    if (!requiredAffinityMatches(t.terms, node)) return 'NodeAffinity';
    if (untoleratedTaint(node.taints, t.tolerations)) return 'Taint';
    return undefined;
  }

  /**
   * min over requested r of floor((allocatable[r] - requested[r]) / request[r]). Math.floor of a
   * float quotient is exact here: for integers below 2^53 the rounded quotient never crosses an
   * integer (a/b = n - k/b sits at least 1/b below n, more than half an ulp of n).
   */
  private fit(node: NodeState, request: RequestVector): number {
    let fits = Infinity;
    for (let i = 0; i < request.ids.length && fits > 0; i++) {
      const id = request.ids[i] ?? 0;
      const free = (node.allocatable[id] ?? 0) - (node.requested[id] ?? 0);
      fits = free <= 0 ? 0 : Math.min(fits, Math.floor(free / (request.amounts[i] ?? 1)));
    }
    return fits;
  }

  private limitedBy(node: NodeState, request: RequestVector): string {
    let fits = Infinity;
    let by = PODS;
    for (let i = 0; i < request.ids.length; i++) {
      const id = request.ids[i] ?? 0;
      const free = (node.allocatable[id] ?? 0) - (node.requested[id] ?? 0);
      const n = free <= 0 ? 0 : Math.floor(free / (request.amounts[i] ?? 1));
      if (n < fits) [fits, by] = [n, this.table.name(id)];
    }
    return by;
  }

  private named(dense: readonly number[]): Record<string, number> {
    const out: Record<string, number> = {};
    dense.forEach((v, id) => {
      if (v !== 0) out[this.table.name(id)] = v;
    });
    return out;
  }
}
