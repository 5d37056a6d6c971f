import { describe, expect, it } from '@jest/globals';
import { parseDurationMs } from '../../../src/resourcepolicy/duration.js';
import { readPolicy } from '../../../src/resourcepolicy/spec.js';
import { policyOf } from './helpers.js';

describe('readPolicy', () => {
  it('applies the seed defaults to a policy that skipped API defaulting', () => {
    const p = policyOf({});
    expect(p).toMatchObject({
      preemptPolicy: 'AfterAllUnits',
      ignorePreviousPod: false,
      ignoreTerminatingPod: true,
      tryNext: 'LackResourceOrExceedMax',
      timeoutMs: 15 * 60_000,
      matchLabelKeys: [],
      selector: {},
    });
  });

  it('keeps the wait-for-scaling label out of podLabels and marks the unit as waiting', () => {
    const p = policyOf({
      units: [
        {
          resource: 'ecs',
          podLabels: { 'k8s.aliyun.com/resource-policy-wait-for-ecs-scaling': 'true', tier: 'x' },
        },
        { resource: 'elastic' },
        { resource: 'eci' },
      ],
    });
    expect(p.units.map((u) => [u.podLabels, u.waitForScaling, u.virtual])).toEqual([
      [{ tier: 'x' }, true, false],
      [{}, true, false],
      [{}, false, true],
    ]);
  });

  it('warns about the deprecated elastic resource and a waiting unit with max', () => {
    const r = readPolicy({
      apiVersion: 'scheduling.alibabacloud.com/v1alpha1',
      kind: 'ResourcePolicy',
      metadata: { name: 'x', namespace: 'n' },
      spec: { units: [{ resource: 'elastic', max: 3 }] },
    });
    expect(r.policy).toBeDefined();
    expect(r.warnings.join('\n')).toMatch(/elastic is deprecated/);
    expect(r.warnings.join('\n')).toMatch(/leave max unset/);
  });

  it.each([
    [{ strategy: 'spread' }, /only strategy is prefer/],
    [{ selector: { 'alibabacloud.com/compute-class': 'x' } }, /system-reserved label/],
    [{ matchLabelKeys: ['pod-template-hash'] }, /matchLabelKeys must be used with max/],
    [{ ignorePreviousPod: true }, /ignorePreviousPod must be used with max/],
    [{ whenTryNextUnits: { timeout: 'soon' } }, /invalid duration "soon"/],
    [{ units: [] }, /at least one unit/],
    // Issue 11 item 13: a negative limit made the unit refuse every pod while Ready=True.
    [{ units: [{ resource: 'ecs', maxResources: { cpu: '-1' } }] }, /cpu: must not be negative/],
    [
      { units: [{ resource: 'ecs', maxResources: { memory: -5 } }] },
      /memory: must not be negative/,
    ],
    // Beyond Go's largest duration, as time.ParseDuration and the CRD's CEL duration() refuse.
    [{ whenTryNextUnits: { timeout: '3000000h' } }, /out of range/],
  ])('rejects what the schema would have rejected: %j', (spec, message) => {
    const r = readPolicy({
      apiVersion: 'scheduling.alibabacloud.com/v1alpha1',
      kind: 'ResourcePolicy',
      metadata: { name: 'x', namespace: 'n' },
      spec: { units: [{ resource: 'ecs' }], ...spec } as never,
    });
    expect(r.policy).toBeUndefined();
    expect(r.errors.join('\n')).toMatch(message);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['1m', 60_000],
    ['15m', 900_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    // Issue 11 item 8: long timeouts are accepted and kept exact.
    ['1000h', 3_600_000_000],
    ['2562047h', 9_223_369_200_000],
  ])('%s is %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', 'm', '5 min', '1x'])('rejects %j', (text) =>
    expect(() => parseDurationMs(text)).toThrow(/invalid duration/),
  );
});
