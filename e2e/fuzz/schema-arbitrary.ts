/**
 * fast-check arbitraries from a CRD's OpenAPI v3 schema: values that mostly follow the schema
 * (so that deep fields and the CEL rules are reached) and break it now and then at every level
 * (wrong type, out of range, too long, not in the enum, one item too many), so that both what
 * the API server accepts and what it rejects are exercised. Test infrastructure only.
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

const isDurationPattern = (p: string) => p.includes('ms|s|m|h');
const isQuantityPattern = (p: string) => p.includes('[KMGTPE]i');

function stringArb(s: Schema, noisy: boolean): fc.Arbitrary<string> {
  let good: fc.Arbitrary<string>;
  let bad: fc.Arbitrary<string> = fc.constantFrom(...BAD_STRINGS);
  if (s.enum) good = fc.constantFrom(...(s.enum as string[]));
  else if (s.pattern && isDurationPattern(s.pattern)) {
    good = fc.constantFrom(...DURATIONS);
    bad = fc.constantFrom(...BAD_DURATIONS);
  } else if (s.pattern && isQuantityPattern(s.pattern)) {
    good = fc.constantFrom(...QUANTITIES);
    bad = fc.constantFrom(...BAD_QUANTITIES);
  } else if (s.format === 'date-time') good = fc.constant('2026-01-01T00:00:00Z');
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
export function schemaArbitrary(s: Schema, noisy: boolean, depth = 0): fc.Arbitrary<unknown> {
  const valid = validArbitrary(s, noisy, depth);
  if (!noisy || (s['x-kubernetes-preserve-unknown-fields'] && !s.properties)) return valid;
  // Deeper levels break less often, so that most generated objects reach the CEL rules.
  return fc.oneof({ arbitrary: valid, weight: 40 }, { arbitrary: wrongType(s), weight: 1 });
}

/** A value that follows the schema at this level (deeper levels may still break it). */
export function validArbitrary(s: Schema, noisy: boolean, depth = 0): fc.Arbitrary<unknown> {
  if (s['x-kubernetes-int-or-string'])
    return fc.oneof(
      integerArb({ minimum: noisy ? -1 : 0, maximum: 100 }, noisy),
      stringArb(s, noisy),
    );
  switch (s.type) {
    case 'string':
      return stringArb(s, noisy);
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
        for (const [k, v] of Object.entries(s.properties)) {
          const value = schemaArbitrary(v, noisy, depth + 1);
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
