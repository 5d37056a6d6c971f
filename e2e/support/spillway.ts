/**
 * Setting up Spillway on a local fleet for e2e tests and the demo: CRDs on the hub, member
 * registration (kubeconfig Secret + MemberCluster), and the controller started in-process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { applyManifestFile } from '../fleet/apply.js';
import {
  REPO_ROOT,
  hub,
  kubeConfigFor,
  members,
  type ClusterInfo,
  type FleetState,
} from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { startProcess, type ProcessRecord } from '../fleet/processes.js';

export const SYSTEM_NAMESPACE = 'spillway-system';
const CRD_DIR = join(REPO_ROOT, 'config', 'crds');

export async function installCrds(kc: KubeConfig): Promise<void> {
  for (const f of readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    await applyManifestFile(kc, join(CRD_DIR, f));
  const custom = kc.makeApiClient(CustomObjectsApi);
  await waitFor('CRDs served', 30_000, async () => {
    await custom.listClusterCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'memberclusters',
    });
    await custom.listClusterCustomObject({
      group: 'policy.one.alibabacloud.com',
      version: 'v1alpha1',
      plural: 'propagationpolicies',
    });
    return true;
  });
}

export interface RegisterOptions {
  /**
   * Member name -> the API server address the fleet controller is given for it instead of the
   * member's own (a fault-injecting proxy in front of it, as the chaos suite has).
   */
  serverOverrides?: Readonly<Record<string, string>>;
}

/** Registers every member of the fleet on its hub, as the operations guide describes. */
export async function registerMembers(
  state: FleetState,
  opts: RegisterOptions = {},
): Promise<void> {
  const kc = kubeConfigFor(hub(state));
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core
    .createNamespace({ body: { metadata: { name: SYSTEM_NAMESPACE } } })
    .catch(() => undefined);
  for (const m of members(state)) {
    const spec = state.topology.members.find((t) => t.id === m.name);
    const secret = `member-${m.name}`;
    const server = opts.serverOverrides?.[m.name];
    let kubeconfig = readFileSync(m.kubeconfigPath, 'utf8');
    if (server !== undefined) kubeconfig = kubeconfig.replaceAll(m.server, server);
    await core
      .createNamespacedSecret({
        namespace: SYSTEM_NAMESPACE,
        body: { metadata: { name: secret }, stringData: { kubeconfig } },
      })
      .catch(() => undefined);
    await custom.createClusterCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'memberclusters',
      body: {
        apiVersion: 'fleet.spillway.dev/v1alpha1',
        kind: 'MemberCluster',
        metadata: { name: m.name, labels: spec?.labels ?? {} },
        spec: {
          alias: m.alias,
          kubeconfigSecretRef: { namespace: SYSTEM_NAMESPACE, name: secret },
          provisioning: { enabled: spec?.provisioning ?? false },
        },
      },
    });
  }
}

/** kubectl against one cluster of the fleet, as a user would type it. */
export function kubectl(kubeconfig: string, args: string[], input?: string): string {
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** The seed's demo-pp.yaml with its cluster ID placeholders filled in. */
export function seedPolicy(idcId: string, ackId: string): string {
  return readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'seed', 'demo-pp.yaml'), 'utf8')
    .replaceAll('${registered cluster ID}', idcId)
    .replaceAll('${ACK Cluster ID}', ackId);
}

export const SEED_DEMO = join(REPO_ROOT, 'test', 'fixtures', 'seed', 'demo.yaml');

export interface ControllerProcessOptions {
  /** Process name, also its log file's under the fleet's logs/ (default fleet-controller). */
  name?: string;
  /** Modules preloaded with `node --import` before the CLI (e.g. the chaos suite's write log). */
  preload?: string[];
  /** Environment added to this process's. */
  env?: Readonly<Record<string, string>>;
  /** Node.js options before the script (e.g. `--cpu-prof` for a bench). */
  nodeArgs?: string[];
  /** More `spillway fleet-controller` flags (e.g. `--workers 2` for a bench). */
  args?: string[];
  /**
   * A compiled `spillway.js` to run instead of the TypeScript source through tsx, as the image
   * runs it (tsx's loader alone adds about 90 MiB of resident memory: benches measuring RSS).
   */
  compiled?: string;
}

/** `spillway fleet-controller` as its own process (from the TypeScript source through tsx, or compiled). */
export function startControllerProcess(
  state: FleetState,
  opts: ControllerProcessOptions = {},
): ProcessRecord {
  const name = opts.name ?? 'fleet-controller';
  const script = opts.compiled ?? join(REPO_ROOT, 'src', 'cli', 'spillway.ts');
  return startProcess(
    name,
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      ...(opts.compiled ? [] : ['--import', 'tsx']),
      ...(opts.preload ?? []).flatMap((m) => ['--import', m]),
      script,
      'fleet-controller',
      '--kubeconfig',
      hub(state).kubeconfigPath,
      '--health-port',
      '0',
      ...(opts.args ?? []),
    ],
    join(state.stateDir, 'logs', `${name}.log`),
    script,
    { ...process.env, ...opts.env },
  );
}

/**
 * `spillway resource-policy-controller` as its own process on one cluster of the fleet, with its
 * webhook on `webhookPort` of loopback (a self-signed certificate it makes itself).
 */
export function startResourcePolicyControllerProcess(
  state: FleetState,
  cluster: ClusterInfo,
  webhookPort: number,
  opts: { name?: string; namespace?: string } = {},
): ProcessRecord {
  const name = opts.name ?? 'resource-policy-controller';
  const script = join(REPO_ROOT, 'src', 'cli', 'spillway.ts');
  return startProcess(
    name,
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      'resource-policy-controller',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--namespace',
      opts.namespace ?? SYSTEM_NAMESPACE,
      '--health-port',
      '0',
      '--webhook-port',
      String(webhookPort),
      '--webhook-url',
      'https://127.0.0.1:{port}/mutate',
    ],
    join(state.stateDir, 'logs', `${name}.log`),
    script,
  );
}

/** A PropagationPolicy with ordered groups and dynamic weights, as YAML for kubectl. */
export function tieredPolicy(opts: {
  name: string;
  namespace: string;
  groups: [string, string[]][];
  selector: { kind: string; name?: string };
  preserve?: boolean;
  tolerationSeconds?: number;
  ecsProvision?: boolean;
}): string {
  const groups = opts.groups
    .map(([g, cs]) => `      - affinityName: ${g}\n        clusterNames: [${cs.join(', ')}]`)
    .join('\n');
  return `apiVersion: policy.one.alibabacloud.com/v1alpha1
kind: PropagationPolicy
metadata:
  name: ${opts.name}
  namespace: ${opts.namespace}
spec:
  resourceSelectors:
  - apiVersion: ${opts.selector.kind === 'Service' ? 'v1' : 'apps/v1'}
    kind: ${opts.selector.kind}${opts.selector.name ? `\n    name: ${opts.selector.name}` : ''}
  preserveResourcesOnDeletion: ${opts.preserve ?? false}
  autoScaling:
    ecsProvision: ${opts.ecsProvision ?? false}
  failover:
    cluster:
      tolerationSeconds: ${opts.tolerationSeconds ?? 300}
  placement:
    clusterAffinities:
${groups}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        dynamicWeight: AvailableReplicas
`;
}

/** True once the hub has no MemberCluster of that name (its finalizer released). */
export async function memberClusterGone(kc: KubeConfig, name: string): Promise<boolean> {
  return kc
    .makeApiClient(CustomObjectsApi)
    .getClusterCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'memberclusters',
      name,
    })
    .then(() => false)
    .catch(() => true);
}

/** A ResourceBinding on the hub as the API server has it now (throws when it cannot be read). */
export async function readBinding<T>(kc: KubeConfig, namespace: string, name: string): Promise<T> {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'fleet.spillway.dev',
    version: 'v1alpha1',
    plural: 'resourcebindings',
    namespace,
    name,
  })) as T;
}
