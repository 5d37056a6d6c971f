/**
 * Which policy claims a resource template. A template is claimed by at most one policy. As in
 * Karmada, a matching PropagationPolicy always wins over any ClusterPropagationPolicy, whatever
 * their priorities: the namespace owner's choice beats the cluster-wide default. Among policies
 * of the same kind: the highest `priority`, then the most specific selector (by name, then by
 * labels, then by kind alone), then the policy name in alphabetical order. A tie on everything
 * but the name is reported as a conflict.
 */
import type { AnyPropagationPolicy, ResourceSelector } from '../api/policy.js';
import { matchesSelector } from './labels.js';

export interface TemplateRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  labels?: Readonly<Record<string, string>>;
}

/** 3 = by name, 2 = by labels, 1 = by kind alone; 0 = no match. */
export function selectorSpecificity(
  t: TemplateRef,
  s: ResourceSelector,
  policyNamespace: string | undefined,
): number {
  if (s.apiVersion !== t.apiVersion || s.kind !== t.kind) return 0;
  // A namespaced policy only ever selects templates in its own namespace.
  if (policyNamespace !== undefined && t.namespace !== policyNamespace) return 0;
  if (s.namespace && s.namespace !== t.namespace) return 0;
  if (s.name) return s.name === t.name ? 3 : 0;
  if (s.labelSelector) return matchesSelector(t.labels, s.labelSelector) ? 2 : 0;
  return 1;
}

export function policySpecificity(t: TemplateRef, p: AnyPropagationPolicy): number {
  const ns = p.kind === 'PropagationPolicy' ? (p.metadata.namespace ?? '') : undefined;
  return Math.max(0, ...p.spec.resourceSelectors.map((s) => selectorSpecificity(t, s, ns)));
}

export interface PolicyChoice {
  policy: AnyPropagationPolicy;
  /** Other policies that matched with equal priority and specificity (reported, not used). */
  tiedWith: AnyPropagationPolicy[];
}

function rank(t: TemplateRef, p: AnyPropagationPolicy): [number, number, number] {
  return [p.kind === 'PropagationPolicy' ? 1 : 0, p.spec.priority ?? 0, policySpecificity(t, p)];
}

export function choosePolicy(
  t: TemplateRef,
  policies: readonly AnyPropagationPolicy[],
): PolicyChoice | undefined {
  const matching = policies.filter(
    (p) => !p.metadata.deletionTimestamp && policySpecificity(t, p) > 0,
  );
  if (matching.length === 0) return undefined;
  const sorted = [...matching].sort((a, b) => {
    const ra = rank(t, a);
    const rb = rank(t, b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (rb[i] ?? 0) - (ra[i] ?? 0);
    return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  });
  const best = sorted[0] as AnyPropagationPolicy;
  const key = rank(t, best).join('/');
  return { policy: best, tiedWith: sorted.slice(1).filter((p) => rank(t, p).join('/') === key) };
}
