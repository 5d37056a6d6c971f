import { describe, expect, it } from '@jest/globals';
import { NAMESPACE_LABEL } from '../../../src/resourcepolicy/constants.js';
import { namespaceLabelPatch } from '../../../src/resourcepolicy/namespace-label.js';
import {
  WEBHOOK_NAME,
  WEBHOOK_NAME_UNLABELLED,
  webhookConfiguration,
} from '../../../src/resourcepolicy/webhook-config.js';

describe('the webhook configuration', () => {
  const config = webhookConfiguration(
    'spillway-resource-policy',
    { url: 'https://127.0.0.1:9443/mutate' },
    'CA',
    ['kube-system', 'spillway-system', 'kube-system'],
  );
  const hook = (name: string) => config.webhooks?.find((w) => w.name === name);

  it('refuses pods in namespaces with a ResourcePolicy while the webhook is down (Fail)', () => {
    expect(hook(WEBHOOK_NAME)?.failurePolicy).toBe('Fail');
    expect(hook(WEBHOOK_NAME)?.namespaceSelector?.matchExpressions).toEqual([
      { key: NAMESPACE_LABEL, operator: 'Exists' },
      {
        key: 'kubernetes.io/metadata.name',
        operator: 'NotIn',
        values: ['kube-system', 'spillway-system'],
      },
    ]);
  });

  it('never blocks namespaces without a policy, nor the skipped ones, but still gates there', () => {
    expect(hook(WEBHOOK_NAME_UNLABELLED)?.failurePolicy).toBe('Ignore');
    expect(hook(WEBHOOK_NAME_UNLABELLED)?.namespaceSelector?.matchExpressions).toEqual([
      { key: NAMESPACE_LABEL, operator: 'DoesNotExist' },
      {
        key: 'kubernetes.io/metadata.name',
        operator: 'NotIn',
        values: ['kube-system', 'spillway-system'],
      },
    ]);
    expect(hook(WEBHOOK_NAME_UNLABELLED)?.clientConfig).toEqual(hook(WEBHOOK_NAME)?.clientConfig);
  });

  it('can be told to let pods through ungated instead (Ignore)', () => {
    const ignore = webhookConfiguration('x', { url: 'https://h/mutate' }, 'CA', [], 'Ignore');
    expect(ignore.webhooks?.map((w) => w.failurePolicy)).toEqual(['Ignore', 'Ignore']);
  });
});

describe('the namespace label', () => {
  it('is added where policies are, removed where none are left, and left alone otherwise', () => {
    expect(namespaceLabelPatch(undefined, true)).toEqual({
      metadata: { labels: { [NAMESPACE_LABEL]: 'true' } },
    });
    expect(namespaceLabelPatch({ [NAMESPACE_LABEL]: 'yes' }, true)).toEqual({
      metadata: { labels: { [NAMESPACE_LABEL]: 'true' } },
    });
    expect(namespaceLabelPatch({ [NAMESPACE_LABEL]: 'true' }, false)).toEqual({
      metadata: { labels: { [NAMESPACE_LABEL]: null } },
    });
    expect(namespaceLabelPatch({ [NAMESPACE_LABEL]: 'true', team: 'a' }, true)).toBeUndefined();
    expect(namespaceLabelPatch({ team: 'a' }, false)).toBeUndefined();
  });
});
