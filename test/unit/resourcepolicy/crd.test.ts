import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  PREEMPT_POLICIES,
  RESOURCE_POLICY_DEFAULTS,
  TRY_NEXT_POLICIES,
  UNIT_RESOURCES,
} from '../../../src/api/resourcepolicy.js';
import { FIXTURES_DIR } from '../../fixtures/fixtures.js';
import {
  crdByName,
  rootSchema,
  schemaAt,
  schemaNodes,
  structuralProblems,
  walk,
} from '../api/schema.js';

const RSP = 'resourcepolicies.scheduling.alibabacloud.com';
const crd = crdByName(RSP);
const root = rootSchema(crd);
const seed = (file: string): unknown =>
  parse(readFileSync(join(FIXTURES_DIR, 'resourcepolicy', file), 'utf8'));

describe('ResourcePolicy CRD', () => {
  it('is structural, namespaced, served as v1alpha1 with a status subresource', () => {
    expect(structuralProblems(root)).toEqual([]);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
    expect(crd.spec.versions[0]?.subresources?.status).toEqual({});
  });

  it('describes every field', () => {
    const missing = schemaNodes(root)
      .filter((n) => n.property && n.property !== 'metadata' && !n.schema.description)
      .map((n) => n.path);
    expect(missing).toEqual([]);
  });

  it.each([
    'resourcepolicy-example.yaml.txt',
    'scenario1-resourcepolicy.yaml.txt',
    'scenario2-resourcepolicy.yaml.txt',
  ])('declares every field the seed manifest %s sets', (file) => {
    const result = walk(seed(file), root);
    expect(result.undeclared).toEqual([]);
    expect(result.wrongType).toEqual([]);
  });

  it('lists the enums and defaults of the seed', () => {
    expect(schemaAt(root, 'spec.units').items?.properties?.resource?.enum).toEqual([
      ...UNIT_RESOURCES,
    ]);
    expect(schemaAt(root, 'spec.whenTryNextUnits.policy').enum).toEqual([...TRY_NEXT_POLICIES]);
    expect(schemaAt(root, 'spec.preemptPolicy').enum).toEqual([...PREEMPT_POLICIES]);
    expect(schemaAt(root, 'spec.preemptPolicy').default).toBe(
      RESOURCE_POLICY_DEFAULTS.preemptPolicy,
    );
    expect(schemaAt(root, 'spec.ignorePreviousPod').default).toBe(false);
    expect(schemaAt(root, 'spec.ignoreTerminatingPod').default).toBe(true);
    expect(schemaAt(root, 'spec.whenTryNextUnits.policy').default).toBe('LackResourceOrExceedMax');
    expect(schemaAt(root, 'spec.whenTryNextUnits.timeout').default).toBe('15m');
    expect(schemaAt(root, 'spec.strategy').default).toBe('prefer');
    expect(schemaAt(root, 'spec.units').minItems).toBe(1);
  });

  it('bounds every list and map, so CEL rules stay within the cost budget', () => {
    const unbounded = schemaNodes(root)
      .filter((n) => !n.path.startsWith('metadata'))
      .filter(
        (n) =>
          (n.schema.type === 'array' && n.schema.maxItems === undefined) ||
          (n.schema.type === 'object' &&
            typeof n.schema.additionalProperties === 'object' &&
            n.schema.maxProperties === undefined) ||
          (n.schema.type === 'string' &&
            n.schema.maxLength === undefined &&
            n.schema.enum === undefined &&
            n.schema.format === undefined &&
            n.path !== 'apiVersion' &&
            n.path !== 'kind'),
      )
      .map((n) => n.path);
    expect(unbounded).toEqual([]);
  });
});
