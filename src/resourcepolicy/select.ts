/**
 * Which ResourcePolicy selects a pod: those of its namespace whose selector labels the pod
 * carries (an empty selector selects every pod). When several do, the most specific (most
 * selector labels) wins, then the oldest, then the first by name, so every replica of the
 * controller and the webhook pick the same one; the others are told through a Conflict.
 */
export interface SelectorHolder {
  readonly namespace: string;
  readonly name: string;
  readonly createdMs: number;
  readonly selector: Readonly<Record<string, string>>;
}

export function selectorMatches(
  selector: Readonly<Record<string, string>>,
  labels: { readonly [key: string]: string } | undefined,
): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/** Orders candidates: the winner first. */
export function comparePolicies(a: SelectorHolder, b: SelectorHolder): number {
  const sa = Object.keys(a.selector).length;
  const sb = Object.keys(b.selector).length;
  if (sa !== sb) return sb - sa;
  const ta = Number.isNaN(a.createdMs) ? Infinity : a.createdMs;
  const tb = Number.isNaN(b.createdMs) ? Infinity : b.createdMs;
  if (ta !== tb) return ta - tb;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Every policy selecting the pod, the winner first. */
export function matchingPolicies<P extends SelectorHolder>(
  policies: Iterable<P>,
  namespace: string,
  labels: { readonly [key: string]: string } | undefined,
): P[] {
  const out: P[] = [];
  for (const p of policies) {
    if (p.namespace === namespace && selectorMatches(p.selector, labels)) out.push(p);
  }
  return out.sort(comparePolicies);
}

export function policyFor<P extends SelectorHolder>(
  policies: Iterable<P>,
  namespace: string,
  labels: { readonly [key: string]: string } | undefined,
): P | undefined {
  return matchingPolicies(policies, namespace, labels)[0];
}
