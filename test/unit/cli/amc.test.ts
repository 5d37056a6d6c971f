import { describe, expect, it } from '@jest/globals';
import {
  age,
  byClusterThenName,
  nodeTable,
  podTable,
  type PodRow,
} from '../../../src/cli/amc/format.js';
import { parseArgs } from '../../../src/cli/kubectl-amc.js';

const now = Date.parse('2026-11-23T12:00:00Z');

describe('kubectl amc', () => {
  it('parses the seed commands', () => {
    expect(parseArgs(['get', 'pod', '-ntest', '-M'])).toMatchObject({
      verb: 'get',
      resource: 'pod',
      namespace: 'test',
      multi: true,
    });
    expect(parseArgs(['get', 'pod', '-n', 'test', '-M', '-o', 'wide'])).toMatchObject({
      namespace: 'test',
      output: 'wide',
    });
    expect(parseArgs(['get', 'node', '-M', '--output=json', '--kubeconfig', '/x'])).toMatchObject({
      resource: 'node',
      output: 'json',
      kubeconfig: '/x',
      multi: true,
    });
    expect(parseArgs(['get', 'pods', 'qwen3-abc', '-A', '-l', 'app=qwen3'])).toMatchObject({
      name: 'qwen3-abc',
      allNamespaces: true,
      selector: 'app=qwen3',
      multi: false,
    });
  });

  it('prints kubectl ages', () => {
    expect(age(now - 33_000, now)).toBe('33s');
    expect(age(now - 18 * 60_000, now)).toBe('18m');
    expect(age(now - (3 * 60 + 14) * 60_000, now)).toBe('3h14m');
    expect(age(now - 18 * 3_600_000, now)).toBe('18h');
  });

  it('prints pods with CLUSTER and CLUSTER_ALIAS columns, wide with ADOPTION', () => {
    const row: PodRow = {
      name: 'qwen3-5665b88779-7kx2p',
      cluster: 'c043a9b5e2c1',
      alias: 'cluster-bj-demo',
      readyContainers: 0,
      containers: 1,
      status: 'Pending',
      restarts: 0,
      createdMs: now - 33_000,
      adopted: false,
    };
    const short = podTable([row], false, now).split('\n');
    expect(short[0]).toMatch(/^NAME\s+CLUSTER\s+CLUSTER_ALIAS\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(short[1]).toMatch(
      /^qwen3-5665b88779-7kx2p\s+c043a9b5e2c1\s+cluster-bj-demo\s+0\/1\s+Pending\s+0\s+33s$/,
    );
    const wide = podTable([row], true, now).split('\n');
    expect(wide[0]).toMatch(/IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\s+ADOPTION$/);
    expect(wide[1]).toMatch(/<none>\s+<none>\s+<none>\s+<none>\s+N$/);
  });

  it('prints a NAMESPACE column first with -A, as kubectl get -A does', () => {
    const pod = (namespace: string, name: string): PodRow => ({
      namespace,
      name,
      cluster: 'c043a9b5e2c1',
      alias: 'cluster-bj-demo',
      readyContainers: 1,
      containers: 1,
      status: 'Running',
      restarts: 0,
      createdMs: now - 33_000,
      adopted: false,
    });
    const rows = [pod('test', 'b'), pod('apps', 'a')].sort(byClusterThenName);
    const out = podTable(rows, false, now, true).split('\n');
    expect(out[0]).toMatch(/^NAMESPACE\s+NAME\s+CLUSTER\s+CLUSTER_ALIAS\s+READY/);
    expect(out[1]).toMatch(/^apps\s+a\s+c043a9b5e2c1/);
    expect(out[2]).toMatch(/^test\s+b\s+c043a9b5e2c1/);
  });

  it('prints nodes with the seed columns', () => {
    const out = nodeTable(
      [
        {
          name: 'bj-gpu-elastic-1a2b3c',
          cluster: 'c043a9b5e2c1',
          alias: 'cluster-bj-demo',
          status: 'NotReady',
          roles: '<none>',
          createdMs: now - 20_000,
          version: '',
          adopted: false,
        },
      ],
      false,
      now,
    );
    expect(out.split('\n')[0]).toMatch(
      /^NAME\s+CLUSTER\s+CLUSTER_ALIAS\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+ADOPTION$/,
    );
    expect(out.split('\n')[1]).toMatch(
      /^bj-gpu-elastic-1a2b3c\s+c043a9b5e2c1\s+cluster-bj-demo\s+NotReady\s+<none>\s+20s\s+N$/,
    );
  });
});
