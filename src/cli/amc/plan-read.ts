/**
 * Reads what `kubectl amc plan` needs, and only reads: the hub Deployment, the policies, the
 * binding and the MemberClusters; from each member (with the kubeconfig its MemberCluster names)
 * its nodes, its pods, the workload's copy and the binding's ProvisioningRequest.
 */
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  FLEET_GROUP,
  FLEET_VERSION,
  bindingName,
  type MemberCluster,
  type ResourceBinding,
} from '../../api/fleet.js';
import { POLICY_API_VERSION, POLICY_GROUP, POLICY_VERSION } from '../../api/policy.js';
import type { AnyPropagationPolicy } from '../../api/policy.js';
import type { NodeInput, PodInput } from '../../estimator/index.js';
import type { TemplateObject } from '../../fleet/member-copy.js';
import { readRequest } from '../../fleet/provisioning-sync.js';
import { errorMessage } from '../../runtime/logger.js';
import { statusCode } from '../../runtime/api-errors.js';
import { memberKubeConfig } from './member-kubeconfig.js';
import type { PlanMember, PlanRequest } from './plan.js';

/** Input the user gave that cannot be planned: the message says what and where. */
export class PlanInputError extends Error {}

/** The PropagationPolicy / ClusterPropagationPolicy documents of a YAML or JSON file. */
export function policiesFromFile(
  text: string,
  file: string,
  namespace: string,
): AnyPropagationPolicy[] {
  const out: AnyPropagationPolicy[] = [];
  const docs = parseAllDocuments(text);
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0)
      throw new PlanInputError(
        `${file}: document ${i + 1}: ${doc.errors[0]?.message ?? 'invalid YAML'}`,
      );
    const obj = doc.toJS() as unknown;
    if (obj === null || obj === undefined) continue;
    const o = obj as { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: unknown };
    if (o.kind !== 'PropagationPolicy' && o.kind !== 'ClusterPropagationPolicy') continue;
    if (o.apiVersion !== POLICY_API_VERSION)
      throw new PlanInputError(
        `${file}: ${String(o.kind)} has apiVersion ${JSON.stringify(o.apiVersion)}, expected ${POLICY_API_VERSION}`,
      );
    const spec = o.spec as { resourceSelectors?: unknown } | undefined;
    if (!spec || !Array.isArray(spec.resourceSelectors) || spec.resourceSelectors.length === 0)
      throw new PlanInputError(
        `${file}: ${String(o.kind)} needs spec.resourceSelectors (a non-empty list)`,
      );
    const metadata = { ...(o.metadata as Record<string, unknown> | undefined) };
    if (typeof metadata.name !== 'string' || metadata.name === '')
      throw new PlanInputError(`${file}: ${String(o.kind)} needs metadata.name`);
    // As kubectl apply -n would: a PropagationPolicy without a namespace lands in -n's.
    if (o.kind === 'PropagationPolicy' && metadata.namespace === undefined)
      metadata.namespace = namespace;
    out.push({ ...(obj as AnyPropagationPolicy), metadata } as AnyPropagationPolicy);
  }
  if (out.length === 0)
    throw new PlanInputError(
      `${file}: no PropagationPolicy or ClusterPropagationPolicy in the file`,
    );
  return out;
}

export function readPolicyFile(file: string, namespace: string): AnyPropagationPolicy[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanInputError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  return policiesFromFile(text, file, namespace);
}

async function member(
  hubCore: CoreV1Api,
  mc: MemberCluster,
  namespace: string,
  name: string,
  binding: string,
  nowMs: number,
  io: { err(text: string): void },
): Promise<PlanMember> {
  const ready = (mc.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const since = ready?.lastTransitionTime ? new Date(ready.lastTransitionTime).getTime() : nowMs;
  const base = {
    name: mc.metadata.name ?? '',
    alias: mc.spec.alias ?? mc.metadata.name ?? '',
    labels: mc.metadata.labels ?? {},
    deleting: mc.metadata.deletionTimestamp !== undefined,
    ready: ready?.status === 'True',
    notReadySeconds: ready?.status === 'True' ? 0 : Math.max(0, Math.floor((nowMs - since) / 1000)),
    canProvision: mc.spec.provisioning?.enabled === true,
    requestFailed: false,
  };
  if (!base.ready) return base;
  try {
    const kc = await memberKubeConfig(hubCore, mc);
    const core = kc.makeApiClient(CoreV1Api);
    const [nodes, pods, copy, request] = await Promise.all([
      core.listNode(),
      core.listPodForAllNamespaces(),
      kc
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name, namespace })
        .catch((err: unknown) => {
          if (statusCode(err) === 404) return undefined;
          throw err;
        }),
      readRequest(kc, namespace, binding).catch(() => undefined),
    ]);
    return {
      ...base,
      nodes: nodes.items as NodeInput[],
      pods: pods.items as PodInput[],
      ...(copy?.status ? { copyStatus: copy.status as unknown as Record<string, unknown> } : {}),
      requestFailed: request?.state.phase === 'failed',
    };
  } catch (err) {
    io.err(`warning: member ${base.alias} (${base.name}) unreadable: ${errorMessage(err)}\n`);
    return base;
  }
}

/** Everything the plan needs; throws PlanInputError for a workload that is not there. */
export async function readPlanRequest(
  hub: KubeConfig,
  namespace: string,
  name: string,
  replicas: number | undefined,
  policyFile: string | undefined,
  io: { err(text: string): void },
): Promise<PlanRequest> {
  const nowMs = Date.now();
  // The file first: a bad file is reported before anything is read from the cluster.
  const filePolicies = policyFile ? readPolicyFile(policyFile, namespace) : undefined;
  const apps = hub.makeApiClient(AppsV1Api);
  const custom = hub.makeApiClient(CustomObjectsApi);
  const hubCore = hub.makeApiClient(CoreV1Api);
  let template: TemplateObject;
  try {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    template = { ...(d as unknown as TemplateObject), apiVersion: 'apps/v1', kind: 'Deployment' };
  } catch (err) {
    if (statusCode(err) === 404)
      throw new PlanInputError(
        `deployment "${name}" not found in namespace "${namespace}" on the hub`,
      );
    throw err;
  }
  const policies =
    filePolicies ??
    ([
      ...(
        (await custom.listNamespacedCustomObject({
          group: POLICY_GROUP,
          version: POLICY_VERSION,
          namespace,
          plural: 'propagationpolicies',
        })) as { items: AnyPropagationPolicy[] }
      ).items.map((p) => ({ ...p, kind: 'PropagationPolicy' as const })),
      ...(
        (await custom.listClusterCustomObject({
          group: POLICY_GROUP,
          version: POLICY_VERSION,
          plural: 'clusterpropagationpolicies',
        })) as { items: AnyPropagationPolicy[] }
      ).items.map((p) => ({
        ...p,
        kind: 'ClusterPropagationPolicy' as const,
      })),
    ] as AnyPropagationPolicy[]);
  const bName = bindingName(name, 'Deployment');
  let binding: ResourceBinding | undefined;
  try {
    binding = (await custom.getNamespacedCustomObject({
      group: FLEET_GROUP,
      version: FLEET_VERSION,
      namespace,
      plural: 'resourcebindings',
      name: bName,
    })) as ResourceBinding;
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  const mcs = (
    (await custom.listClusterCustomObject({
      group: FLEET_GROUP,
      version: FLEET_VERSION,
      plural: 'memberclusters',
    })) as { items: MemberCluster[] }
  ).items;
  const members = await Promise.all(
    mcs.map((mc) => member(hubCore, mc, namespace, name, bName, nowMs, io)),
  );
  const desired = replicas ?? (template.spec?.replicas as number | undefined) ?? 1;
  return { template, replicas: desired, policies, ...(binding ? { binding } : {}), members, nowMs };
}
