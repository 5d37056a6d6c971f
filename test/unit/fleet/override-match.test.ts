import { describe, expect, it } from '@jest/globals';
import type {
  AnyOverridePolicy,
  ClusterOverridePolicy,
  OverridePolicy,
  OverrideSpec,
} from '../../../src/api/override.js';
import { POLICY_API_VERSION } from '../../../src/api/policy.js';
import {
  affectedTemplates,
  matchingOverridePolicies,
  overrideSteps,
  targetsCluster,
} from '../../../src/fleet/override-match.js';

const web = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'demo',
  name: 'web',
  labels: { app: 'web' },
};
const idc = { name: 'idc', labels: { site: 'idc' } };
const cloud = { name: 'cloud', labels: { site: 'cloud' } };

function op(name: string, spec: OverrideSpec, namespace = 'demo'): OverridePolicy {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: 'OverridePolicy',
    metadata: { name, namespace },
    spec,
  };
}
function cop(name: string, spec: OverrideSpec): ClusterOverridePolicy {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: 'ClusterOverridePolicy',
    metadata: { name },
    spec,
  };
}
const byKind = { apiVersion: 'apps/v1', kind: 'Deployment' };
const byLabel = { ...byKind, labelSelector: { matchLabels: { app: 'web' } } };
const byName = { ...byKind, name: 'web' };
const names = (ps: AnyOverridePolicy[]) => ps.map((p) => p.metadata.name);

describe('which override policies apply to a template, in which order', () => {
  it('applies ClusterOverridePolicies first, then OverridePolicies, whatever their specificity', () => {
    const policies = [
      op('ns-kind', { resourceSelectors: [byKind] }),
      cop('cluster-name', { resourceSelectors: [byName] }),
    ];
    expect(names(matchingOverridePolicies(web, policies))).toEqual(['cluster-name', 'ns-kind']);
  });

  it('within a kind: no selectors and kind alone, then labelSelector, then name; ties by name', () => {
    const policies = [
      op('a-name', { resourceSelectors: [byName] }),
      op('b-label', { resourceSelectors: [byLabel] }),
      op('c-kind', { resourceSelectors: [byKind] }),
      op('d-all', {}),
      op('a-all', { resourceSelectors: [] }),
    ];
    expect(names(matchingOverridePolicies(web, policies))).toEqual([
      'a-all',
      'c-kind',
      'd-all',
      'b-label',
      'a-name',
    ]);
  });

  it('ranks a policy by its most specific selector that matches', () => {
    const policies = [
      op('z-two-selectors', { resourceSelectors: [byKind, byName] }),
      op('a-label', { resourceSelectors: [byLabel] }),
    ];
    expect(names(matchingOverridePolicies(web, policies))).toEqual(['a-label', 'z-two-selectors']);
  });

  it('orders names in byte order, as Karmada does', () => {
    const policies = [op('b', {}), op('B', {}), op('a-1', {}), op('a1', {})];
    expect(names(matchingOverridePolicies(web, policies))).toEqual(['B', 'a-1', 'a1', 'b']);
  });

  it('uses an OverridePolicy only in its own namespace, and skips what does not match', () => {
    const policies = [
      op('other-ns', {}, 'other'),
      op('other-kind', { resourceSelectors: [{ apiVersion: 'v1', kind: 'Service' }] }),
      op('other-name', { resourceSelectors: [{ ...byKind, name: 'api' }] }),
      op('other-labels', {
        resourceSelectors: [{ ...byKind, labelSelector: { matchLabels: { app: 'api' } } }],
      }),
      cop('everywhere', {}),
      cop('other-namespace', { resourceSelectors: [{ ...byKind, namespace: 'other' }] }),
    ];
    expect(names(matchingOverridePolicies(web, policies))).toEqual(['everywhere']);
  });

  it('applies only ClusterOverridePolicies to a cluster-scoped template', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'demo', labels: {} };
    expect(names(matchingOverridePolicies(ns, [op('x', {}), cop('y', {})]))).toEqual(['y']);
  });

  it('skips a policy being deleted', () => {
    const going = op('going', {});
    going.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(matchingOverridePolicies(web, [going])).toEqual([]);
  });
});

describe('targetCluster', () => {
  it('selects every member when absent or when it names neither clusters nor labels', () => {
    expect(targetsCluster(undefined, idc)).toBe(true);
    expect(targetsCluster({}, idc)).toBe(true);
    expect(targetsCluster({ exclude: ['idc'] }, idc)).toBe(false);
    expect(targetsCluster({ exclude: ['idc'] }, cloud)).toBe(true);
  });

  it('selects the named or label-matched members, minus exclude', () => {
    expect(targetsCluster({ clusterNames: ['idc'] }, idc)).toBe(true);
    expect(targetsCluster({ clusterNames: ['idc'] }, cloud)).toBe(false);
    expect(targetsCluster({ labelSelector: { matchLabels: { site: 'cloud' } } }, cloud)).toBe(true);
    expect(
      targetsCluster(
        { clusterNames: ['idc'], labelSelector: { matchLabels: { site: 'cloud' } } },
        cloud,
      ),
    ).toBe(true);
    expect(targetsCluster({ labelSelector: {}, exclude: ['cloud'] }, cloud)).toBe(false);
  });
});

describe('the steps for one member', () => {
  it('lists the rules that target the member, policy by policy, rule by rule', () => {
    const registry = {
      imageOverrider: [
        { component: 'Registry' as const, operator: 'replace' as const, value: 'r' },
      ],
    };
    const label = { labelsOverrider: [{ operator: 'add' as const, value: { a: 'b' } }] };
    const policies = [
      op('idc-only', {
        resourceSelectors: [byName],
        overrideRules: [
          { targetCluster: { clusterNames: ['idc'] }, overriders: registry },
          { overriders: label },
        ],
      }),
      cop('all', { overrideRules: [{ overriders: label }] }),
    ];
    expect(overrideSteps(web, idc, policies)).toEqual([
      { policy: 'ClusterOverridePolicy all', rule: 0, overriders: label },
      { policy: 'OverridePolicy demo/idc-only', rule: 0, overriders: registry },
      { policy: 'OverridePolicy demo/idc-only', rule: 1, overriders: label },
    ]);
    expect(overrideSteps(web, cloud, policies).map((s) => [s.policy, s.rule])).toEqual([
      ['ClusterOverridePolicy all', 0],
      ['OverridePolicy demo/idc-only', 1],
    ]);
  });
});

describe('the templates a policy change re-syncs', () => {
  const api = { ...web, name: 'api', labels: { app: 'api' } };
  const other = { ...web, namespace: 'other' };
  const templates = [web, api, other];
  const names = (ts: { namespace: string; name: string }[]) =>
    ts.map((t) => `${t.namespace}/${t.name}`);

  it('are those it selects now and those it selected before the change', () => {
    const before = op('p', { resourceSelectors: [byName] });
    const now = op('p', { resourceSelectors: [{ ...byKind, name: 'api' }] });
    expect(names(affectedTemplates(templates, now, before))).toEqual(['demo/web', 'demo/api']);
  });

  it('are those it selected, when it is deleted, and never another namespace’s', () => {
    expect(names(affectedTemplates(templates, undefined, op('p', {})))).toEqual([
      'demo/web',
      'demo/api',
    ]);
    expect(names(affectedTemplates(templates, cop('c', {}), undefined))).toEqual([
      'demo/web',
      'demo/api',
      'other/web',
    ]);
  });
});
