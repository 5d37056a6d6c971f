/**
 * fast-check arbitraries from a CRD's OpenAPI v3 schema: values that mostly follow the schema
 * (so that deep fields and the CEL rules are reached) and break it now and then at every level
 * (wrong type, out of range, too long, not in the enum, one item too many), so that both what
 * the API server accepts and what it rejects are exercised. Fields a CEL rule requires to be
 * JSON pointers get pointers into a Deployment (existing or not); fields that keep unknown
 * fields get any JSON; selector fields named apiVersion or kind also get real ones. Test
 * infrastructure only.
 */
import fc from 'fast-check';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string }[];
}

/** Names that match Kubernetes' name patterns, some shared so that lists can collide. */
const NAMES = ['c1', 'c2', 'c3', 'web', 'pool-a', 'a.b-c', 'x'.repeat(63)];
/** Strings that break name, label and duration patterns in the usual ways. */
const BAD_STRINGS = ['', ' ', 'UPPER', '-lead', 'trail-', 'a b', 'ü', 'a/b/c', '${x}', '0'];
const DURATIONS = ['0s', '1s', '5m', '1h30m', '15m', '100ms', '1.5h'];
const BAD_DURATIONS = ['-1s', '5', 'forever', '9999999999h'];
const QUANTITIES = ['0', '1', '100m', '1.5', '2Gi', '1e3', '1Ki', '0.0001m'];
const BAD_QUANTITIES = ['-1', 'lots', '1.2.3', '--1'];
const LABEL_KEYS = ['app', 'tier', 'example.com/team', 'alibabacloud.com/compute-class', 'a/b/c'];
/**
 * Values for string fields named like these (resource selectors, override rules), beside the
 * generic names, so that generated selectors match real templates and rules reach real fields.
 */
const BY_NAME: Record<string, string[]> = {
  apiVersion: ['apps/v1', 'v1', 'batch/v1'],
  kind: ['Deployment', 'ConfigMap', 'Job'],
  containerName: ['main', 'sidecar'],
};
/**
 * JSON pointers into a Deployment and into a small document, existing or not, at Spillway's own
 * marks and at what identifies the object, with escapes; for fields a CEL rule requires to start
 * with '/'.
 */
const POINTERS = [
  '/spec/template/spec/nodeSelector',
  '/spec/template/spec/nodeSelector/gpu',
  '/spec/template/spec/containers/0/image',
  '/spec/template/spec/containers/0/command',
  '/spec/template/spec/containers/9/image',
  '/spec/template/spec/containers/-',
  '/spec/template/spec/tolerations',
  '/spec/template/spec/tolerations/0',
  '/spec/template/metadata/labels/app',
  '/spec/selector',
  '/spec/replicas',
  '/spec',
  '/metadata',
  '/metadata/name',
  '/metadata/labels/tier',
  '/metadata/labels/app.kubernetes.io~1managed-by',
  '/metadata/annotations/fleet.spillway.dev~1binding',
  '/metadata/annotations/fuzz.example.com~1config.json',
  '/metadata/annotations/fuzz.example.com~1config.yaml',
  '/kind',
  '/status',
  '/',
  '/a',
  '/a/b',
  '/list/0',
  '/list/-',
  '/~2bad',
  '/x//y',
];
/** Pieces of JSON for `value` fields that keep unknown fields: scalars, maps, lists, deep. */
const JSON_VALUES: unknown[] = [
  'x',
  '',
  'registry.example.com',
  0,
  -1,
  2 ** 31,
  1.5,
  true,
  null,
  { gpu: 'a10' },
  { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' },
  [{ key: 'gpu', operator: 'Exists' }],
  { name: 'side', image: 'example.invalid/side:1' },
  ['sleep', '1'],
  [],
  {},
  { a: { b: { c: [1, { d: null }] } } },
];
/** The properties a CEL rule of the object requires to start with '/' (JSON pointers). */
function pointerProperties(s: Schema): Set<string> {
  const names = new Set<string>();
  for (const v of s['x-kubernetes-validations'] ?? []) {
    const m = /^self\.(\w+)\.startsWith\('\/'\)$/.exec(v.rule.trim());
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

function pointerArb(noisy: boolean): fc.Arbitrary<string> {
  const good = fc.constantFrom(...POINTERS);
  if (!noisy) return good;
  return fc.oneof(
    { arbitrary: good, weight: 12 },
    { arbitrary: fc.constantFrom(...BAD_STRINGS), weight: 1 },
    { arbitrary: fc.string({ maxLength: 12 }).map((x) => `/${x}`), weight: 1 },
  );
}

const jsonValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...JSON_VALUES), weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);

const isDurationPattern = (p: string) => p.includes('ms|s|m|h');
const isQuantityPattern = (p: string) => p.includes('[KMGTPE]i');

function stringArb(s: Schema, noisy: boolean, name = ''): fc.Arbitrary<string> {
  let good: fc.Arbitrary<string>;
  let bad: fc.Arbitrary<string> = fc.constantFrom(...BAD_STRINGS);
  const named = Object.hasOwn(BY_NAME, name) ? BY_NAME[name] : undefined;
  if (s.enum) good = fc.constantFrom(...(s.enum as string[]));
  else if (s.pattern && isDurationPattern(s.pattern)) {
    good = fc.constantFrom(...DURATIONS);
    bad = fc.constantFrom(...BAD_DURATIONS);
  } else if (s.pattern && isQuantityPattern(s.pattern)) {
    good = fc.constantFrom(...QUANTITIES);
    bad = fc.constantFrom(...BAD_QUANTITIES);
  } else if (s.format === 'date-time') good = fc.constant('2026-01-01T00:00:00Z');
  else if (named && !s.pattern)
    good = fc.constantFrom(...named, ...NAMES.filter((n) => n.length <= (s.maxLength ?? 63)));
  else good = fc.constantFrom(...NAMES.filter((n) => n.length <= (s.maxLength ?? 63)));
  if (!noisy) return good;
  const weighted: { arbitrary: fc.Arbitrary<string>; weight: number }[] = [
    { arbitrary: good, weight: 12 },
    { arbitrary: bad, weight: 1 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
  ];
  if (s.maxLength !== undefined) {
    weighted.push({ arbitrary: fc.constant('a'.repeat(s.maxLength)), weight: 1 });
    weighted.push({ arbitrary: fc.constant('a'.repeat(s.maxLength + 1)), weight: 1 });
  }
  return fc.oneof(...weighted);
}

function integerArb(s: Schema, noisy: boolean): fc.Arbitrary<number> {
  const min = s.minimum ?? (s.format === 'int32' ? -(2 ** 31) : -(2 ** 40));
  const max = s.maximum ?? (s.format === 'int32' ? 2 ** 31 - 1 : 2 ** 40);
  const lo = Math.max(min, noisy ? -5 : 0);
  const hi = Math.min(max, lo + 20);
  if (!noisy) return fc.integer({ min: lo, max: hi });
  return fc.oneof(
    { arbitrary: fc.integer({ min: lo, max: hi }), weight: 10 },
    { arbitrary: fc.constantFrom(min, max, min - 1, max + 1, 2 ** 31, -1, 0), weight: 2 },
  );
}

/** Something of another type than the schema asks for. */
const wrongType = (s: Schema): fc.Arbitrary<unknown> => {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.constant('x'),
    integer: fc.constant(3),
    number: fc.constant(1.5),
    boolean: fc.constant(true),
    object: fc.constant({ x: 1 }),
    array: fc.constant(['x']),
  };
  const others = Object.entries(all)
    .filter(([t]) => t !== s.type && !(s.type === 'number' && t === 'integer'))
    .map(([, a]) => a);
  return fc.oneof(...others, fc.constant(null));
};

/**
 * Clean: every leaf follows the schema's types, ranges, enums and lengths (the CEL rules may
 * still refuse the combination). Noisy: leaves break now and then.
 */
export function schemaArbitrary(
  s: Schema,
  noisy: boolean,
  depth = 0,
  name = '',
): fc.Arbitrary<unknown> {
  const valid = validArbitrary(s, noisy, depth, name);
  if (!noisy || (s['x-kubernetes-preserve-unknown-fields'] && !s.properties)) return valid;
  // Deeper levels break less often, so that most generated objects reach the CEL rules.
  return fc.oneof({ arbitrary: valid, weight: 40 }, { arbitrary: wrongType(s), weight: 1 });
}

/**
 * A value that follows the schema at this level (deeper levels may still break it). `name` is
 * the property's name in its parent object (for BY_NAME).
 */
export function validArbitrary(
  s: Schema,
  noisy: boolean,
  depth = 0,
  name = '',
): fc.Arbitrary<unknown> {
  // Any JSON (an overrider's value): the schema says nothing more.
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.type && !s.properties) return jsonValueArb;
  if (s['x-kubernetes-int-or-string'])
    return fc.oneof(
      integerArb({ minimum: noisy ? -1 : 0, maximum: 100 }, noisy),
      stringArb(s, noisy),
    );
  switch (s.type) {
    case 'string':
      return stringArb(s, noisy, name);
    case 'integer':
      return integerArb(s, noisy);
    case 'number':
      return fc.oneof(
        fc.double({ min: noisy ? -1 : 0, max: 100, noNaN: true }),
        integerArb(s, noisy),
      );
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const item = s.items ? schemaArbitrary(s.items, noisy, depth + 1) : fc.constant('x');
      const limit = s.maxItems !== undefined ? s.maxItems + (noisy ? 1 : 0) : 4;
      const size = {
        minLength: noisy ? 0 : Math.min(s.minItems ?? 0, 3),
        maxLength: Math.min(limit, 3),
      };
      // Clean sets hold no duplicates (the API server refuses them with "Duplicate value").
      if (!noisy && s['x-kubernetes-list-type'] === 'set')
        return fc.uniqueArray(item, { ...size, selector: (v) => JSON.stringify(v) });
      return fc.array(item, size);
    }
    case 'object':
    default: {
      if (s.properties) {
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        const required = new Set(s.required ?? []);
        const pointers = pointerProperties(s);
        for (const [k, v] of Object.entries(s.properties)) {
          const value = pointers.has(k)
            ? fc.oneof(
                { arbitrary: pointerArb(noisy), weight: 40 },
                ...(noisy ? [{ arbitrary: wrongType(v), weight: 1 }] : []),
              )
            : schemaArbitrary(v, noisy, depth + 1, k);
          // Clean objects set few optional fields, so mutually exclusive ones rarely meet.
          model[k] =
            required.has(k) || noisy
              ? value
              : fc.oneof(
                  { arbitrary: fc.constant(undefined), weight: 2 },
                  { arbitrary: value, weight: 1 },
                );
        }
        if (noisy) return fc.record(model, { requiredKeys: [...required] });
        return fc
          .record(model)
          .map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
      }
      if (typeof s.additionalProperties === 'object') {
        const value = schemaArbitrary(s.additionalProperties, noisy, depth + 1);
        const maxKeys = Math.min((s.maxProperties ?? 3) + (noisy ? 1 : 0), 3);
        return fc.dictionary(
          noisy
            ? fc.oneof(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...BAD_STRINGS))
            : fc.constantFrom(...LABEL_KEYS.slice(0, 3)),
          value,
          {
            maxKeys,
          },
        );
      }
      return fc.constant({});
    }
  }
}
