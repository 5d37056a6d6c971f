/**
 * `spillway register-member`: gives the fleet controller a least-privilege identity in a member
 * cluster and registers the member on the hub.
 *
 * In the member: a namespace, the ServiceAccount `spillway-fleet-member`, a ClusterRole with only
 * what the fleet controller does there (read capacity, server-side apply and delete its copies,
 * ProvisioningRequests) bound to it, and a long-lived token Secret (as Karmada does: the hub keeps
 * the credential, so it must not expire underneath it; delete the Secret to revoke it).
 * On the hub: a kubeconfig Secret with that token and the MemberCluster naming it.
 * Everything is server-side applied, so running the command again updates in place.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { DEFAULT_KUBECONFIG_KEY, FLEET_API_VERSION, type MemberCluster } from '../api/fleet.js';

export const MEMBER_SERVICE_ACCOUNT = 'spillway-fleet-member';
const FIELD_MANAGER = 'spillway-register-member';

/** A kind of template the fleet controller may copy into the member. */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  /** Plural resource name, e.g. deployments. */
  resource: string;
}

/** The kinds propagated by default: the same list as the hub chart's templateResources. */
export const DEFAULT_RESOURCES: readonly ResourceRef[] = [
  ...['configmaps', 'services', 'serviceaccounts', 'persistentvolumeclaims'].map((resource) => ({
    group: '',
    resource,
  })),
  ...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].map((resource) => ({
    group: 'apps',
    resource,
  })),
  ...['jobs', 'cronjobs'].map((resource) => ({ group: 'batch', resource })),
  { group: 'policy', resource: 'poddisruptionbudgets' },
  { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  { group: 'networking.k8s.io', resource: 'ingresses' },
];

export interface RegisterMemberOptions {
  hub: KubeConfig;
  member: KubeConfig;
  /** Cluster ID: the MemberCluster's name. */
  name: string;
  alias?: string;
  /** MemberCluster labels, matched by policies' labelSelectors. */
  labels?: Record<string, string>;
  /** The member may add nodes on demand (ProvisioningRequests). */
  provisioning?: boolean;
  /** Hub namespace of the kubeconfig Secret: the fleet controller's namespace. */
  hubNamespace?: string;
  /** Member namespace of the ServiceAccount and its token. */
  memberNamespace?: string;
  /** API server URL the fleet controller uses (default: the member kubeconfig's server). */
  memberServer?: string;
  /** Kinds to propagate besides DEFAULT_RESOURCES (e.g. {group: '', resource: 'secrets'}). */
  extraResources?: readonly ResourceRef[];
  /** How long to wait for the member's token controller to fill the token Secret. */
  tokenTimeoutMs?: number;
}

export interface RegisteredMember {
  secretName: string;
  kubeconfig: string;
}

/** The member-side ClusterRole: each rule is something the fleet controller does there. */
export function memberRules(extra: readonly ResourceRef[] = []): V1PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const r of [...DEFAULT_RESOURCES, ...extra]) {
    const set = byGroup.get(r.group) ?? new Set<string>();
    set.add(r.resource);
    byGroup.set(r.group, set);
  }
  return [
    // The estimator: free capacity from nodes and the requests of bound pods.
    { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
    // A copy's namespace is created when the member lacks it.
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create'] },
    // Copies: read (ownership check, Deployment status watch), server-side applied, deleted when
    // the member loses its share. Only objects labelled managed-by=spillway are ever changed.
    ...[...byGroup.entries()].map(([group, resources]) => ({
      apiGroups: [group],
      resources: [...resources].sort(),
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    })),
    // autoScaling.ecsProvision: ProvisioningRequests and the PodTemplates they point at.
    {
      apiGroups: ['autoscaling.x-k8s.io'],
      resources: ['provisioningrequests'],
      verbs: ['get', 'list', 'create', 'delete'],
    },
    { apiGroups: [''], resources: ['podtemplates'], verbs: ['get', 'create', 'patch', 'delete'] },
  ];
}

function meta(name: string, namespace?: string): KubernetesObject['metadata'] {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { 'app.kubernetes.io/part-of': 'spillway' },
  };
}

/** The member-side objects, in the order they must be applied. */
export function memberObjects(
  memberNamespace: string,
  extra: readonly ResourceRef[] = [],
): KubernetesObject[] {
  const sa = MEMBER_SERVICE_ACCOUNT;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(memberNamespace) },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(sa, memberNamespace) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(sa),
      rules: memberRules(extra),
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(sa),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: memberNamespace }],
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        ...meta(`${sa}-token`, memberNamespace),
        annotations: { 'kubernetes.io/service-account.name': sa },
      },
      type: 'kubernetes.io/service-account-token',
    } as KubernetesObject,
  ];
}

async function apply(kc: KubeConfig, objects: readonly KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects)
    await api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

async function waitForToken(
  core: CoreV1Api,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<{ token: string; ca?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await core.readNamespacedSecret({ namespace, name });
    const token = s.data?.token;
    if (token)
      return {
        token: Buffer.from(token, 'base64').toString('utf8'),
        ...(s.data?.['ca.crt'] ? { ca: s.data['ca.crt'] } : {}),
      };
    if (Date.now() > deadline)
      throw new Error(
        `the member's token controller did not fill Secret ${namespace}/${name} within ${timeoutMs / 1000}s (does its kube-controller-manager run the serviceaccount-token controller?)`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The CA the member's kubeconfig trusts, base64, as a kubeconfig holds it. */
function clusterCa(member: KubeConfig): string | undefined {
  const c = member.getCurrentCluster();
  if (c?.caData) return c.caData;
  if (c?.caFile) return readFileSync(c.caFile).toString('base64');
  return undefined;
}

export function memberKubeconfig(opts: {
  name: string;
  server: string;
  caData?: string;
  token: string;
}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: opts.name,
        cluster: {
          server: opts.server,
          ...(opts.caData ? { 'certificate-authority-data': opts.caData } : {}),
        },
      },
    ],
    users: [{ name: MEMBER_SERVICE_ACCOUNT, user: { token: opts.token } }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: MEMBER_SERVICE_ACCOUNT } }],
    'current-context': opts.name,
  });
}

export async function registerMember(opts: RegisterMemberOptions): Promise<RegisteredMember> {
  const memberNs = opts.memberNamespace ?? 'spillway-system';
  const hubNs = opts.hubNamespace ?? 'spillway-system';
  await apply(opts.member, memberObjects(memberNs, opts.extraResources));
  const { token, ca } = await waitForToken(
    opts.member.makeApiClient(CoreV1Api),
    memberNs,
    `${MEMBER_SERVICE_ACCOUNT}-token`,
    opts.tokenTimeoutMs ?? 60_000,
  );
  const server = opts.memberServer ?? opts.member.getCurrentCluster()?.server;
  if (!server) throw new Error('the member kubeconfig names no server; pass --member-server');
  // The CA the user's kubeconfig trusts reaches the server at that address; the token Secret's
  // ca.crt is the cluster's root CA, which may not sign a server behind a load balancer.
  const caData = clusterCa(opts.member) ?? ca;
  const kubeconfig = memberKubeconfig({
    name: opts.name,
    server,
    token,
    ...(caData ? { caData } : {}),
  });

  const secretName = `member-${opts.name}`;
  const mc: MemberCluster = {
    apiVersion: FLEET_API_VERSION,
    kind: 'MemberCluster',
    metadata: { name: opts.name, labels: opts.labels ?? {} },
    spec: {
      ...(opts.alias ? { alias: opts.alias } : {}),
      kubeconfigSecretRef: { namespace: hubNs, name: secretName, key: DEFAULT_KUBECONFIG_KEY },
      provisioning: { enabled: opts.provisioning ?? false },
    },
  };
  await apply(opts.hub, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(hubNs) },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(secretName, hubNs),
      type: 'Opaque',
      stringData: { [DEFAULT_KUBECONFIG_KEY]: kubeconfig },
    } as KubernetesObject,
    mc as unknown as KubernetesObject,
  ]);
  return { secretName, kubeconfig };
}

/** `group/resource`, or a bare resource for the core group: apps/statefulsets, secrets. */
export function parseResource(text: string): ResourceRef {
  const m = /^(?:([a-z0-9.-]*)\/)?([a-z0-9-]+)$/.exec(text);
  if (!m?.[2]) throw new Error(`--extra-resource wants group/resource or resource, got ${text}`);
  return { group: m[1] ?? '', resource: m[2] };
}

function parseLabel(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new Error(`--label wants key=value, got ${text}`);
  return [text.slice(0, i), text.slice(i + 1)];
}

function loadConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export const USAGE = `usage: spillway register-member --hub-kubeconfig hub.yaml --member-kubeconfig member.yaml
         --name <cluster id> [--alias name] [--label key=value ...] [--provisioning]
         [--hub-namespace spillway-system] [--member-namespace spillway-system]
         [--member-server https://member:6443] [--extra-resource group/resource ...]
`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'hub-kubeconfig': { type: 'string' },
      'member-kubeconfig': { type: 'string' },
      name: { type: 'string' },
      alias: { type: 'string' },
      label: { type: 'string', multiple: true },
      provisioning: { type: 'boolean', default: false },
      'hub-namespace': { type: 'string', default: 'spillway-system' },
      'member-namespace': { type: 'string', default: 'spillway-system' },
      'member-server': { type: 'string' },
      'extra-resource': { type: 'string', multiple: true },
    },
  });
  const hubPath = values['hub-kubeconfig'];
  const memberPath = values['member-kubeconfig'];
  if (!hubPath || !memberPath || !values.name) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  const result = await registerMember({
    hub: loadConfig(hubPath),
    member: loadConfig(memberPath),
    name: values.name,
    ...(values.alias ? { alias: values.alias } : {}),
    labels: Object.fromEntries((values.label ?? []).map(parseLabel)),
    provisioning: values.provisioning ?? false,
    ...(values['hub-namespace'] ? { hubNamespace: values['hub-namespace'] } : {}),
    ...(values['member-namespace'] ? { memberNamespace: values['member-namespace'] } : {}),
    ...(values['member-server'] ? { memberServer: values['member-server'] } : {}),
    extraResources: (values['extra-resource'] ?? []).map(parseResource),
  });
  process.stdout.write(
    `membercluster/${values.name} registered; kubeconfig in Secret ${values['hub-namespace']}/${result.secretName}\n`,
  );
}
