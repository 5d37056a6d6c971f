import { describe, expect, it } from '@jest/globals';
import { POLICY_API_VERSION } from '../../../src/api/index.js';
import { readInvalidFixtures } from '../../fixtures/fixtures.js';
import { crdByName, rootSchema, walk } from './schema.js';

const fixtures = readInvalidFixtures();
const schemaOf = {
  PropagationPolicy: rootSchema(crdByName('propagationpolicies.policy.one.alibabacloud.com')),
  ClusterPropagationPolicy: rootSchema(
    crdByName('clusterpropagationpolicies.policy.one.alibabacloud.com'),
  ),
  OverridePolicy: rootSchema(crdByName('overridepolicies.policy.one.alibabacloud.com')),
  ClusterOverridePolicy: rootSchema(
    crdByName('clusteroverridepolicies.policy.one.alibabacloud.com'),
  ),
};

describe('invalid policy fixtures (the e2e test has a real API server reject each one)', () => {
  it('exist, one per rule', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    expect(new Set(fixtures.map((f) => f.expect)).size).toBe(fixtures.length);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))(
    '%s is a policy named after its file, wrong in its named way only',
    (file, { object }) => {
      const kind = object.kind as keyof typeof schemaOf;
      expect(object.apiVersion).toBe(POLICY_API_VERSION);
      expect(Object.keys(schemaOf)).toContain(kind);
      expect(object.metadata).toMatchObject({ name: file.replace(/\.yaml$/, '') });
      const result = walk(object, schemaOf[kind]);
      // Only the unknown-field fixture may carry a field the schema lacks; the others must be
      // rejected by the rule they are about, not because a typo got pruned.
      expect(result.undeclared).toEqual(
        file === 'unknown-field.yaml' ? ['spec.placement.clusterAffinitys'] : [],
      );
    },
  );
});
