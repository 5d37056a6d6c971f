import { describe, expect, it } from '@jest/globals';
import { memberCopy, type TemplateObject } from '../../../src/fleet/member-copy.js';
import { overrideCopy } from '../../../src/fleet/override-copy.js';
import type { OverrideStep } from '../../../src/fleet/override-match.js';
import { OverrideTracker, overridesCondition } from '../../../src/fleet/override-status.js';
import { bindingStatusOf } from '../../../src/fleet/binding-status.js';
import { hashOf } from '../../../src/fleet/applied-cache.js';

const template: TemplateObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' } },
  spec: {
    replicas: 4,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
};
const copy = memberCopy(template, 'demo/web-deployment', 2);

const step = (policy: string, overriders: OverrideStep['overriders'], rule = 0): OverrideStep => ({
  policy,
  rule,
  overriders,
});
const registry = step('OverridePolicy demo/idc', {
  imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'registry.idc.local' }],
});
const badPatch = step(
  'OverridePolicy demo/bad',
  {
    plaintext: [{ path: '/spec/template/spec/nodeSelector/gpu', operator: 'replace', value: 'x' }],
  },
  1,
);

describe('overrideCopy', () => {
  it('applies the steps to the member copy, never to the template', () => {
    const before = structuredClone(template);
    const out = overrideCopy(copy, [registry]);
    expect(out.copy?.spec?.template).toEqual({
      spec: { containers: [{ name: 'web', image: 'registry.idc.local/nginx:1.27' }] },
    });
    expect(out.applied).toEqual(['OverridePolicy demo/idc']);
    expect(template).toEqual(before);
    expect(copy.spec?.template).toEqual(before.spec?.template);
  });

  it('changes the applied-cache hash exactly when the override result changes', () => {
    const a = overrideCopy(copy, [registry]).copy;
    const same = overrideCopy(copy, [structuredClone(registry)]).copy;
    const other = overrideCopy(copy, [
      step('OverridePolicy demo/idc', {
        imageOverrider: [
          { component: 'Registry', operator: 'replace', value: 'registry2.idc.local' },
        ],
      }),
    ]).copy;
    expect(hashOf(a)).toBe(hashOf(same));
    expect(hashOf(a)).not.toBe(hashOf(other));
    expect(hashOf(overrideCopy(copy, []).copy)).toBe(hashOf(copy));
  });

  it('stops at the first failing rule and reports it, with no copy', () => {
    const out = overrideCopy(copy, [registry, badPatch, registry]);
    expect(out.copy).toBeUndefined();
    expect(out.failure).toEqual({
      policy: 'OverridePolicy demo/bad',
      rule: 1,
      message:
        'plaintext[0]: path /spec/template/spec/nodeSelector/gpu: /spec/template/spec has no field "nodeSelector"',
    });
  });

  it('keeps Spillway’s marks and refuses to change what the copy is', () => {
    const out = overrideCopy(copy, [
      step('ClusterOverridePolicy strip', {
        labelsOverrider: [{ operator: 'remove', value: { 'app.kubernetes.io/managed-by': '' } }],
        annotationsOverrider: [{ operator: 'remove', value: { 'fleet.spillway.dev/binding': '' } }],
      }),
    ]);
    expect(out.copy?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('spillway');
    expect(out.copy?.metadata.annotations?.['fleet.spillway.dev/binding']).toBe(
      'demo/web-deployment',
    );
    const renamed = overrideCopy(copy, [
      step('ClusterOverridePolicy rename', {
        plaintext: [{ path: '/metadata/name', operator: 'replace', value: 'other' }],
      }),
    ]);
    expect(renamed.failure?.message).toContain('overrides cannot change');
  });

  it('fails when labels or annotations stop being a map of strings, instead of mangling them', () => {
    // Found by the override fuzzing: "str" became annotations {"0": "s", "1": "t", "2": "r"}.
    const replace = (path: string, value: unknown) =>
      overrideCopy(copy, [
        step('OverridePolicy demo/meta', {
          plaintext: [{ path, operator: 'replace', value: value as never }],
        }),
      ]);
    expect(replace('/metadata/annotations', 'str').failure).toEqual({
      policy: 'OverridePolicy demo/meta',
      rule: 0,
      message: 'metadata.annotations must be a map from keys to strings, not "str"',
    });
    expect(replace('/metadata/labels', ['a']).failure?.message).toBe(
      'metadata.labels must be a map from keys to strings, not ["a"]',
    );
    expect(replace('/metadata/labels', { tier: 5 }).failure?.message).toContain(
      'metadata.labels must be a map',
    );
    // Emptied is fine: the marks come back.
    expect(replace('/metadata/labels', null).copy?.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'spillway',
    });
  });
});

describe('the binding condition OverridesApplied', () => {
  it('is absent when no override applies to any copy', () => {
    expect(overridesCondition([{ cluster: 'idc', applied: [] }])).toBeUndefined();
  });

  it('lists the policies per cluster when all applied', () => {
    expect(
      overridesCondition([
        { cluster: 'cloud', applied: ['ClusterOverridePolicy gpu'] },
        { cluster: 'idc', applied: ['ClusterOverridePolicy gpu', 'OverridePolicy demo/idc'] },
      ]),
    ).toEqual({
      status: 'True',
      reason: 'Applied',
      message:
        'cloud: ClusterOverridePolicy gpu; idc: ClusterOverridePolicy gpu, OverridePolicy demo/idc',
    });
  });

  it('is False OverrideFailed naming the cluster, policy, rule and overrider', () => {
    const c = overridesCondition([
      { cluster: 'cloud', applied: [] },
      {
        cluster: 'idc',
        applied: [],
        failure: { policy: 'OverridePolicy demo/bad', rule: 1, message: 'plaintext[0]: boom' },
      },
    ]);
    expect(c).toEqual({
      status: 'False',
      reason: 'OverrideFailed',
      message:
        'idc: OverridePolicy demo/bad overrideRules[1]: plaintext[0]: boom; the copy there is left as it was until the policy is fixed',
    });
  });

  it('is written into the binding status, with a Warning only when it changes, and goes with the overrides', () => {
    const base = {
      kind: 'Deployment',
      namespace: 'demo',
      name: 'web',
      replicas: 1,
      withReplicas: true,
      reportsStatus: true,
      duplicated: false,
      result: { clusters: [], waiting: 0, unplaced: 0, provision: [] },
      targets: [],
      workloads: [],
      conflicts: [],
      tiedWith: [],
      claimedBy: 'pp',
      unknownClusters: [],
      refused: [],
      now: new Date('2026-01-01T00:00:00Z'),
    };
    const failed = [
      {
        cluster: 'idc',
        applied: [],
        failure: { policy: 'OverridePolicy demo/bad', rule: 0, message: 'x' },
      },
    ];
    const first = bindingStatusOf({ ...base, overrides: failed });
    expect(first.status.conditions?.find((c) => c.type === 'OverridesApplied')).toMatchObject({
      status: 'False',
      reason: 'OverrideFailed',
    });
    expect(first.events.map((e) => e.reason)).toContain('OverrideFailed');
    const again = bindingStatusOf({ ...base, overrides: failed, previous: first.status });
    expect(again.events.map((e) => e.reason)).not.toContain('OverrideFailed');
    const gone = bindingStatusOf({ ...base, overrides: [], previous: first.status });
    expect(gone.status.conditions?.map((c) => c.type)).not.toContain('OverridesApplied');
  });
});

describe('an override policy’s status', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const key = 'apps/v1|Deployment|demo|web';

  it('counts the copies it applied to, and reports failures with template and cluster', () => {
    const t = new OverrideTracker();
    expect(
      t.record(key, [
        { cluster: 'cloud', applied: ['ClusterOverridePolicy gpu'] },
        {
          cluster: 'idc',
          applied: ['ClusterOverridePolicy gpu'],
          failure: { policy: 'OverridePolicy demo/idc', rule: 0, message: 'plaintext[0]: boom' },
        },
      ]),
    ).toBe(true);
    expect(t.statusOf('ClusterOverridePolicy gpu', undefined, 2, now)).toMatchObject({
      observedGeneration: 2,
      appliedCopies: 2,
      conditions: [
        {
          type: 'Applied',
          status: 'True',
          reason: 'Applied',
          message: 'applied to 2 member copies',
        },
      ],
    });
    expect(t.statusOf('OverridePolicy demo/idc', undefined, 1, now)).toMatchObject({
      appliedCopies: 0,
      conditions: [
        {
          type: 'Applied',
          status: 'False',
          reason: 'OverrideFailed',
          message:
            'Deployment demo/web in idc: overrideRules[0]: plaintext[0]: boom; those copies are left as they were',
        },
      ],
    });
  });

  it('says when nothing changed, and forgets a released template', () => {
    const t = new OverrideTracker();
    const outcomes = [{ cluster: 'idc', applied: ['OverridePolicy demo/idc'] }];
    t.record(key, outcomes);
    expect(t.record(key, structuredClone(outcomes))).toBe(false);
    expect(t.record(key, [])).toBe(true);
    expect(t.statusOf('OverridePolicy demo/idc', undefined, 1, now).appliedCopies).toBe(0);
  });
});
