/**
 * Helpers for the chart tests: helm and kubectl as a user runs them (asynchronously, so an
 * in-process controller keeps running), a kubeconfig that authenticates as a chart's
 * ServiceAccount through the TokenRequest API, and access reviews.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { REPO_ROOT, cacheDir } from '../fleet/tools.js';

const execFileP = promisify(execFile);

export const CHARTS = join(REPO_ROOT, 'charts');
export const VALUES = join(REPO_ROOT, 'e2e', 'charts', 'values');

/** helm as hack/build-tools.sh builds it (version pinned in hack/tools.env). */
export function helmPath(): string {
  return join(cacheDir(), 'bin', 'helm-v3.19.0', 'helm');
}

async function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  const child = execFileP(cmd, args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  try {
    return (await child).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr || e.message}`, { cause: err });
  }
}

export function helm(args: string[]): Promise<string> {
  return run(helmPath(), args);
}

export function kubectl(kubeconfig: string, args: string[], stdin?: string): Promise<string> {
  return run('kubectl', ['--kubeconfig', kubeconfig, ...args], stdin);
}

/** `helm template` of a chart in the release namespace, CRDs included, with values files. */
export function renderChart(
  chart: string,
  opts: {
    release?: string;
    namespace?: string;
    values?: string[];
    set?: string[];
    extra?: string[];
  } = {},
): Promise<string> {
  return helm([
    'template',
    opts.release ?? 'spillway',
    join(CHARTS, chart),
    '--namespace',
    opts.namespace ?? 'spillway-system',
    '--include-crds',
    ...(opts.values ?? []).flatMap((v) => ['--values', join(VALUES, v)]),
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
    ...(opts.extra ?? []),
  ]);
}

/**
 * A kubeconfig that is the ServiceAccount: a token from the TokenRequest API, exactly what the
 * kubelet mounts into the controller's pod.
 */
export async function serviceAccountConfig(
  admin: KubeConfig,
  namespace: string,
  name: string,
): Promise<KubeConfig> {
  const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster();
  if (!cluster || !tr.status?.token) throw new Error('no cluster or no token');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: `${namespace}/${name}`, token: tr.status.token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user: `${namespace}/${name}` }],
    currentContext: 'sa',
  });
  return kc;
}

export interface Subject {
  user: string;
  groups: string[];
}

export function serviceAccountSubject(namespace: string, name: string): Subject {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: [
      'system:serviceaccounts',
      `system:serviceaccounts:${namespace}`,
      'system:authenticated',
    ],
  };
}

/** The API server's own answer to "may this subject do that?" (SubjectAccessReview). */
export async function allowed(
  admin: KubeConfig,
  who: Subject,
  attrs: V1ResourceAttributes,
): Promise<boolean> {
  const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: { spec: { user: who.user, groups: who.groups, resourceAttributes: attrs } },
  });
  return review.status?.allowed ?? false;
}

/** Names of the ClusterRoles bound to this user or ServiceAccount anywhere in the cluster. */
export async function boundClusterRoles(
  admin: KubeConfig,
  matches: (s: { kind: string; name: string; namespace?: string }) => boolean,
): Promise<string[]> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const [crbs, rbs] = await Promise.all([
    rbac.listClusterRoleBinding(),
    rbac.listRoleBindingForAllNamespaces(),
  ]);
  return [...crbs.items, ...rbs.items]
    .filter((b) => (b.subjects ?? []).some(matches))
    .map((b) => `${b.roleRef.kind}/${b.roleRef.name}`)
    .sort();
}

/**
 * The ResourcePolicy scenario both chart tests run: in namespace rp-test, a policy whose first
 * unit (the idc-cpu pool) takes at most one pod and whose second is the idc-gpu pool, and a
 * 3-replica Deployment it selects. Placed in order, 1 pod lands in idc-cpu and 2 in idc-gpu.
 */
export async function applyWebScenario(kubeconfig: string): Promise<void> {
  await kubectl(kubeconfig, ['create', 'namespace', 'rp-test']);
  await kubectl(
    kubeconfig,
    ['apply', '-f', '-'],
    `apiVersion: scheduling.alibabacloud.com/v1alpha1
kind: ResourcePolicy
metadata: { name: web, namespace: rp-test }
spec:
  selector: { app: web }
  units:
    - { resource: ecs, max: 1, nodeSelector: { spillway.dev/local-fleet-pool: idc-cpu } }
    - { resource: ecs, nodeSelector: { spillway.dev/local-fleet-pool: idc-gpu } }
`,
  );
  await kubectl(kubeconfig, [
    '-n',
    'rp-test',
    'create',
    'deployment',
    'web',
    '--image=nginx',
    '--replicas=3',
  ]);
}
