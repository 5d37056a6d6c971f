/** docs/api-reference.md is generated from the CRD schemas; CI fails when it falls behind them. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { OUTPUT, renderApiReference } from '../../../hack/gen-api-docs.js';

describe('API reference', () => {
  it('is up to date with config/crds (regenerate: node --import tsx hack/gen-api-docs.ts)', () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(renderApiReference());
  });

  it('documents every kind and, for example, the seed fields', () => {
    const text = renderApiReference();
    for (const kind of [
      'MemberCluster',
      'ResourceBinding',
      'PropagationPolicy',
      'ClusterPropagationPolicy',
      'ResourcePolicy',
    ])
      expect(text).toMatch(new RegExp(`^## ${kind} \\(`, 'm'));
    expect(text).toMatch(/`spec.placement.clusterAffinities\[\]\.affinityName`/);
    expect(text).toMatch(/`spec.units\[\]\.resource`/);
  });
});
