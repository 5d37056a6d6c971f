/**
 * The Helm charts on real API servers: lint and render with default and non-default values,
 * server-side dry runs, then the rendered RBAC proven sufficient and no broader: each controller
 * runs with its chart ServiceAccount's token and does its job, and access reviews show what it
 * cannot do. The demo fleet stands in for the host clusters (a member as a hub's host, the hub
 * itself for external mode).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { SEED_DEMO, seedPolicy } from '../support/spillway.js';
import { MEMBER_SERVICE_ACCOUNT, registerMember } from '../../src/cli/register-member.js';
import { generateTls } from '../../src/resourcepolicy/certs.js';
import { runFleetController, type FleetController } from '../../src/fleet/controller.js';
import {
  runResourcePolicyController,
  type ResourcePolicyController,
} from '../../src/resourcepolicy/main.js';
import { fileLogger, silentLogger } from '../../src/runtime/logger.js';
import {
  allowed,
  boundClusterRoles,
  helm,
  kubectl,
  renderChart,
  serviceAccountConfig,
  serviceAccountSubject,
  CHARTS,
  VALUES,
  applyWebScenario,
} from './support.js';

const fleet = useFleet('charts', 'demo.yaml');
const NS = 'spillway-system';
const STANDIN_CRDS = join(import.meta.dirname, 'standin-crds.yaml');

const hubPath = () => hub(fleet.state).kubeconfigPath;
const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');

let rpController: ResourcePolicyController | undefined;
let fleetController: FleetController | undefined;
let tlsDir: string | undefined;

/** The namespace the charts install into, enforcing Pod Security "restricted". */
async function systemNamespace(kubeconfig: string): Promise<void> {
  await kubectl(kubeconfig, ['create', 'namespace', NS]).catch(() => '');
  await kubectl(kubeconfig, [
    'label',
    'namespace',
    NS,
    '--overwrite',
    'pod-security.kubernetes.io/enforce=restricted',
  ]);
}

beforeAll(async () => {
  for (const m of [idc(), bj()]) {
    await systemNamespace(m.kubeconfigPath);
    await kubectl(m.kubeconfigPath, ['apply', '--server-side', '-f', STANDIN_CRDS]);
    await kubectl(m.kubeconfigPath, ['wait', '--for=condition=Established', 'crd', '--all']);
  }
  await systemNamespace(hubPath());
}, 120_000);

afterAll(async () => {
  await fleetController?.stop();
  await rpController?.stop();
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
}, 60_000);

const CASES: {
  chart: string;
  values: string[];
  extra?: string[];
  cluster: 'idc' | 'bj' | 'hub';
}[] = [
  { chart: 'spillway-member', values: [], cluster: 'idc' },
  { chart: 'spillway-member', values: ['member-custom.yaml'], cluster: 'idc' },
  { chart: 'spillway-member', values: ['member-secret-tls.yaml'], cluster: 'idc' },
  // tls.source auto picks cert-manager when the cluster serves it.
  {
    chart: 'spillway-member',
    values: [],
    extra: ['--api-versions', 'cert-manager.io/v1'],
    cluster: 'idc',
  },
  { chart: 'spillway-hub', values: [], cluster: 'bj' },
  { chart: 'spillway-hub', values: ['hub-custom.yaml'], cluster: 'bj' },
  { chart: 'spillway-hub', values: ['hub-external.yaml'], cluster: 'hub' },
  { chart: 'spillway-hub', values: ['hub-external-kubeconfig.yaml'], cluster: 'bj' },
];
const label = (c: (typeof CASES)[number]) =>
  `${c.chart} ${c.values.join(',') || 'defaults'}${c.extra ? ` ${c.extra.join(' ')}` : ''}`;

describe('helm lint and template', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('helm lint --strict: %s', async (_l, c) => {
    const out = await helm([
      'lint',
      '--strict',
      join(CHARTS, c.chart),
      ...c.values.flatMap((v) => ['--values', join(VALUES, v)]),
    ]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders the production defaults: two replicas, probes, limits, restricted security context', async () => {
    for (const chart of ['spillway-member', 'spillway-hub']) {
      const out = await renderChart(chart);
      expect(out).toMatch(/kind: PodDisruptionBudget/);
      expect(out).toMatch(/--leader-elect=true/);
      expect(out).toMatch(/readOnlyRootFilesystem: true/);
      expect(out).toMatch(/runAsNonRoot: true/);
      expect(out).toMatch(/livenessProbe:/);
      expect(out).toMatch(/readinessProbe:/);
      expect(out).toMatch(/limits:/);
      expect(out).toMatch(/grafana_dashboard: "1"/);
      expect(out).not.toMatch(/cluster-admin/);
    }
    // The hub's kube-controller-manager runs only the controllers a hub of templates needs.
    expect(await renderChart('spillway-hub')).toMatch(
      /--controllers=namespace-controller,garbage-collector-controller,serviceaccount-token-controller/,
    );
  }, 60_000);

  it('rejects an unknown TLS source with a message naming the value', async () => {
    await expect(
      renderChart('spillway-member', { set: ['webhook.tls.source=vault'] }),
    ).rejects.toThrow(/webhook.tls.source must be auto, helm, certManager or secret, not "vault"/);
  });
});

describe('kubectl apply --dry-run=server', () => {
  it.each(CASES.map((c) => [label(c), c] as const))(
    '%s',
    async (_l, c) => {
      const path =
        c.cluster === 'hub' ? hubPath() : (c.cluster === 'idc' ? idc() : bj()).kubeconfigPath;
      const manifest = await renderChart(c.chart, {
        release: c.chart,
        values: c.values,
        ...(c.extra ? { extra: c.extra } : {}),
      });
      const out = await kubectl(path, ['apply', '--dry-run=server', '-f', '-'], manifest);
      const kinds = manifest.match(/^kind: \S+/gm) ?? [];
      // Every rendered object was accepted (kubectl fails the command on the first rejection).
      expect(out.trim().split('\n')).toHaveLength(kinds.length);
      expect(out).toMatch(/\(server dry run\)/);
    },
    60_000,
  );
});

async function gatedPodsPlaced(core: CoreV1Api): Promise<V1Pod[]> {
  const pods = (await core.listNamespacedPod({ namespace: 'rp-test', labelSelector: 'app=web' }))
    .items;
  return pods;
}

describe('spillway-member: the chart ServiceAccount runs the ResourcePolicy controller', () => {
  const sa = serviceAccountSubject(NS, 'spillway-member');
  let admin: KubeConfig;

  beforeAll(async () => {
    admin = kubeConfigFor(idc());
    const manifest = await renderChart('spillway-member', { release: 'spillway-member' });
    await kubectl(idc().kubeconfigPath, ['apply', '--server-side', '-f', '-'], manifest);
  }, 120_000);

  it("the chart's pods are admitted in a namespace enforcing Pod Security restricted", async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await waitFor('2 controller pods created', 60_000, async () => {
      const pods = await core.listNamespacedPod({
        namespace: NS,
        labelSelector: 'app.kubernetes.io/name=spillway-member',
      });
      return pods.items.length === 2;
    });
  }, 90_000);

  it('with only the chart RBAC, pods a ResourcePolicy selects are gated and sent to units in order', async () => {
    // The webhook listens on loopback here, not behind the chart's Service: point the chart's
    // MutatingWebhookConfiguration at it, with a certificate for 127.0.0.1.
    const tls = generateTls(['127.0.0.1']);
    tlsDir = mkdtempSync(join(tmpdir(), 'spillway-chart-tls-'));
    for (const [f, v] of Object.entries({
      'tls.crt': tls.cert,
      'tls.key': tls.key,
      'ca.crt': tls.ca,
    }))
      writeFileSync(join(tlsDir, f), v, { mode: 0o600 });
    rpController = await runResourcePolicyController({
      kubeConfig: await serviceAccountConfig(admin, NS, 'spillway-member'),
      namespace: NS,
      healthPort: 0,
      healthHost: '127.0.0.1',
      webhook: {
        host: '127.0.0.1',
        port: 0,
        tls: {
          certFile: join(tlsDir, 'tls.crt'),
          keyFile: join(tlsDir, 'tls.key'),
          caFile: join(tlsDir, 'ca.crt'),
        },
        endpoint: { url: 'https://127.0.0.1:{port}/mutate' },
        manageConfiguration: false,
      },
      logger: silentLogger(),
    });
    const url = `https://127.0.0.1:${rpController.webhookPort}/mutate`;
    await kubectl(idc().kubeconfigPath, [
      'patch',
      'mutatingwebhookconfiguration',
      'spillway-member',
      '--type=json',
      '-p',
      // Both webhooks (namespaces with policies, and the rest) call the same endpoint.
      JSON.stringify(
        [0, 1].map((i) => ({
          op: 'replace',
          path: `/webhooks/${i}/clientConfig`,
          value: { url, caBundle: Buffer.from(tls.ca).toString('base64') },
        })),
      ),
    ]);
    await waitFor('leader', 30_000, async () => rpController?.isLeader() ?? false);

    await applyWebScenario(idc().kubeconfigPath);
    const core = admin.makeApiClient(CoreV1Api);
    let last: V1Pod[] = [];
    await waitFor('3 web pods bound: 1 in idc-cpu, 2 in idc-gpu', 120_000, async () => {
      last = await gatedPodsPlaced(core);
      const nodes = last.map((p) => p.spec?.nodeName ?? '');
      return (
        last.length === 3 &&
        nodes.filter((n) => n.startsWith('idc-cpu')).length === 1 &&
        nodes.filter((n) => n.startsWith('idc-gpu')).length === 2
      );
    }).catch((err: unknown) => {
      throw new Error(
        `${(err as Error).message}; nodes: ${last.map((p) => p.spec?.nodeName ?? '-').join(',')}`,
        { cause: err },
      );
    });
    // They went through the gate (the controller's decision annotation), not around it.
    for (const p of last) expect(p.spec?.schedulingGates ?? []).toEqual([]);
    // The counts in a policy's status are written at most about once a second: wait for them.
    let counts: (number | undefined)[] | undefined;
    await waitFor('the policy status counting 1 and 2 pods', 15_000, async () => {
      const status = JSON.parse(
        await kubectl(idc().kubeconfigPath, ['-n', 'rp-test', 'get', 'rsp', 'web', '-o', 'json']),
      ) as { status?: { units?: { pods?: number }[] } };
      counts = status.status?.units?.map((u) => u.pods);
      return JSON.stringify(counts) === JSON.stringify([1, 2]);
    }).catch(() => undefined);
    expect(counts).toEqual([1, 2]);
  }, 240_000);

  it('cannot read any Secret, is not cluster-admin, and holds only the chart roles', async () => {
    expect(await allowed(admin, sa, { verb: 'get', resource: 'secrets', namespace: NS })).toBe(
      false,
    );
    expect(
      await allowed(admin, sa, { verb: 'list', resource: 'secrets', namespace: 'default' }),
    ).toBe(false);
    expect(await allowed(admin, sa, { verb: '*', group: '*', resource: '*' })).toBe(false);
    expect(
      await allowed(admin, sa, {
        verb: 'update',
        group: 'admissionregistration.k8s.io',
        resource: 'mutatingwebhookconfigurations',
      }),
    ).toBe(false);
    expect(
      await allowed(admin, sa, { verb: 'create', resource: 'pods', namespace: 'rp-test' }),
    ).toBe(false);
    // Events: the recorder creates one and patches its count on repeats, nothing more.
    for (const verb of ['create', 'patch'])
      expect(await allowed(admin, sa, { verb, resource: 'events', namespace: 'rp-test' })).toBe(
        true,
      );
    for (const verb of ['get', 'update', 'delete'])
      expect(await allowed(admin, sa, { verb, resource: 'events', namespace: 'rp-test' })).toBe(
        false,
      );
    expect(
      await boundClusterRoles(
        admin,
        (s) => s.kind === 'ServiceAccount' && s.name === 'spillway-member' && s.namespace === NS,
      ),
    ).toEqual(['ClusterRole/spillway-member', 'Role/spillway-member-leader-election']);
  });
});

describe('spillway-hub and register-member: the fleet controller with only the identities they create', () => {
  let admin: KubeConfig;

  beforeAll(async () => {
    admin = kubeConfigFor(hub(fleet.state));
    // external mode: the chart installed into the hub itself (CRDs from its crds/).
    const manifest = await renderChart('spillway-hub', {
      release: 'spillway-hub',
      values: ['hub-external.yaml'],
    });
    await kubectl(hubPath(), ['apply', '--server-side', '-f', '-'], manifest);
    await kubectl(hubPath(), ['wait', '--for=condition=Established', 'crd', '--all']);
    // Each member registered as the operations guide says, with its least-privilege identity.
    for (const m of [idc(), bj()]) {
      const spec = fleet.state.topology.members.find((t) => t.id === m.name);
      await registerMember({
        hub: admin,
        member: kubeConfigFor(m),
        name: m.name,
        alias: m.alias,
        labels: spec?.labels ?? {},
        provisioning: spec?.provisioning ?? false,
        hubNamespace: NS,
      });
    }
  }, 120_000);

  it('with only the chart RBAC, the seed walkthrough step 1 runs: 2 replicas in the IDC cluster', async () => {
    fleetController = await runFleetController({
      hub: await serviceAccountConfig(admin, NS, 'spillway-hub-fleet-controller'),
      namespace: NS,
      logger: fileLogger(
        'fleet-controller',
        join(fleet.state.stateDir, 'logs', 'fleet-controller.log'),
      ),
      recheckMs: 1000,
      probeIntervalMs: 2000,
    });
    await waitFor('leader', 30_000, async () => fleetController?.isLeader() ?? false);
    await kubectl(hubPath(), ['create', 'namespace', 'test']);
    await kubectl(hubPath(), ['apply', '-f', SEED_DEMO]);
    await kubectl(hubPath(), ['apply', '-f', '-'], seedPolicy(idc().name, bj().name));
    const memberCore = kubeConfigFor(idc()).makeApiClient(CoreV1Api);
    await waitFor('2 Running qwen3 pods in cluster-idc-demo', 120_000, async () => {
      const pods = await memberCore.listNamespacedPod({
        namespace: 'test',
        labelSelector: 'app=qwen3',
      });
      return pods.items.filter((p) => p.status?.phase === 'Running').length === 2;
    });
    // The hub Deployment's status is written back (deployments/status).
    await waitFor('hub Deployment 2/2', 60_000, async () => {
      const d = JSON.parse(
        await kubectl(hubPath(), ['-n', 'test', 'get', 'deploy', 'qwen3', '-o', 'json']),
      ) as { status?: { readyReplicas?: number } };
      return d.status?.readyReplicas === 2;
    });
    // MemberCluster status (memberclusters/status) and policy status are written too.
    // The leader writes it (a standby never does), at once when it takes the lease.
    const memberReady = async () => {
      const mc = JSON.parse(await kubectl(hubPath(), ['get', 'mc', idc().name, '-o', 'json'])) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      return mc.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    };
    await waitFor('MemberCluster Ready', 30_000, async () => (await memberReady()) === 'True');
    expect(await memberReady()).toBe('True');
  }, 240_000);

  it('reads Secrets only in its namespace, is not cluster-admin, holds only the chart roles', async () => {
    const sa = serviceAccountSubject(NS, 'spillway-hub-fleet-controller');
    expect(await allowed(admin, sa, { verb: 'get', resource: 'secrets', namespace: NS })).toBe(
      true,
    );
    expect(await allowed(admin, sa, { verb: 'get', resource: 'secrets', namespace: 'test' })).toBe(
      false,
    );
    expect(await allowed(admin, sa, { verb: 'list', resource: 'secrets', namespace: NS })).toBe(
      false,
    );
    expect(await allowed(admin, sa, { verb: '*', group: '*', resource: '*' })).toBe(false);
    expect(
      await allowed(admin, sa, {
        verb: 'delete',
        group: 'apps',
        resource: 'deployments',
        namespace: 'test',
      }),
    ).toBe(false);
    for (const verb of ['create', 'patch'])
      expect(await allowed(admin, sa, { verb, resource: 'events', namespace: 'test' })).toBe(true);
    for (const verb of ['get', 'update', 'delete'])
      expect(await allowed(admin, sa, { verb, resource: 'events', namespace: 'test' })).toBe(false);
    expect(
      await boundClusterRoles(
        admin,
        (s) =>
          s.kind === 'ServiceAccount' &&
          s.name === 'spillway-hub-fleet-controller' &&
          s.namespace === NS,
      ),
    ).toEqual(['ClusterRole/spillway-hub-fleet-controller', 'Role/spillway-hub-fleet-controller']);
  });

  it('the member identity register-member created cannot read Secrets nor act beyond its copies', async () => {
    const memberAdmin = kubeConfigFor(idc());
    const sa = serviceAccountSubject(NS, MEMBER_SERVICE_ACCOUNT);
    const can = (attrs: Parameters<typeof allowed>[2]) => allowed(memberAdmin, sa, attrs);
    expect(
      await can({ verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'test' }),
    ).toBe(true);
    expect(await can({ verb: 'get', resource: 'secrets', namespace: NS })).toBe(false);
    expect(await can({ verb: 'get', resource: 'secrets', namespace: 'test' })).toBe(false);
    expect(await can({ verb: 'delete', resource: 'nodes' })).toBe(false);
    expect(await can({ verb: '*', group: '*', resource: '*' })).toBe(false);
    // The copies were applied with this identity: their managed fields name no admin.
    const copy = JSON.parse(
      await kubectl(idc().kubeconfigPath, [
        '-n',
        'test',
        'get',
        'deploy',
        'qwen3',
        '-o',
        'json',
        '--show-managed-fields',
      ]),
    ) as { metadata: { managedFields?: { manager?: string }[] } };
    expect(copy.metadata.managedFields?.some((f) => f.manager === 'spillway')).toBe(true);
    expect(
      await boundClusterRoles(
        memberAdmin,
        (s) =>
          s.kind === 'ServiceAccount' && s.name === MEMBER_SERVICE_ACCOUNT && s.namespace === NS,
      ),
    ).toEqual([`ClusterRole/${MEMBER_SERVICE_ACCOUNT}`]);
  });

  it('the RBAC the dedicated hub bootstrap applies grants the same rights to its static-token user', async () => {
    const manifest = await renderChart('spillway-hub', { release: 'spillway-hub' });
    const cm = /name: spillway-hub-bootstrap\n[\s\S]*?\n {2}rbac\.yaml: \|-\n((?: {4}.*\n?)+)/.exec(
      manifest,
    );
    expect(cm?.[1]).toBeDefined();
    const rbac = (cm?.[1] ?? '').replace(/^ {4}/gm, '');
    await kubectl(hubPath(), ['apply', '--server-side', '-f', '-'], rbac);
    const user = { user: 'spillway:fleet-controller', groups: ['system:authenticated'] };
    const can = (attrs: Parameters<typeof allowed>[2]) => allowed(admin, user, attrs);
    expect(
      await can({ verb: 'watch', group: 'fleet.spillway.dev', resource: 'memberclusters' }),
    ).toBe(true);
    expect(
      await can({
        verb: 'patch',
        group: 'apps',
        resource: 'deployments/status',
        namespace: 'test',
      }),
    ).toBe(true);
    expect(
      await can({ verb: 'patch', group: 'batch', resource: 'jobs/status', namespace: 'test' }),
    ).toBe(true);
    expect(await can({ verb: 'get', resource: 'secrets', namespace: NS })).toBe(true);
    expect(await can({ verb: 'get', resource: 'secrets', namespace: 'test' })).toBe(false);
    expect(await can({ verb: '*', group: '*', resource: '*' })).toBe(false);
  });
});
