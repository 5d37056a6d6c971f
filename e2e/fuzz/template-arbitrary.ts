/**
 * fast-check generators for hub templates (Deployments): names up to and past the 253-character
 * limit, replicas from 0 to past int32, label selectors with keys and values at and past their
 * limits (matchLabels and matchExpressions, matching the pod labels or not), and resource
 * requests and limits, valid or not. Each field is invalid in about one case in twenty, so
 * about half the templates are accepted: both the API server's rejections and the
 * controller's reading of accepted ones are exercised.
 */
import fc from 'fast-check';
import type { V1Deployment } from '@kubernetes/client-node';

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A DNS-1123 label of exactly `length` characters (1..63). */
function dnsLabel(length: number): fc.Arbitrary<string> {
  const char = fc.constantFrom(...ALNUM.split(''));
  const middle = fc.constantFrom(...`${ALNUM}-`.split(''));
  if (length <= 2) return fc.string({ unit: char, minLength: length, maxLength: length });
  return fc
    .tuple(char, fc.string({ unit: middle, minLength: length - 2, maxLength: length - 2 }), char)
    .map(([a, m, b]) => a + m + b);
}

/** A DNS-1123 subdomain of `length` characters: labels of up to 63 joined by dots. */
function dnsSubdomain(length: number): fc.Arbitrary<string> {
  const parts: number[] = [];
  let left = length;
  while (left > 0) {
    const take = Math.min(63, left);
    // A dot costs one: a part of 1 left over after a dot would be fine, 0 would not.
    parts.push(take);
    left -= take + 1;
  }
  return fc.tuple(...parts.map((p) => dnsLabel(Math.max(1, p)))).map((ps) => ps.join('.'));
}

export const templateName: fc.Arbitrary<string> = fc.oneof(
  { weight: 14, arbitrary: fc.integer({ min: 1, max: 40 }).chain(dnsSubdomain) },
  { weight: 5, arbitrary: fc.integer({ min: 230, max: 253 }).chain(dnsSubdomain) },
  { weight: 1, arbitrary: fc.constantFrom('UPPER', 'a_b', '-lead', 'trail-', 'x'.repeat(254)) },
);

const labelKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 14, arbitrary: fc.integer({ min: 1, max: 20 }).chain(dnsLabel) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1, max: 40 }).chain(dnsSubdomain),
        fc.integer({ min: 1, max: 63 }).chain(dnsLabel),
      )
      .map(([p, n]) => `${p}/${n}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(64), 'a/b/c', 'bad key', '') },
);

const labelValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 14, arbitrary: fc.integer({ min: 1, max: 20 }).chain(dnsLabel) },
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: dnsLabel(63) },
  { weight: 1, arbitrary: fc.constantFrom('v'.repeat(64), 'has space', '-x') },
);

const quantity: fc.Arbitrary<string> = fc.oneof(
  { weight: 14, arbitrary: fc.integer({ min: 0, max: 4000 }).map((n) => `${n}m`) },
  { weight: 5, arbitrary: fc.constantFrom('1', '0.5', '2', '64Mi', '1Gi', '1e3', '0') },
  { weight: 1, arbitrary: fc.constantFrom('-1', 'abc', '1.5.5', '10QQ', '') },
);

const resources = fc.record(
  {
    requests: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
    limits: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const replicas: fc.Arbitrary<number> = fc.oneof(
  { weight: 19, arbitrary: fc.integer({ min: 0, max: 50 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1000, 2147483647, 2147483648) },
);

const expression = fc.record({
  key: labelKey,
  operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt'),
  values: fc.array(labelValue, { maxLength: 3 }),
});

/** A Deployment template in `namespace`. */
export function deploymentTemplate(namespace: string): fc.Arbitrary<V1Deployment> {
  return fc
    .record({
      name: templateName,
      replicas,
      labels: fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 4 }),
      // How the selector relates to the pod labels: all of them, some, none (a mismatch), plus
      // expressions.
      selectorMode: fc.constantFrom('all', 'all', 'all', 'first', 'first', 'other', 'expressions'),
      otherLabels: fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 2 }),
      expressions: fc.array(expression, { minLength: 1, maxLength: 2 }),
      resources,
    })
    .map((g) => {
      const first = Object.entries(g.labels).slice(0, 1);
      const matchLabels =
        g.selectorMode === 'all'
          ? g.labels
          : g.selectorMode === 'first'
            ? Object.fromEntries(first)
            : g.selectorMode === 'other'
              ? g.otherLabels
              : Object.fromEntries(first);
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: g.name, namespace },
        spec: {
          replicas: g.replicas,
          selector: {
            matchLabels,
            ...(g.selectorMode === 'expressions' ? { matchExpressions: g.expressions } : {}),
          },
          template: {
            metadata: { labels: g.labels },
            spec: {
              containers: [
                { name: 'main', image: 'example.invalid/app:1', resources: g.resources },
              ],
            },
          },
        },
      };
    });
}
