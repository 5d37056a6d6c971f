/**
 * The override policy CRDs meet the same bar as the other policy CRDs (test/unit/api/crds.test.ts),
 * with one exception: an overrider's `value` is any JSON, as in Karmada, so it alone preserves
 * unknown fields. The e2e CRD test has a real API server reject each invalid override fixture.
 */
import { describe, expect, it } from '@jest/globals';
import { IMAGE_COMPONENTS, OVERRIDER_OPERATORS, POLICY_GROUP } from '../../../src/api/index.js';
import {
  crdByName,
  printerColumnPath,
  rootSchema,
  schemaNodes,
  structuralProblems,
  walk,
  type Schema,
} from './schema.js';

/** The schema at a dotted path where `x[]` steps into the items of list x. */
function schemaAt(schema: Schema, path: string): Schema {
  let s: Schema | undefined = schema;
  for (const key of path.split('.')) {
    s = s?.properties?.[key.replace(/\[\]$/, '')];
    if (key.endsWith('[]')) s = s?.items;
    if (!s) throw new Error(`no ${key} on the way to ${path}`);
  }
  return s;
}

const OP = 'overridepolicies.policy.one.alibabacloud.com';
const COP = 'clusteroverridepolicies.policy.one.alibabacloud.com';
const PP = 'propagationpolicies.policy.one.alibabacloud.com';

/** The JSON-valued fields (apiextensions JSON in Karmada's types). */
const ANY_JSON = [
  'spec.overrideRules.overriders.plaintext.value',
  'spec.overrideRules.overriders.fieldOverrider.json.value',
  'spec.overrideRules.overriders.fieldOverrider.yaml.value',
];

describe.each([
  [OP, 'Namespaced'],
  [COP, 'Cluster'],
])('%s', (name, scope) => {
  const crd = crdByName(name);
  const root = rootSchema(crd);
  const nodes = schemaNodes(root);
  const version = crd.spec.versions[0];

  it('is in the policy group, v1alpha1 alone with a status subresource, with its scope', () => {
    expect(crd.spec.group).toBe(POLICY_GROUP);
    expect(crd.spec.scope).toBe(scope);
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
    expect(version?.subresources).toEqual({ status: {} });
  });

  it('is structural, and only the JSON values preserve unknown fields', () => {
    expect(structuralProblems(root)).toEqual([]);
    expect(
      nodes
        .filter((n) => n.schema['x-kubernetes-preserve-unknown-fields'])
        .map((n) => n.path.replace(/\[\]/g, ''))
        .sort(),
    ).toEqual([...ANY_JSON].sort());
  });

  it('describes every field and bounds every list and string of the spec', () => {
    expect(
      nodes
        .filter((n) => n.property !== undefined && n.path !== 'metadata')
        .filter((n) => !n.schema.description?.trim())
        .map((n) => n.path),
    ).toEqual([]);
    expect(
      nodes
        .filter((n) => n.path.startsWith('spec.'))
        .filter(
          ({ schema: s }) =>
            (s.type === 'array' && s.maxItems === undefined) ||
            (s.type === 'string' && s.maxLength === undefined && s.enum === undefined) ||
            (s.type === 'object' && s.additionalProperties && s.maxProperties === undefined),
        )
        .map((n) => n.path),
    ).toEqual([]);
  });

  it('gives every CEL rule a message and a reason that keeps the message', () => {
    const rules = nodes.flatMap((n) => n.schema['x-kubernetes-validations'] ?? []);
    expect(rules.length).toBeGreaterThan(5);
    for (const r of rules) {
      expect(r.message ?? r.messageExpression).toBeDefined();
      expect(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired']).toContain(
        r.reason,
      );
    }
  });

  it('has printer columns that read declared fields', () => {
    const declared = new Set(nodes.map((n) => n.path));
    for (const c of version?.additionalPrinterColumns ?? []) {
      const path = printerColumnPath(c.jsonPath);
      if (path !== 'metadata.creationTimestamp') expect(declared.has(path)).toBe(true);
    }
  });

  it('uses the operators and image components the code knows', () => {
    const rule = 'spec.overrideRules[].overriders';
    for (const o of ['plaintext', 'imageOverrider', 'labelsOverrider', 'annotationsOverrider'])
      expect(schemaAt(root, `${rule}.${o}[].operator`).enum).toEqual([...OVERRIDER_OPERATORS]);
    expect(schemaAt(root, `${rule}.argsOverrider[].operator`).enum).toEqual(['add', 'remove']);
    expect(schemaAt(root, `${rule}.imageOverrider[].component`).enum).toEqual([
      ...IMAGE_COMPONENTS,
    ]);
  });

  it('declares every field of a full example', () => {
    const example = {
      apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
      kind: crd.spec.names.kind,
      metadata: { name: 'x' },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }],
        overrideRules: [
          {
            targetCluster: { clusterNames: ['idc'], exclude: ['b'], labelSelector: {} },
            overriders: {
              plaintext: [{ path: '/spec/x', operator: 'add', value: { a: [1] } }],
              imageOverrider: [
                {
                  predicate: { path: '/spec/x' },
                  component: 'Tag',
                  operator: 'replace',
                  value: '1',
                },
              ],
              commandOverrider: [{ containerName: 'c', operator: 'add', value: ['x'] }],
              argsOverrider: [{ containerName: 'c', operator: 'remove', value: ['x'] }],
              labelsOverrider: [{ operator: 'add', value: { a: 'b' } }],
              annotationsOverrider: [{ operator: 'remove', value: { a: '' } }],
              fieldOverrider: [
                { fieldPath: '/data/a', json: [{ subPath: '/a', operator: 'remove' }] },
                { fieldPath: '/data/b', yaml: [{ subPath: '/a', operator: 'add', value: 1 }] },
              ],
            },
          },
        ],
      },
      status: {
        observedGeneration: 1,
        appliedCopies: 2,
        conditions: [
          {
            type: 'Applied',
            status: 'True',
            reason: 'Applied',
            message: 'm',
            lastTransitionTime: '2026-01-01T00:00:00Z',
            observedGeneration: 1,
          },
        ],
      },
    };
    const result = walk(example, root);
    expect(result.undeclared).toEqual([]);
    expect(result.wrongType).toEqual([]);
  });
});

describe('shared schema pieces', () => {
  it('ClusterOverridePolicy and OverridePolicy have one spec and one status', () => {
    const op = rootSchema(crdByName(OP));
    const cop = rootSchema(crdByName(COP));
    expect(schemaAt(cop, 'spec')).toEqual(schemaAt(op, 'spec'));
    expect(schemaAt(cop, 'status')).toEqual(schemaAt(op, 'status'));
  });

  it('resource selectors, cluster selectors and conditions are those of PropagationPolicy', () => {
    const op = rootSchema(crdByName(OP));
    const pp = rootSchema(crdByName(PP));
    // The same fields and rules; only the text that names the policy kinds differs.
    const rules = (s: Schema): unknown =>
      JSON.parse(JSON.stringify(s, (k, v: unknown) => (k === 'description' ? undefined : v)));
    expect(rules(schemaAt(op, 'spec.resourceSelectors[]'))).toEqual(
      rules(schemaAt(pp, 'spec.resourceSelectors[]')),
    );
    expect(schemaAt(op, 'spec.overrideRules[].targetCluster').properties).toEqual(
      schemaAt(pp, 'spec.placement.clusterAffinity').properties,
    );
    expect(schemaAt(op, 'status.conditions[]')).toEqual(schemaAt(pp, 'status.conditions[]'));
  });
});
