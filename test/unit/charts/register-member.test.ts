/** What `spillway register-member` grants in a member and writes for the hub. */
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  memberKubeconfig,
  memberObjects,
  memberRules,
  parseResource,
} from '../../../src/cli/register-member.js';

const verbsFor = (group: string, resource: string): string[] =>
  memberRules([{ group: '', resource: 'secrets' }])
    .filter((r) => r.apiGroups?.includes(group) && r.resources?.includes(resource))
    .flatMap((r) => r.verbs);

describe('register-member RBAC', () => {
  it('grants no wildcard and never escalate, bind or impersonate', () => {
    for (const r of memberRules()) {
      expect(r.verbs).not.toContain('*');
      expect(r.resources).not.toContain('*');
      expect(r.apiGroups).not.toContain('*');
      for (const v of ['escalate', 'bind', 'impersonate']) expect(r.verbs).not.toContain(v);
    }
  });

  it('reads Secrets only when asked to propagate them', () => {
    expect(memberRules().some((r) => r.resources?.includes('secrets'))).toBe(false);
    expect(verbsFor('', 'secrets')).toContain('patch');
  });

  it('lets the fleet controller read capacity and apply and delete Deployment copies', () => {
    expect(verbsFor('', 'nodes')).toEqual(['get', 'list', 'watch']);
    expect(verbsFor('apps', 'deployments')).toEqual(
      expect.arrayContaining(['get', 'list', 'watch', 'patch', 'delete']),
    );
    expect(verbsFor('', 'namespaces')).toEqual(['get', 'create']);
  });

  it('binds the ClusterRole to the ServiceAccount and asks for its token Secret', () => {
    const objs = memberObjects('fleet-agent');
    expect(objs.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Secret',
    ]);
    const binding = objs[3] as unknown as { subjects: { namespace: string; name: string }[] };
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'spillway-fleet-member', namespace: 'fleet-agent' },
    ]);
  });
});

describe('register-member inputs and outputs', () => {
  it('parses group/resource and bare core resources', () => {
    expect(parseResource('apps/statefulsets')).toEqual({ group: 'apps', resource: 'statefulsets' });
    expect(parseResource('secrets')).toEqual({ group: '', resource: 'secrets' });
    expect(() => parseResource('Apps/Deployments')).toThrow(/group\/resource/);
  });

  it('writes a kubeconfig with the token, server and CA', () => {
    const kc = parse(
      memberKubeconfig({ name: 'c1', server: 'https://m:6443', caData: 'Q0E=', token: 't0k' }),
    ) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: { token: string } }[];
      'current-context': string;
    };
    expect(kc.clusters[0]?.cluster).toEqual({
      server: 'https://m:6443',
      'certificate-authority-data': 'Q0E=',
    });
    expect(kc.users[0]?.user.token).toBe('t0k');
    expect(kc['current-context']).toBe('c1');
  });
});
