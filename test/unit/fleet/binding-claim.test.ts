import { describe, expect, it } from '@jest/globals';
import type { ResourceBinding } from '../../../src/api/fleet.js';
import type { AnyPropagationPolicy } from '../../../src/api/policy.js';
import { decideClaim, finalizersAfter } from '../../../src/fleet/binding-claim.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';

const key = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' };
const template = (extra: Record<string, unknown> = {}): TemplateObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'test', labels: { app: 'web' }, ...extra },
  spec: { replicas: 1 },
});
const policy = (name: string, selectorName = 'web'): AnyPropagationPolicy => ({
  apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name, namespace: 'test' },
  spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: selectorName }] },
});
const binding = (
  extra: Partial<ResourceBinding['metadata']> = {},
  reason?: string,
): ResourceBinding =>
  ({
    apiVersion: 'fleet.spillway.dev/v1alpha1',
    kind: 'ResourceBinding',
    metadata: { name: 'web-deployment', namespace: 'test', generation: 3, ...extra },
    spec: {
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'web' },
      replicas: 1,
      policy: { kind: 'PropagationPolicy', name: 'placed-it', namespace: 'test' },
      clusters: [{ name: 'idc', replicas: 1 }],
    },
    ...(reason
      ? {
          status: {
            conditions: [
              { type: 'Scheduled', status: 'False', reason, message: '', lastTransitionTime: '' },
            ],
          },
        }
      : {}),
  }) as ResourceBinding;

describe('decideClaim', () => {
  it.each([
    ['the template is gone', undefined, undefined, [policy('p')], 'release'],
    [
      'the template is being deleted',
      template({ deletionTimestamp: 'x' }),
      binding(),
      [policy('p')],
      'release',
    ],
    [
      'the binding is deleted under a live template',
      template(),
      binding({ deletionTimestamp: 'x' }),
      [policy('p')],
      'bindingDeleted',
    ],
    ['a policy selects the template', template(), binding(), [policy('p')], 'claim'],
    [
      'no policy selects it, the placing one exists',
      template(),
      binding(),
      [policy('placed-it', 'other')],
      'unclaimed',
    ],
    [
      'no policy selects it, the placing one is gone',
      template(),
      binding(),
      [policy('x', 'other')],
      'releaseUnclaimed',
    ],
    ['no policy selects it and it has no binding', template(), undefined, [], 'releaseUnclaimed'],
  ] as const)('%s: %s', (_name, t, b, policies, want) => {
    expect(decideClaim(key, t, b, policies).kind).toBe(want);
  });

  it('an unclaimed template is announced once: condition Unclaimed with the binding generation', () => {
    const first = decideClaim(key, template(), binding(), [policy('placed-it', 'other')]);
    expect(first.kind === 'unclaimed' && first.announce?.condition).toMatchObject({
      type: 'Scheduled',
      status: 'False',
      reason: 'Unclaimed',
      observedGeneration: 3,
    });
    expect(first.kind === 'unclaimed' && first.announce?.message).toContain(
      'PropagationPolicy test/placed-it is deleted',
    );
    const again = decideClaim(key, template(), binding({}, 'Unclaimed'), [
      policy('placed-it', 'other'),
    ]);
    expect(again.kind === 'unclaimed' && again.announce).toBeUndefined();
  });

  it('a deleting policy does not claim the template', () => {
    const p = policy('p');
    p.metadata.deletionTimestamp = 'x';
    expect(decideClaim(key, template(), undefined, [p]).kind).toBe('releaseUnclaimed');
  });
});

describe('finalizersAfter', () => {
  it.each([
    [undefined, true, ['f']],
    [['a'], true, ['a', 'f']],
    [['a', 'f'], true, undefined],
    [['a', 'f'], false, ['a']],
    [['a'], false, undefined],
    [undefined, false, undefined],
  ] as const)('%j with present=%s gives %j', (list, present, want) => {
    expect(finalizersAfter(list, 'f', present)).toEqual(want);
  });
});
