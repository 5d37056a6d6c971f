/**
 * Names and label values derived from user names, kept within Kubernetes' limits the way
 * Kubernetes itself does it (a generated name is cut and given a hash suffix): the same input
 * always gives the same output, and two long inputs that share a prefix still differ.
 */
import { createHash } from 'node:crypto';

/** Object names (DNS-1123 subdomains) may be 253 characters long. */
export const MAX_NAME = 253;
/** Label values, and names that must also be DNS-1123 labels, may be 63. */
export const MAX_LABEL = 63;

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A cut prefix must end in an alphanumeric character to stay a valid name or label value. */
function trimEnd(prefix: string): string {
  return prefix.replace(/[^a-zA-Z0-9]+$/, '');
}

/** `text` itself when it fits in `max`, else a prefix of it, a dash and a hash of all of it. */
export function bounded(text: string, max: number): string {
  return withSuffix(text, '', max);
}

/** A label value naming `text` (for selection): `text` when it is short enough, else bounded. */
export function labelValue(text: string): string {
  return bounded(text, MAX_LABEL);
}

/**
 * `base` + `suffix` within `max`: the base is cut (and hashed) so the suffix always survives,
 * which keeps names recognisable: `<workload…>-capacity-<hash>`.
 */
export function withSuffix(base: string, suffix: string, max = MAX_NAME): string {
  if (base.length + suffix.length <= max) return base + suffix;
  const hash = shortHash(base);
  return `${trimEnd(base.slice(0, max - suffix.length - hash.length - 1))}-${hash}${suffix}`;
}
