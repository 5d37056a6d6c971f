/**
 * Helpers for the ResourcePolicy e2e tests: the member of the resourcepolicy fleet, the seed
 * manifests with their node names and pool IDs adapted, kubectl as the seed runs it, the
 * controller started in-process, and waits on pod placement.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiextensionsV1Api,
  type CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1DeploymentStrategy,
  type V1Pod,
} from '@kubernetes/client-node';
import { kubeConfigFor, member, type FleetState } from '../fleet/index.js';
import { deployment } from '../support/kube.js';
import { applyManifestFile } from '../fleet/apply.js';
import { waitFor } from '../fleet/readiness.js';
import { REPO_ROOT } from '../fleet/tools.js';
import { silentLogger } from '../../src/runtime/logger.js';
import {
  runResourcePolicyController,
  type ResourcePolicyController,
  type ResourcePolicyControllerOptions,
} from '../../src/resourcepolicy/main.js';

export const MEMBER = 'cluster-rp';
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'resourcepolicy');
export const CRD = join(
  REPO_ROOT,
  'config',
  'crds',
  'scheduling.alibabacloud.com_resourcepolicies.yaml',
);

/** The seed's node names and pool IDs, and ours (`****` is elided in the seed). */
export const ADAPT: Readonly<Record<string, string>> = {
  'cn-beijing.10.0.3.137': 'pool-a-0',
  'cn-beijing.10.0.3.138': 'pool-a-1',
  'cn-beijing.10.0.6.46': 'pool-b-0',
  'cn-beijing.10.0.6.47': 'pool-b-1',
  'np7ec79f2235954e879de07b780058****': 'np7ec79f2235954e879de07b780058a0a0',
  'npab2df797738644e3a7b7cbf532bb****': 'npab2df797738644e3a7b7cbf532bbb0b0',
};

/** A seed fixture with node names and pool IDs adapted, and nothing else changed. */
export function seedText(file: string): string {
  let text = readFileSync(join(FIXTURES, file), 'utf8');
  for (const [from, to] of Object.entries(ADAPT)) text = text.split(from).join(to);
  return text;
}

export function memberConfig(state: FleetState): { kc: KubeConfig; path: string } {
  const m = member(state, MEMBER);
  return { kc: kubeConfigFor(m), path: m.kubeconfigPath };
}

const execFileP = promisify(execFile);

/** Runs kubectl against the member, with optional stdin (a manifest for `apply -f -`). */
export async function kubectl(kubeconfig: string, args: string[], stdin?: string): Promise<string> {
  const child = execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  const { stdout } = await child;
  return stdout;
}

/** Runs the seed's shell lines (kubectl ...) one by one, with names adapted. */
export async function runSeedCommands(kubeconfig: string, file: string): Promise<void> {
  for (const line of seedText(file).split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'kubectl') continue;
    await kubectl(kubeconfig, words.slice(1));
  }
}

/** Installs the CRD in the member and waits until it is served. */
export async function installCrd(kc: KubeConfig): Promise<void> {
  await applyManifestFile(kc, CRD);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await waitFor('ResourcePolicy CRD established', 30_000, async () => {
    const crd = await ext.readCustomResourceDefinition({
      name: 'resourcepolicies.scheduling.alibabacloud.com',
    });
    return (
      crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false
    );
  });
}

/** The controller in this process, its webhook on loopback where the member's API server calls it. */
export async function startController(
  kc: KubeConfig,
  options: Partial<Pick<ResourcePolicyControllerOptions, 'admissionDecisions'>> = {},
): Promise<ResourcePolicyController> {
  return runResourcePolicyController({
    kubeConfig: kc,
    namespace: 'kube-system',
    healthPort: 0,
    healthHost: '127.0.0.1',
    webhook: { host: '127.0.0.1', port: 0, endpoint: { url: 'https://127.0.0.1:{port}/mutate' } },
    logger: silentLogger(),
    ...options,
  });
}

export async function pods(core: CoreV1Api, namespace: string, selector: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
}

export function live(list: V1Pod[]): V1Pod[] {
  return list.filter((p) => !p.metadata?.deletionTimestamp);
}

export function isRunningPod(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;
}

/** Node name -> count of live pods, with unbound pods under "". */
export function placement(list: V1Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of live(list)) {
    const n = p.spec?.nodeName ?? '';
    out[n] = (out[n] ?? 0) + 1;
  }
  return out;
}

/** Pool of a node in this topology: pool-a-0 -> pool-a; elastic nodes carry a random suffix. */
export function poolOf(nodeName: string | undefined): string {
  if (!nodeName) return '';
  if (nodeName.startsWith('virtual-kubelet-cn-beijing-j')) return 'eci';
  return nodeName.replace(/-[^-]+$/, '');
}

/** Live pods per pool, "" for pods not bound yet. */
export function byPool(list: V1Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of live(list)) {
    const pool = poolOf(p.spec?.nodeName);
    out[pool] = (out[pool] ?? 0) + 1;
  }
  return out;
}

export async function waitPods(
  core: CoreV1Api,
  namespace: string,
  selector: string,
  what: string,
  ok: (list: V1Pod[]) => boolean,
  timeoutMs = 120_000,
): Promise<V1Pod[]> {
  let last: V1Pod[] = [];
  try {
    await waitFor(what, timeoutMs, async () => {
      last = await pods(core, namespace, selector);
      return ok(last);
    });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; last seen by pool: ${JSON.stringify(byPool(last))}`,
      { cause: err },
    );
  }
  return last;
}

/** Deletes every Deployment, pod and ResourcePolicy of a namespace and waits for the pods to go. */
export async function cleanNamespace(
  kubeconfig: string,
  core: CoreV1Api,
  namespace: string,
): Promise<void> {
  await kubectl(kubeconfig, [
    '-n',
    namespace,
    'delete',
    'deployments,resourcepolicies',
    '--all',
    '--wait=false',
  ]);
  await kubectl(kubeconfig, [
    '-n',
    namespace,
    'delete',
    'pods',
    '--all',
    '--grace-period=0',
    '--force',
    '--wait=false',
  ]).catch(() => '');
  // Test finalizers would keep pods forever.
  for (const p of (await core.listNamespacedPod({ namespace })).items) {
    if ((p.metadata?.finalizers ?? []).length > 0)
      await kubectl(kubeconfig, [
        '-n',
        namespace,
        'patch',
        'pod',
        p.metadata?.name ?? '',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]).catch(() => '');
  }
  await waitFor(
    `pods of ${namespace} gone`,
    90_000,
    async () => (await core.listNamespacedPod({ namespace })).items.length === 0,
  );
}

/** A Deployment of `replicas` pods labelled app=<name> requesting `cpu` each (kube.ts shape). */
export function deploymentManifest(
  name: string,
  namespace: string,
  replicas: number,
  cpu: string,
  extra: { strategy?: V1DeploymentStrategy } = {},
): V1Deployment {
  const d = deployment(name, namespace, replicas, { cpu });
  if (d.spec) {
    if (extra.strategy) d.spec.strategy = extra.strategy;
    // Deleted pods go at once, so one test's pods never hold the next one's capacity.
    if (d.spec.template.spec) d.spec.template.spec.terminationGracePeriodSeconds = 0;
  }
  return d;
}

export function policyManifest(name: string, namespace: string, spec: object): object {
  return {
    apiVersion: 'scheduling.alibabacloud.com/v1alpha1',
    kind: 'ResourcePolicy',
    metadata: { name, namespace },
    spec,
  };
}

/** kubectl apply of objects (JSON is YAML). */
export async function apply(kubeconfig: string, ...objects: object[]): Promise<void> {
  for (const o of objects) await kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(o));
}

export const POOL_A = {
  'alibabacloud.com/nodepool-id': ADAPT['np7ec79f2235954e879de07b780058****'] ?? '',
};
export const POOL_B = {
  'alibabacloud.com/nodepool-id': ADAPT['npab2df797738644e3a7b7cbf532bb****'] ?? '',
};

/** Waits until the controller accepted a policy (Ready=True). */
export async function waitPolicyReady(kubeconfig: string, ns: string, name: string): Promise<void> {
  await waitFor(`ResourcePolicy ${ns}/${name} Ready`, 30_000, async () => {
    const ready = await kubectl(kubeconfig, [
      '-n',
      ns,
      'get',
      'rsp',
      name,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    return ready === 'True';
  });
}
