/**
 * The estimate computed from scratch, the obvious way: scan every pod, sum requests per node in
 * bigint, then check every node. It is the executable definition the incremental Estimator is
 * tested against (property tests) and the baseline the benchmark compares it with. O(pods) per
 * query: never use it in the controller.
 */
import { nodeSelectorMatches, requiredAffinityMatches, requiredTerms } from './affinity.js';
import type { ClusterTotals, QueryOptions } from './estimator.js';
import type { MilliList } from './requests.js';
import { effectiveRequests, readResourceList } from './requests.js';
import { UNSCHEDULABLE_TAINT, untoleratedTaint } from './tolerations.js';
import type { NodeInput, PodInput, PodTemplateInput } from './types.js';

type Units = Map<string, bigint>;

/** Scheduler units without clamping: cpu in milli, the rest whole units rounded up. */
function units(list: MilliList): Units {
  const out: Units = new Map();
  for (const [r, milli] of list) out.set(r, r === 'cpu' ? milli : (milli + 999n) / 1000n);
  return out;
}

function counted(pod: PodInput): string | undefined {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' ? undefined : pod.spec?.nodeName || undefined;
}

/** Requested units per node name, `pods` included, from every bound non-terminal pod. */
export function referenceUsage(pods: Iterable<PodInput>): Map<string, Units> {
  const used = new Map<string, Units>();
  for (const pod of pods) {
    const node = counted(pod);
    if (!node) continue;
    let u = used.get(node);
    if (!u) used.set(node, (u = new Map()));
    u.set('pods', (u.get('pods') ?? 0n) + 1n);
    for (const [r, v] of units(effectiveRequests(pod.spec))) u.set(r, (u.get(r) ?? 0n) + v);
  }
  return used;
}

function isReady(node: NodeInput): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Pods of `template` that fit on each node in scope (every node, or options.nodeNames). */
export function referenceFits(
  nodes: Iterable<NodeInput>,
  pods: Iterable<PodInput>,
  template: PodTemplateInput,
  options: QueryOptions = {},
): Map<string, number> {
  const spec = template.spec;
  const scope = options.nodeNames ? new Set(options.nodeNames) : undefined;
  const want = units(effectiveRequests(spec));
  want.set('pods', 1n);
  const used = referenceUsage(pods);
  const out = new Map<string, number>();
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name || (scope && !scope.has(name))) continue;
    const view = { name, labels: new Map(Object.entries(node.metadata?.labels ?? {})) };
    const ok =
      isReady(node) &&
      (!node.spec?.unschedulable || !untoleratedTaint([UNSCHEDULABLE_TAINT], spec?.tolerations)) &&
      nodeSelectorMatches(Object.entries(spec?.nodeSelector ?? {}), view.labels) &&
      requiredAffinityMatches(requiredTerms(spec), view) &&
      !untoleratedTaint(node.spec?.taints ?? [], spec?.tolerations);
    let fits: bigint | undefined;
    if (ok) {
      const alloc = units(readResourceList(node.status?.allocatable));
      for (const [r, v] of want) {
        const free = (alloc.get(r) ?? 0n) - (used.get(name)?.get(r) ?? 0n);
        const n = free <= 0n ? 0n : free / v;
        if (fits === undefined || n < fits) fits = n;
      }
    }
    out.set(name, Number(fits ?? 0n));
  }
  return out;
}

export function referenceMaxReplicas(
  nodes: Iterable<NodeInput>,
  pods: Iterable<PodInput>,
  template: PodTemplateInput,
  options: QueryOptions = {},
): number {
  let total = 0;
  for (const n of referenceFits(nodes, pods, template, options).values()) total += n;
  return total;
}

/** Cluster totals from scratch (see Estimator.totals). */
export function referenceTotals(
  nodes: Iterable<NodeInput>,
  pods: readonly PodInput[],
): ClusterTotals {
  const used = referenceUsage(pods);
  const resources: Record<string, { allocatable: bigint; requested: bigint }> = {};
  const entry = (r: string) => (resources[r] ??= { allocatable: 0n, requested: 0n });
  let count = 0;
  let schedulable = 0;
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name) continue;
    count++;
    if (!isReady(node) || node.spec?.unschedulable) continue;
    schedulable++;
    for (const [r, v] of units(readResourceList(node.status?.allocatable)))
      entry(r).allocatable += v;
    for (const [r, v] of used.get(name) ?? []) entry(r).requested += v;
  }
  const nonZero = Object.entries(resources).filter(
    ([, e]) => e.allocatable !== 0n || e.requested !== 0n,
  );
  const bound = pods.filter((p) => counted(p) !== undefined).length;
  return {
    nodes: count,
    schedulableNodes: schedulable,
    pods: bound,
    resources: Object.fromEntries(nonZero),
  };
}
