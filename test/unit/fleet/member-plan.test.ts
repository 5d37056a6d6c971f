import { describe, expect, it } from '@jest/globals';
import type { AnyOverridePolicy } from '../../../src/api/override.js';
import type { AnyPropagationPolicy } from '../../../src/api/policy.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';
import {
  planMembers,
  provisioningSteps,
  type MemberAction,
} from '../../../src/fleet/member-plan.js';
import type { MemberView } from '../../../src/fleet/reconcile-port.js';
import { memberView } from './recording-port.js';
import { workloadOf } from '../../../src/fleet/schedule-plan.js';
import type { ScheduleResult } from '../../../src/scheduler/index.js';

const key = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' };
const template: TemplateObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'test', labels: { app: 'web' } },
  spec: {
    replicas: 5,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    },
  },
};
const policy = (ecsProvision = false): AnyPropagationPolicy => ({
  apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name: 'p', namespace: 'test' },
  spec: {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
    placement: {
      clusterAffinity: { clusterNames: ['a', 'b', 'c'] },
      replicaScheduling: {
        replicaSchedulingType: 'Divided',
        replicaDivisionPreference: 'Aggregated',
      },
    },
    autoScaling: { ecsProvision },
  },
});
const members = ['a', 'b', 'c'].map((name) => ({ name, labels: { zone: name } }));
const view = memberView;
const result: ScheduleResult = {
  clusters: [
    { cluster: 'a', replicas: 3, waiting: 0, reason: 'fits' },
    { cluster: 'b', replicas: 2, waiting: 2, reason: 'waits' },
  ],
  waiting: 2,
  unplaced: 0,
  provision: [{ cluster: 'b', replicas: 2 }],
};
const targets = [
  { name: 'a', replicas: 3, reason: 'fits' },
  { name: 'b', replicas: 2, waitingForCapacity: 2, reason: 'waits' },
];
const override = (clusterNames: string[], path: string): AnyOverridePolicy => ({
  apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
  kind: 'OverridePolicy',
  metadata: { name: 'o', namespace: 'test' },
  spec: {
    overrideRules: [
      {
        targetCluster: { clusterNames },
        overriders: { plaintext: [{ path, operator: 'replace', value: 'x' }] },
      },
    ],
  },
});

function plan(opts: {
  views?: MemberView[];
  overrides?: AnyOverridePolicy[];
  withCopies?: string[];
  ecsProvision?: boolean;
}) {
  const views = opts.views ?? [view('a'), view('b'), view('c')];
  return planMembers({
    key,
    template,
    workload: workloadOf(template, policy(opts.ecsProvision), members),
    result,
    targets,
    views: new Map(views.map((v) => [v.name, v])),
    members,
    overridePolicies: opts.overrides ?? [],
    withCopies: opts.withCopies ?? [],
  });
}
const summary = (actions: MemberAction[]) =>
  actions.map((a) =>
    a.type === 'apply'
      ? `apply ${a.cluster} ${String(a.copy.spec?.replicas)} waiting ${a.waiting}`
      : `${a.type} ${a.cluster}`,
  );

describe('planMembers', () => {
  it.each([
    [
      'every target reachable: a copy with its share each',
      {},
      ['apply a 3 waiting 0', 'apply b 2 waiting 2'],
    ],
    [
      'an unreachable target gets nothing written',
      { views: [view('a'), view('b', { reachable: false })] },
      ['apply a 3 waiting 0', 'unreachable b'],
    ],
    [
      'a member without a client is unreachable',
      { views: [view('a', { connected: false }), view('b')] },
      ['unreachable a', 'apply b 2 waiting 2'],
    ],
    [
      'a copy where the result puts none is removed',
      { withCopies: ['a', 'c'] },
      ['apply a 3 waiting 0', 'apply b 2 waiting 2', 'remove c'],
    ],
    [
      'a failing override leaves that copy as it was',
      { overrides: [override(['b'], '/spec/nothing/x')] },
      ['apply a 3 waiting 0', 'leave b'],
    ],
  ] as const)('%s', (_name, opts, want) => {
    expect(summary(plan(opts as Parameters<typeof plan>[0]).actions)).toEqual(want);
  });

  it('overrides change only the copies of the members they select, and are reported per member', () => {
    const out = plan({ overrides: [override(['a'], '/metadata/labels/app')] });
    const a = out.actions.find((x) => x.cluster === 'a');
    const b = out.actions.find((x) => x.cluster === 'b');
    expect(a?.type === 'apply' && a.copy.metadata.labels?.app).toBe('x');
    expect(b?.type === 'apply' && b.copy.metadata.labels?.app).toBe('web');
    expect(out.overrides.map((o) => [o.cluster, o.applied])).toEqual([
      ['a', ['OverridePolicy test/o']],
      ['b', []],
    ]);
  });

  it('copies in a member that provisions for the workload name its ProvisioningRequest', () => {
    const views = [view('a'), view('b', { canProvision: true, provisioningSupported: true })];
    const out = plan({ views, ecsProvision: true });
    const annotationsOf = (c: string) => {
      const x = out.actions.find((y) => y.cluster === c);
      return x?.type === 'apply'
        ? (x.copy.spec?.template as { metadata?: { annotations?: Record<string, string> } })
            .metadata?.annotations
        : undefined;
    };
    expect(
      annotationsOf('b')?.['cluster-autoscaler.kubernetes.io/consume-provisioning-request'],
    ).toBe('web-deployment-capacity');
    expect(annotationsOf('a')).toBeUndefined();
  });
});

describe('provisioningSteps', () => {
  const views = new Map([
    ['a', view('a', { provisioningSupported: true })],
    ['b', view('b', { provisioningSupported: true, provisioningClass: 'best-effort' })],
  ]);
  it('asks where the scheduler signals provisioning, with the member class', () => {
    expect(provisioningSteps(key, template, true, result, views, new Map())).toEqual([
      {
        cluster: 'b',
        known: false,
        ask: expect.objectContaining({
          count: 2,
          className: 'best-effort',
          bindingName: 'web-deployment',
        }),
      },
    ]);
  });
  it('without ecsProvision a request read earlier is brought to 0; none read, nothing to do', () => {
    expect(provisioningSteps(key, template, false, result, views, new Map())).toEqual([]);
    const steps = provisioningSteps(
      key,
      template,
      false,
      result,
      views,
      new Map([['a', undefined]]),
    );
    expect(steps.map((s) => [s.cluster, s.ask.count, s.known])).toEqual([['a', 0, true]]);
  });
  it('members that do not serve the API are skipped', () => {
    const none = new Map([['b', view('b')]]);
    expect(provisioningSteps(key, template, true, result, none, new Map())).toEqual([]);
  });
});
