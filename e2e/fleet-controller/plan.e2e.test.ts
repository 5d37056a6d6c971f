/**
 * `kubectl amc plan` on the demo fleet: with 2 replicas running in cluster-idc-demo (full), a
 * plan for 4 says 2 would spill to cluster-bj-demo and wait there, with nodes requested; the plan
 * writes nothing (every resourceVersion stays); scaling for real then gives exactly the planned
 * split. `--policy FILE` plans with a policy not applied yet; bad input fails clearly.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { FLEET_GROUP, FLEET_VERSION, type ResourceBinding } from '../../src/api/fleet.js';
import type { Plan } from '../../src/cli/amc/plan.js';
import { planCommand } from '../../src/cli/amc/plan-command.js';
import { parseArgs } from '../../src/cli/kubectl-amc.js';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { REPO_ROOT } from '../fleet/tools.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { clients, isRunning, podsOf } from '../support/kube.js';
import { SEED_DEMO, kubectl, seedPolicy } from '../support/spillway.js';

const fleet = useFleet('plan', 'demo.yaml', { idleSeconds: 30, scaleUpDelaySeconds: 8 });
useFleetController(fleet);

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubConfig = () => hub(fleet.state).kubeconfigPath;

/** The plugin as a user runs it: its own process, against the hub's kubeconfig. */
function amcProcess(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'kubectl-amc.ts'), ...args],
    { encoding: 'utf8', env: { ...process.env, KUBECONFIG: hubConfig() }, cwd: REPO_ROOT },
  );
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The same command in this process (starting the plugin costs seconds each time). */
async function amc(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await planCommand(parseArgs([...args, '--kubeconfig', hubConfig()]), {
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err };
}

async function planOf(args: string[]): Promise<Plan> {
  const r = await amc([...args, '-o', 'json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as Plan;
}

/** The first YAML document: the seed's Deployment policy. */
const firstDoc = (text: string): string => text.split('\n---\n')[0] ?? '';

const split = (rows: readonly { cluster: string; planned: number; waiting: number }[]) =>
  Object.fromEntries(
    rows.filter((r) => r.planned > 0).map((r) => [r.cluster, [r.planned, r.waiting]]),
  );

async function binding(): Promise<ResourceBinding> {
  return (await kubeConfigFor(hub(fleet.state))
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({
      group: FLEET_GROUP,
      version: FLEET_VERSION,
      namespace: 'test',
      plural: 'resourcebindings',
      name: 'qwen3-deployment',
    })) as ResourceBinding;
}

/** resourceVersions of everything a plan could touch: hub objects and both members' objects. */
async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const hubKc = kubeConfigFor(hub(fleet.state));
  const custom = hubKc.makeApiClient(CustomObjectsApi);
  const hubDeploy = await hubKc
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: 'qwen3', namespace: 'test' });
  out['hub deployment'] = hubDeploy.metadata?.resourceVersion ?? '';
  out['hub binding'] = (await binding()).metadata.resourceVersion ?? '';
  for (const plural of ['propagationpolicies']) {
    const list = (await custom.listNamespacedCustomObject({
      group: 'policy.one.alibabacloud.com',
      version: 'v1alpha1',
      namespace: 'test',
      plural,
    })) as { items: { metadata: { name: string; resourceVersion: string } }[] };
    for (const p of list.items)
      out[`hub ${plural}/${p.metadata.name}`] = p.metadata.resourceVersion;
  }
  for (const m of [idc(), bj()]) {
    const kc = kubeConfigFor(m);
    const deploys = await kc
      .makeApiClient(AppsV1Api)
      .listNamespacedDeployment({ namespace: 'test' });
    for (const d of deploys.items)
      out[`${m.alias} deployment/${d.metadata?.name}`] = d.metadata?.resourceVersion ?? '';
    const prs = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'autoscaling.x-k8s.io',
      version: 'v1',
      namespace: 'test',
      plural: 'provisioningrequests',
    })) as { items: { metadata: { name: string; resourceVersion: string } }[] };
    for (const pr of prs.items)
      out[`${m.alias} provisioningrequest/${pr.metadata.name}`] = pr.metadata.resourceVersion;
    out[`${m.alias} provisioningrequests`] = String(prs.items.length);
  }
  return out;
}

describe('kubectl amc plan', () => {
  it('the seed demo runs its 2 replicas in cluster-idc-demo', async () => {
    kubectl(hubConfig(), ['create', 'ns', 'test']);
    kubectl(hubConfig(), ['apply', '-f', SEED_DEMO]);
    kubectl(hubConfig(), ['apply', '-f', '-'], seedPolicy(idc().name, bj().name));
    await waitFor('2 Running qwen3 pods in cluster-idc-demo', 90_000, async () => {
      const pods = (await podsOf(clients(kubeConfigFor(idc())).core, 'test', 'qwen3')).filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
      return pods.length === 2 && pods.every(isRunning);
    });
    await waitFor('the binding gives cluster-idc-demo 2', 30_000, async () => {
      const b = await binding();
      return b.spec.clusters?.length === 1 && b.spec.clusters[0]?.replicas === 2;
    });
  }, 180_000);

  let planned: Plan | undefined;
  it('plans 4: 2 stay in the IDC, 2 spill to the cloud and wait there for requested nodes; nothing changes', async () => {
    // Once the controller has nothing left to write (status settled), nothing may change.
    let before: Record<string, string> = {};
    await waitFor(
      'the hub objects to settle',
      60_000,
      async () => {
        const now = await versions();
        const same = JSON.stringify(now) === JSON.stringify(before);
        before = now;
        return same;
      },
      3000,
    );
    planned = await planOf(['plan', 'deploy/qwen3', '-n', 'test', '--replicas', '4']);
    expect(planned.fromReplicas).toBe(2);
    expect(split(planned.clusters)).toEqual({
      [idc().name]: [2, 0],
      [bj().name]: [2, 2],
    });
    expect(planned.clusters.find((c) => c.cluster === bj().name)?.provision).toBe(2);
    expect(planned.clusters.find((c) => c.cluster === idc().name)?.room).toBe(0);

    const text = amcProcess(['plan', 'deploy/qwen3', '-n', 'test', '--replicas=4']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^Plan for deployment\/qwen3 in namespace test: 2 -> 4 replicas/);
    expect(text.out).toContain('2 would wait for capacity');
    expect(text.out).toContain(
      `Nodes would be requested (ProvisioningRequest) in ${bj().name} for 2 replicas.`,
    );
    expect(text.out).toMatch(/group ack: \+2 waiting for capacity/);

    // --policy: the same workload under a policy not applied yet (the cloud group first).
    const file = join(fleet.state.stateDir, 'cloud-first.yaml');
    writeFileSync(
      file,
      firstDoc(seedPolicy(bj().name, idc().name)).replace(
        'name: vllm-deploy-pp',
        'name: cloud-first',
      ),
    );
    const tried = await planOf([
      'plan',
      'deploy/qwen3',
      '-n',
      'test',
      '--replicas',
      '4',
      '--policy',
      file,
    ]);
    expect(tried.policy).toBe('PropagationPolicy test/cloud-first');
    // The cloud has no room and the IDC is the last group now: the 2 new replicas wait there,
    // where no nodes can be requested.
    expect(split(tried.clusters)).toEqual({ [idc().name]: [4, 2] });
    expect(tried.clusters.every((c) => c.provision === 0)).toBe(true);

    expect(await versions()).toEqual(before);
  }, 120_000);

  it('scaling to 4 for real gives the planned split', async () => {
    kubectl(hubConfig(), ['scale', 'deploy', 'qwen3', '-ntest', '--replicas=4']);
    const want = split(planned?.clusters ?? []);
    let got: Record<string, [number, number]> = {};
    await waitFor('the binding holds 4 replicas', 60_000, async () => {
      const b = await binding();
      got = Object.fromEntries(
        (b.spec.clusters ?? []).map((c) => [c.name, [c.replicas ?? 0, c.waitingForCapacity ?? 0]]),
      );
      return Object.values(got).reduce((n, [r]) => n + r, 0) === 4;
    });
    expect(got).toEqual(want);
  }, 90_000);

  it('rejects bad input with a clear error', async () => {
    const missing = await amc(['plan', 'deploy/nope', '-n', 'test', '--replicas', '3']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('deployment "nope" not found in namespace "test" on the hub');

    const negative = await amc(['plan', 'deploy/qwen3', '-n', 'test', '--replicas', '-1']);
    expect(negative.code).toBe(2);
    expect(negative.err).toContain('--replicas must be a whole number');

    const noFile = await amc([
      'plan',
      'deploy/qwen3',
      '-n',
      'test',
      '--policy',
      '/nonexistent.yaml',
    ]);
    expect(noFile.code).toBe(1);
    expect(noFile.err).toContain('cannot read /nonexistent.yaml');

    const bad = join(fleet.state.stateDir, 'bad.yaml');
    writeFileSync(bad, 'kind: PropagationPolicy\napiVersion: [oops');
    const badYaml = await amc(['plan', 'deploy/qwen3', '-n', 'test', '--policy', bad]);
    expect(badYaml.code).toBe(1);
    expect(badYaml.err).toContain(bad);

    const other = join(fleet.state.stateDir, 'other.yaml');
    writeFileSync(
      other,
      firstDoc(seedPolicy(idc().name, bj().name)).replace(
        'kind: Deployment\n    namespace: test',
        'kind: Deployment\n    name: other',
      ),
    );
    const unselected = await amc(['plan', 'deploy/qwen3', '-n', 'test', '--policy', other]);
    expect(unselected.code).toBe(1);
    expect(unselected.err).toContain('no PropagationPolicy or ClusterPropagationPolicy selects');
  }, 60_000);
});
