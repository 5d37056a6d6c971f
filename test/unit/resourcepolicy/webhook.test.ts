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

  it('answers an AdmissionReview with a base64 JSON patch, and allows anything it does not know', () => {
    const body = {
      request: {
        uid: 'u1',
        kind: { kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'ns',
        object: pod('p'),
      },
    };
    const out = review(body, () => policies);
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
      const r = review(odd, () => policies);
      expect(r.result).toBe('skipped');
      expect(r.response.response.allowed).toBe(true);
      expect(r.response.response.patch).toBeUndefined();
    }
  });
});
