import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import {
  apiErrorSummary,
  classifyError,
  namespaceTerminating,
  statusCode,
} from '../../../src/runtime/api-errors.js';
import { errorMessage } from '../../../src/runtime/logger.js';

// What a member API server answers when a copy is refused, as client-node 1.x throws it.
const body = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message:
    'deployments.apps "web" is forbidden: User "system:serviceaccount:spillway-system:member" cannot patch resource "deployments" in API group "apps" in the namespace "apps"',
  reason: 'Forbidden',
  details: { name: 'web', group: 'apps', kind: 'deployments' },
  code: 403,
});
const headers = {
  'audit-id': '1d2c3b4a-0000-4000-8000-000000000000',
  'cache-control': 'no-cache, private',
  'content-type': 'application/json',
  'x-kubernetes-pf-flowschema-uid': 'f0f0f0f0-0000-4000-8000-000000000000',
  'x-kubernetes-pf-prioritylevel-uid': 'e0e0e0e0-0000-4000-8000-000000000000',
  date: 'Tue, 01 Dec 2026 21:00:00 GMT',
};

describe('API errors told briefly', () => {
  it('keeps the status code, reason and API message, on one line, without body or headers', () => {
    const err = new ApiException(403, 'Unsuccessful HTTP Request', body, headers);
    expect(err.message.length).toBeGreaterThan(700);
    const brief = errorMessage(err);
    expect(brief).toBe(
      '403 Forbidden: deployments.apps "web" is forbidden: User "system:serviceaccount:spillway-system:member" cannot patch resource "deployments" in API group "apps" in the namespace "apps"',
    );
    expect(brief).not.toMatch(/audit-id|Headers|Body|\n/);
    expect(statusCode(err)).toBe(403);
  });

  it('reads a parsed Status body too, and falls back to the client word without one', () => {
    expect(
      apiErrorSummary(
        new ApiException(404, 'x', { reason: 'NotFound', message: 'nodes "a" not found' }, {}),
      ),
    ).toBe('404 NotFound: nodes "a" not found');
    expect(apiErrorSummary(new ApiException(401, 'Unauthorized', undefined, headers))).toBe(
      '401: Unauthorized',
    );
  });

  it('leaves other errors as they are, on one line', () => {
    expect(apiErrorSummary(new Error('boom'))).toBeUndefined();
    expect(errorMessage(new Error('connect ECONNREFUSED\n  127.0.0.1:6443'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:6443',
    );
  });
});

describe('a create in a namespace being deleted', () => {
  const terminating = (code: number) =>
    new ApiException(
      code,
      'x',
      {
        reason: 'Forbidden',
        message:
          'resourcebindings.fleet.spillway.dev "web" is forbidden: unable to create new content in namespace shop because it is being terminated',
      },
      {},
    );
  it('is told apart from other refusals', () => {
    expect(namespaceTerminating(terminating(403))).toBe(true);
    expect(namespaceTerminating(terminating(409))).toBe(false);
    expect(
      namespaceTerminating(
        new ApiException(403, 'x', { reason: 'Forbidden', message: 'RBAC: denied' }, {}),
      ),
    ).toBe(false);
    expect(namespaceTerminating(new Error('because it is being terminated'))).toBe(false);
  });
});

describe('classifyError: what the work queue does with a reconcile that threw', () => {
  const api = (code: number, message: string) =>
    new ApiException(code, 'x', { reason: 'r', message }, {});
  it.each([
    [
      'a binding create in a namespace being deleted',
      api(
        403,
        'resourcebindings.fleet.spillway.dev "web" is forbidden: unable to create new content in namespace shop because it is being terminated',
      ),
      'namespaceTerminating',
    ],
    [
      'an Event create in a namespace being deleted',
      api(
        403,
        'events "web.1" is forbidden: unable to create new content in namespace shop because it is being terminated',
      ),
      'namespaceTerminating',
    ],
    ['a stale resourceVersion', api(409, 'the object has been modified'), 'conflict'],
    ['an RBAC refusal', api(403, 'RBAC: denied'), 'failure'],
    ['a server error', api(500, 'etcdserver: request timed out'), 'failure'],
    ['a network error', new Error('connect ECONNREFUSED 127.0.0.1:6443'), 'failure'],
  ])('%s: %s', (_name, err, want) => {
    expect(classifyError(err)).toBe(want);
  });
});
