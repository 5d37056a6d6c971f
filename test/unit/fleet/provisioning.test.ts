import { describe, expect, it } from '@jest/globals';
import {
  CONSUME_ANNOTATION,
  consumeAnnotations,
  decideRequest,
  podTemplateManifest,
  provisioningName,
  provisioningRequestManifest,
  requestState,
  type ProvisioningAsk,
} from '../../../src/fleet/provisioning.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const ask: ProvisioningAsk = {
  namespace: 'test',
  bindingName: 'qwen3-deployment',
  podSpec: { containers: [] },
  podLabels: {},
  count: 2,
  className: 'best-effort-atomic-scale-up.autoscaling.x-k8s.io',
};

describe('provisioning requests', () => {
  it('names one request per binding, whatever the count, so pods can name it for good', () => {
    expect(provisioningName('qwen3-deployment')).toBe('qwen3-deployment-capacity');
    const pr = provisioningRequestManifest({ ...ask, count: 5 }) as {
      metadata: { name: string };
      spec: { podSets: { count: number; podTemplateRef: { name: string } }[] };
    };
    expect(pr.metadata.name).toBe(provisioningName(ask.bindingName));
    expect(pr.spec.podSets).toEqual([
      { podTemplateRef: { name: 'qwen3-deployment-capacity' }, count: 5 },
    ]);
    expect(consumeAnnotations(ask.bindingName, ask.className)[CONSUME_ANNOTATION]).toBe(
      pr.metadata.name,
    );
  });

  it('keeps names and label values valid for a 253-character workload', () => {
    const long = { ...ask, bindingName: `${'w'.repeat(253)}-deployment` };
    const pt = podTemplateManifest(long) as {
      metadata: { name: string; labels: Record<string, string> };
    };
    expect(pt.metadata.name.length).toBeLessThanOrEqual(253);
    for (const v of Object.values(pt.metadata.labels)) {
      expect(v.length).toBeLessThanOrEqual(63);
      expect(v).toMatch(LABEL_VALUE);
    }
  });

  it.each([
    [undefined, 0, 'none'],
    [undefined, 3, 'create'],
    [2, 0, 'delete'],
    [3, 2, 'none'], // a smaller need keeps the request: never a second one for the same pods
    [3, 3, 'none'],
    [2, 3, 'recreate'], // a larger one asks again under the same name
  ] as const)('request for %s, %s waiting: %s', (count, want, action) => {
    const existing = count === undefined ? undefined : { count, conditions: [] };
    expect(decideRequest(existing, want)).toBe(action);
  });

  it('reads the autoscaler’s answer', () => {
    expect(requestState({ count: 1, conditions: [] }).phase).toBe('pending');
    expect(
      requestState({ count: 1, conditions: [{ type: 'Provisioned', status: 'True' }] }).phase,
    ).toBe('provisioned');
    expect(
      requestState({
        count: 1,
        conditions: [
          { type: 'Accepted', status: 'True' },
          {
            type: 'Provisioned',
            status: 'False',
            reason: 'CapacityLimitReached',
            message: 'pool gpu would exceed its max',
          },
        ],
      }),
    ).toEqual({
      phase: 'failed',
      reason: 'CapacityLimitReached',
      message: 'pool gpu would exceed its max',
    });
    expect(
      requestState({
        count: 1,
        conditions: [{ type: 'Failed', status: 'True', reason: 'PodTemplateNotFound' }],
      }).phase,
    ).toBe('failed');
  });
});
