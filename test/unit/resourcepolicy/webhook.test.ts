import { describe, expect, it } from '@jest/globals';
import { gateDecision } from '../../../src/resourcepolicy/gate.js';
import { review } from '../../../src/resourcepolicy/webhook.js';
import { pod } from './helpers.js';

const policies = [{ name: 'web', namespace: 'ns', createdMs: 0, selector: { app: 'web' } }];
const decode = (patch: string | undefined) =>
  JSON.parse(Buffer.from(patch ?? '', 'base64').toString('utf8')) as unknown;

describe('the webhook', () => {
  it('gates a selected pod, appending to gates it already has', () => {
    expect(gateDecision(pod('p'), 'ns', policies).patch).toEqual([
      {
        op: 'add',
        path: '/spec/schedulingGates',
        value: [{ name: 'scheduling.alibabacloud.com/resource-policy' }],
      },
    ]);
    const other = pod('p');
    const withGate = { ...other, spec: { ...other.spec, schedulingGates: [{ name: 'x' }] } };
    expect(gateDecision(withGate, 'ns', policies).patch).toEqual([
      {
        op: 'add',
        path: '/spec/schedulingGates/-',
        value: { name: 'scheduling.alibabacloud.com/resource-policy' },
      },
    ]);
  });

  it('leaves alone pods no policy selects, pods of other namespaces, bound and gated ones', () => {
    expect(gateDecision(pod('p', { labels: { app: 'db' } }), 'ns', policies).patch).toEqual([]);
    expect(gateDecision(pod('p'), 'other', policies).patch).toEqual([]);
    expect(gateDecision(pod('p', { nodeName: 'a-0' }), 'ns', policies).patch).toEqual([]);
    expect(gateDecision(pod('p', { gated: true }), 'ns', policies).patch).toEqual([]);
  });

  it('answers an AdmissionReview with a base64 JSON patch, and allows anything it does not know', async () => {
    const body = {
      request: {
        uid: 'u1',
        kind: { kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'ns',
        object: pod('p'),
      },
    };
    const out = await review(body, () => policies);
    expect(out.result).toBe('gated');
    expect(out.response.response).toMatchObject({
      uid: 'u1',
      allowed: true,
      patchType: 'JSONPatch',
    });
    expect(decode(out.response.response.patch)).toHaveLength(1);
    for (const odd of [
      null,
      {},
      { request: { uid: 'u2', kind: { kind: 'Service' }, operation: 'CREATE' } },
    ]) {
      const r = await review(odd, () => policies);
      expect(r.result).toBe('skipped');
      expect(r.response.response.allowed).toBe(true);
      expect(r.response.response.patch).toBeUndefined();
    }
  });

  it('uses the unit decided at admission, never for a dry run, and gates when deciding fails', async () => {
    const body = (dryRun: boolean) => ({
      request: {
        uid: 'u1',
        kind: { kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'ns',
        dryRun,
        object: pod('p'),
      },
    });
    const asked: string[] = [];
    const direct = [{ op: 'add' as const, path: '/spec/nodeSelector', value: { pool: 'a' } }];
    const decide = (_pod: unknown, _ns: string, token: string) => {
      asked.push(token);
      return direct;
    };
    const real = await review(body(false), () => policies, decide);
    expect(real.result).toBe('assigned');
    expect(decode(real.response.response.patch)).toEqual(direct);
    expect(asked).toEqual(['u1']);
    // A dry run shows the gate and holds no place: the decision is not even asked.
    const dry = await review(body(true), () => policies, decide);
    expect(dry.result).toBe('gated');
    expect(asked).toEqual(['u1']);
    const failing = await review(
      body(false),
      () => policies,
      () => {
        throw new Error('boom');
      },
    );
    expect(failing.result).toBe('gated');
    expect(decode(failing.response.response.patch)).toEqual([
      {
        op: 'add',
        path: '/spec/schedulingGates',
        value: [{ name: 'scheduling.alibabacloud.com/resource-policy' }],
      },
    ]);
    // Undecided: the gate, as before.
    const undecided = await review(
      body(false),
      () => policies,
      () => undefined,
    );
    expect(undecided.result).toBe('gated');
    // A decision that takes a moment (held places to be seen) is awaited.
    const later = await review(
      body(false),
      () => policies,
      () => Promise.resolve(direct),
    );
    expect(later.result).toBe('assigned');
    const laterGate = await review(
      body(false),
      () => policies,
      () => Promise.resolve(undefined),
    );
    expect(laterGate.result).toBe('gated');
    const rejected = await review(
      body(false),
      () => policies,
      () => Promise.reject(new Error('x')),
    );
    expect(rejected.result).toBe('gated');
  });
});
