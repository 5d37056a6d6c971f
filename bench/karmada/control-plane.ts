/**
 * Karmada's control plane on the local fleet's hub, beside Spillway, for the side-by-side bench:
 * its CRDs from a Karmada checkout, a CRD standing in for its aggregated Cluster API, its webhook,
 * controller-manager and scheduler as processes, and the fleet's members as Push-mode Clusters.
 *
 * What runs and what does not (found in Karmada's source, v1.18):
 *  - karmada-aggregated-apiserver does not run: it only serves cluster.karmada.io Clusters (and
 *    their proxy), which the controllers reach through the generated client, so a CRD serves them
 *    (clusters.cluster.karmada.io.yaml). Its defaulting is done here: each Cluster gets Karmada's
 *    default resource models, which the scheduler's general estimator uses.
 *  - karmada-webhook runs: its mutating webhook gives every ResourceBinding and Work a permanent
 *    ID label, and the binding controller finds a binding's Works by that label. Without it every
 *    binding's ID is "", so each binding would see the others' Works as its own orphans and delete
 *    them. Its configuration is Karmada's own (artifacts/deploy/webhook-configuration.yaml),
 *    pointed at the webhook on loopback, with a 10 s timeout instead of 3 s.
 *  - No karmada-search, descheduler, scheduler-estimator, metrics-adapter or agent: the scheduler
 *    uses its general estimator (cluster resource summaries), as by default.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { hub, kubeConfigFor, members, REPO_ROOT } from '../../e2e/fleet/index.js';
import { cacheDir } from '../../e2e/fleet/tools.js';
import type { FleetState } from '../../e2e/fleet/index.js';
import { ensurePki, ensureServingCert } from '../../e2e/fleet/pki.js';
import { freePorts } from '../../e2e/fleet/ports.js';
import { startProcess, type ProcessRecord } from '../../e2e/fleet/processes.js';
import { waitFor } from '../../e2e/fleet/readiness.js';
import { clients, ensureNamespace } from '../../e2e/support/kube.js';
import { kubectl } from '../../e2e/support/spillway.js';

export interface KarmadaBinaries {
  version: string;
  dir: string;
}

/** The version key of a checkout, as hack/build-tools.sh derives it. */
export function karmadaVersion(src: string): string | undefined {
  if (process.env.KARMADA_VERSION) return process.env.KARMADA_VERSION;
  try {
    return execFileSync('git', ['-C', src, 'describe', '--tags', '--exact-match'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return /(v\d+\.\d+\.\d+[-.a-z0-9]*)/.exec(basename(src))?.[1];
  }
}

/** Builds (or finds cached) controller-manager, scheduler and webhook from the checkout. */
export function buildKarmada(src: string): KarmadaBinaries {
  execFileSync('nice', ['-n', '10', 'bash', join(REPO_ROOT, 'hack', 'build-tools.sh'), 'karmada'], {
    stdio: 'inherit',
    env: { ...process.env, KARMADA_SRC: src },
  });
  const version = karmadaVersion(src) ?? '';
  return { version, dir: join(cacheDir(), 'bin', `karmada-${version}`) };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
    })
    .sort();
}

/** Karmada's default resource models (what its aggregated API server sets on create). */
function defaultResourceModels(): unknown[] {
  const max = '9223372036854775807';
  const cpu = ['0', '1', '2', '4', '8', '16', '32', '64', '128', max];
  const mem = ['0', '4Gi', '16Gi', '32Gi', '64Gi', '128Gi', '256Gi', '512Gi', '1Ti', max];
  return cpu.slice(0, -1).map((_, grade) => ({
    grade,
    ranges: [
      { name: 'cpu', min: cpu[grade], max: cpu[grade + 1] },
      { name: 'memory', min: mem[grade], max: mem[grade + 1] },
    ],
  }));
}

export interface KarmadaProcesses {
  webhook: ProcessRecord;
  controllerManager: ProcessRecord;
  scheduler: ProcessRecord;
  /** Prometheus endpoints (controller-runtime's rest_client_requests_total) by process name. */
  metricsPorts: Record<string, number>;
}

/** CRDs, namespaces, the webhook and its configuration, then the two controllers. */
export async function startKarmada(
  state: FleetState,
  src: string,
  bin: KarmadaBinaries,
): Promise<KarmadaProcesses> {
  const h = hub(state);
  const hubKc = kubeConfigFor(h);
  const crdDir = join(src, 'charts', 'karmada', '_crds', 'bases');
  if (!existsSync(crdDir)) throw new Error(`no Karmada CRDs in ${crdDir}`);
  // Conversion-webhook patches (charts/karmada/_crds/patches) are left out: v1alpha2 bindings only.
  for (const f of yamlFiles(crdDir)) kubectl(h.kubeconfigPath, ['apply', '--server-side', '-f', f]);
  kubectl(h.kubeconfigPath, [
    'apply',
    '--server-side',
    '-f',
    join(REPO_ROOT, 'bench', 'karmada', 'clusters.cluster.karmada.io.yaml'),
  ]);
  kubectl(h.kubeconfigPath, ['wait', '--for=condition=Established', 'crd', '--all']);
  for (const ns of ['karmada-system', 'karmada-cluster'])
    await ensureNamespace(clients(hubKc).core, ns);

  const pki = ensurePki(join(state.stateDir, 'pki'));
  const serving = ensureServingCert(pki, 'karmada-webhook');
  const logs = join(state.stateDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const [webhookPort, cmMetrics, schedMetrics, webhookMetrics] = await freePorts(4);
  const env = { ...process.env, KUBECONFIG: h.kubeconfigPath };
  const webhook = startProcess(
    'karmada-webhook',
    join(bin.dir, 'webhook'),
    [
      '--bind-address=127.0.0.1',
      `--secure-port=${webhookPort}`,
      `--cert-dir=${pki.dir}`,
      `--tls-cert-file-name=${basename(serving.cert)}`,
      `--tls-private-key-file-name=${basename(serving.key)}`,
      `--metrics-bind-address=127.0.0.1:${webhookMetrics}`,
      '--health-probe-bind-address=0',
    ],
    join(logs, 'karmada-webhook.log'),
    join(bin.dir, 'webhook'),
    env,
  );
  await waitFor('karmada-webhook serving', 60_000, async () => {
    try {
      await fetch(`http://127.0.0.1:${webhookMetrics}/metrics`);
      return true;
    } catch {
      return false;
    }
  });
  const caBundle = readFileSync(pki.caCert).toString('base64');
  const config = readFileSync(
    join(src, 'artifacts', 'deploy', 'webhook-configuration.yaml'),
    'utf8',
  )
    .replaceAll(
      'https://karmada-webhook.karmada-system.svc:443',
      `https://127.0.0.1:${webhookPort}`,
    )
    .replaceAll('{{caBundle}}', caBundle)
    // 3 s is short on a loaded shared machine, and a timed-out call fails the write.
    .replaceAll('timeoutSeconds: 3', 'timeoutSeconds: 10');
  const configPath = join(state.stateDir, 'karmada-webhook-configuration.yaml');
  writeFileSync(configPath, config);
  kubectl(h.kubeconfigPath, ['apply', '-f', configPath]);

  await registerClusters(state, hubKc);

  const controllerManager = startProcess(
    'karmada-controller-manager',
    join(bin.dir, 'controller-manager'),
    [
      '--leader-elect=false',
      `--metrics-bind-address=127.0.0.1:${cmMetrics}`,
      '--health-probe-bind-address=0',
    ],
    join(logs, 'karmada-controller-manager.log'),
    join(bin.dir, 'controller-manager'),
    env,
  );
  const scheduler = startProcess(
    'karmada-scheduler',
    join(bin.dir, 'scheduler'),
    [
      `--kubeconfig=${h.kubeconfigPath}`,
      '--leader-elect=false',
      `--metrics-bind-address=127.0.0.1:${schedMetrics}`,
      '--health-probe-bind-address=0',
    ],
    join(logs, 'karmada-scheduler.log'),
    join(bin.dir, 'scheduler'),
    env,
  );
  // Ready when every Cluster reports Ready with a resource summary (the scheduler's input).
  const custom = hubKc.makeApiClient(CustomObjectsApi);
  await waitFor('Karmada Clusters Ready with resource summaries', 180_000, async () => {
    const list = (await custom.listClusterCustomObject({
      group: 'cluster.karmada.io',
      version: 'v1alpha1',
      plural: 'clusters',
    })) as { items: KarmadaCluster[] };
    return (
      list.items.length === members(state).length &&
      list.items.every(
        (c) =>
          c.status?.conditions?.some((k) => k.type === 'Ready' && k.status === 'True') &&
          c.status.resourceSummary?.allocatable !== undefined,
      )
    );
  });
  return {
    webhook,
    controllerManager,
    scheduler,
    metricsPorts: {
      'karmada-webhook': webhookMetrics ?? 0,
      'karmada-controller-manager': cmMetrics ?? 0,
      'karmada-scheduler': schedMetrics ?? 0,
    },
  };
}

export interface KarmadaCluster {
  metadata: { name: string };
  status?: {
    conditions?: { type: string; status: string }[];
    resourceSummary?: {
      allocatable?: Record<string, string>;
      allocated?: Record<string, string>;
      allocating?: Record<string, string>;
    };
  };
}

/** Each member as a Push-mode Cluster of the same name, with a token Secret (Karmada's join). */
async function registerClusters(state: FleetState, hubKc: KubeConfig): Promise<void> {
  const pki = ensurePki(join(state.stateDir, 'pki'));
  const custom = hubKc.makeApiClient(CustomObjectsApi);
  const h = hub(state);
  for (const m of members(state)) {
    kubectl(
      h.kubeconfigPath,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: m.name, namespace: 'karmada-cluster' },
        stringData: { token: pki.adminToken, caBundle: readFileSync(pki.caCert, 'utf8') },
      }),
    );
    const spec = state.topology.members.find((t) => t.id === m.name);
    await custom.createClusterCustomObject({
      group: 'cluster.karmada.io',
      version: 'v1alpha1',
      plural: 'clusters',
      body: {
        apiVersion: 'cluster.karmada.io/v1alpha1',
        kind: 'Cluster',
        metadata: { name: m.name, labels: spec?.labels ?? {} },
        spec: {
          syncMode: 'Push',
          apiEndpoint: m.server,
          secretRef: { namespace: 'karmada-cluster', name: m.name },
          resourceModels: defaultResourceModels(),
        },
      },
    });
  }
}
