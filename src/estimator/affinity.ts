/**
 * nodeSelector and required node affinity, as component-helpers/scheduling/corev1/nodeaffinity
 * evaluates them: nodeSelectorTerms are ORed, the requirements inside a term ANDed, a term with
 * no requirements matches nothing, and a malformed requirement (wrong number of values, a
 * non-integer for Gt/Lt, an unknown operator or field) makes its term match nothing.
 */
import type { NodeSelectorRequirementInput, NodeSelectorTermInput, PodSpecInput } from './types.js';

/** What the matchers read from a node. */
export interface NodeLabels {
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, in int64 range. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** One matchExpressions requirement against a node's labels. */
export function labelRequirementMatches(
  r: NodeSelectorRequirementInput,
  labels: ReadonlyMap<string, string>,
): boolean {
  const value = labels.get(r.key);
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return values.length > 0 && value !== undefined && values.includes(value);
    case 'NotIn':
      return values.length > 0 && (value === undefined || !values.includes(value));
    case 'Exists':
      return values.length === 0 && value !== undefined;
    case 'DoesNotExist':
      return values.length === 0 && value === undefined;
    case 'Gt':
    case 'Lt': {
      const want =
        values.length === 1 && values[0] !== undefined ? parseInt64(values[0]) : undefined;
      const have = value === undefined ? undefined : parseInt64(value);
      if (want === undefined || have === undefined) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** One matchFields requirement: only metadata.name, with In or NotIn and exactly one value. */
export function fieldRequirementMatches(
  r: NodeSelectorRequirementInput,
  nodeName: string,
): boolean {
  const values = r.values ?? [];
  if (r.key !== 'metadata.name' || values.length !== 1) return false;
  if (r.operator === 'In') return values[0] === nodeName;
  if (r.operator === 'NotIn') return values[0] !== nodeName;
  return false;
}

export function termMatches(term: NodeSelectorTermInput, node: NodeLabels): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every((r) => labelRequirementMatches(r, node.labels)) &&
    fields.every((r) => fieldRequirementMatches(r, node.name))
  );
}

/** Required node affinity: any term matches. No affinity at all matches every node. */
export function requiredAffinityMatches(
  terms: readonly NodeSelectorTermInput[] | undefined,
  node: NodeLabels,
): boolean {
  return terms === undefined || terms.some((t) => termMatches(t, node));
}

export function nodeSelectorMatches(
  selector: readonly (readonly [string, string])[],
  labels: ReadonlyMap<string, string>,
): boolean {
  for (const [key, value] of selector) if (labels.get(key) !== value) return false;
  return true;
}

/**
 * The required terms of a pod spec, or undefined when it sets no required node affinity. A
 * required selector without terms matches nothing, as upstream.
 */
export function requiredTerms(
  spec: PodSpecInput | undefined,
): readonly NodeSelectorTermInput[] | undefined {
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required ? (required.nodeSelectorTerms ?? []) : undefined;
}
