/**
 * Which override rules apply to the copy of a template in one member cluster, in the order they
 * are applied (pure). As Karmada documents and implements it: every ClusterOverridePolicy first,
 * then (for a namespaced template) the OverridePolicies of the template's namespace, so the
 * namespace's own policy has the last word. Within each kind, policies apply from the least to
 * the most specific selector that matches the template (no resourceSelectors = every template,
 * then kind alone, then labelSelector, then name), ties by policy name; so a more specific policy
 * overrides what a general one set. Within a policy, rules apply in their order.
 */
import type { ClusterAffinity } from '../api/policy.js';
import type { AnyOverridePolicy, Overriders } from '../api/override.js';
import { matchesSelector } from './labels.js';
import type { MemberInfo } from './placement.js';
import { selectorSpecificity, type TemplateRef } from './policy-match.js';

export interface OverrideStep {
  /** "ClusterOverridePolicy gpu" or "OverridePolicy demo/idc-registry", for messages. */
  policy: string;
  /** Index of the rule in spec.overrideRules. */
  rule: number;
  overriders: Overriders;
}

export function overridePolicyLabel(p: AnyOverridePolicy): string {
  return p.kind === 'OverridePolicy'
    ? `OverridePolicy ${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`
    : `ClusterOverridePolicy ${p.metadata.name ?? ''}`;
}

/**
 * How specifically the policy selects the template: 0 no match, 1 no selectors or kind alone
 * (Karmada ranks "no selectors" with "kind alone"), 2 labelSelector, 3 name.
 */
export function overrideSpecificity(t: TemplateRef, p: AnyOverridePolicy): number {
  const ns = p.kind === 'OverridePolicy' ? (p.metadata.namespace ?? '') : undefined;
  // An OverridePolicy only ever applies in its own namespace, whatever its selectors say.
  if (ns !== undefined && t.namespace !== ns) return 0;
  const selectors = p.spec.resourceSelectors ?? [];
  if (selectors.length === 0) return 1;
  return Math.max(0, ...selectors.map((s) => selectorSpecificity(t, s, ns)));
}

/**
 * Whether a rule's targetCluster selects the member: absent selects every member; otherwise the
 * members clusterNames or labelSelector select (every member when neither is set), minus exclude.
 */
export function targetsCluster(target: ClusterAffinity | undefined, m: MemberInfo): boolean {
  if (!target) return true;
  if ((target.exclude ?? []).includes(m.name)) return false;
  const names = target.clusterNames ?? [];
  if (names.length === 0 && !target.labelSelector) return true;
  return (
    names.includes(m.name) ||
    (target.labelSelector !== undefined && matchesSelector(m.labels, target.labelSelector))
  );
}

/** Names in byte order, as Go compares strings (not the locale's order). */
function byteOrder(a = '', b = ''): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ordered(t: TemplateRef, policies: readonly AnyOverridePolicy[]): AnyOverridePolicy[] {
  return policies
    .map((p) => ({ p, rank: overrideSpecificity(t, p) }))
    .filter((x) => x.rank > 0 && !x.p.metadata.deletionTimestamp)
    .sort((a, b) => a.rank - b.rank || byteOrder(a.p.metadata.name, b.p.metadata.name))
    .map((x) => x.p);
}

/** The policies that select the template (in either kind), in the order they apply. */
export function matchingOverridePolicies(
  t: TemplateRef,
  policies: readonly AnyOverridePolicy[],
): AnyOverridePolicy[] {
  const cluster = policies.filter((p) => p.kind === 'ClusterOverridePolicy');
  const namespaced = t.namespace ? policies.filter((p) => p.kind === 'OverridePolicy') : [];
  return [...ordered(t, cluster), ...ordered(t, namespaced)];
}

/** The rules to apply to the template's copy in member `m`, in order. */
export function overrideSteps(
  t: TemplateRef,
  m: MemberInfo,
  policies: readonly AnyOverridePolicy[],
): OverrideStep[] {
  return matchingOverridePolicies(t, policies).flatMap((p) =>
    (p.spec.overrideRules ?? []).flatMap((r, rule) =>
      targetsCluster(r.targetCluster, m)
        ? [{ policy: overridePolicyLabel(p), rule, overriders: r.overriders }]
        : [],
    ),
  );
}

/**
 * The templates whose copies a change of an override policy may change: those it selects now
 * and those its previous version selected (their copies lose its rules).
 */
export function affectedTemplates<T extends TemplateRef>(
  templates: readonly T[],
  now: AnyOverridePolicy | undefined,
  before: AnyOverridePolicy | undefined,
): T[] {
  return templates.filter(
    (t) =>
      (now !== undefined && overrideSpecificity(t, now) > 0) ||
      (before !== undefined && overrideSpecificity(t, before) > 0),
  );
}
