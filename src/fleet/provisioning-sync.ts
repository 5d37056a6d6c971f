/**
 * Kubernetes I/O for a binding's ProvisioningRequest in one member: read it, bring it to what
 * `decideRequest` says, delete it. Members that do not serve the API are skipped quietly; every
 * other error reaches the caller.
 */
import {
  CustomObjectsApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { FIELD_MANAGER } from './ownership.js';
import {
  PR_GROUP,
  PR_PLURAL,
  PR_VERSION,
  decideRequest,
  podTemplateManifest,
  provisioningName,
  provisioningRequestManifest,
  provisioningSelector,
  requestCount,
  requestState,
  type ExistingRequest,
  type ProvisioningAsk,
  type RequestAction,
  type RequestState,
} from './provisioning.js';
import { objectApi } from '../runtime/connections.js';
import { statusCode } from '../runtime/api-errors.js';

interface RawRequest {
  metadata: { name: string; uid?: string };
  spec?: unknown;
  status?: { conditions?: ExistingRequest['conditions'] };
}

export interface MemberRequest extends ExistingRequest {
  uid: string;
  state: RequestState;
}

/** 404 on a list of the kind: the member has no ProvisioningRequest CRD. */
const notServed = (err: unknown): boolean => statusCode(err) === 404;

export async function readRequest(
  kc: KubeConfig,
  namespace: string,
  bindingName: string,
): Promise<MemberRequest | undefined> {
  try {
    const pr = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: PR_GROUP,
      version: PR_VERSION,
      plural: PR_PLURAL,
      namespace,
      name: provisioningName(bindingName),
    })) as RawRequest;
    const existing = {
      count: requestCount(pr.spec),
      conditions: pr.status?.conditions ?? [],
    };
    return { ...existing, uid: pr.metadata.uid ?? '', state: requestState(existing) };
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** Brings the binding's request to `ask.count` waiting replicas; returns what it did. */
export async function syncRequest(
  kc: KubeConfig,
  ask: ProvisioningAsk,
  existing: MemberRequest | undefined,
): Promise<RequestAction> {
  const action = decideRequest(existing, ask.count);
  if (action === 'delete') await deleteRequests(kc, ask.namespace, ask.bindingName);
  if (action === 'recreate')
    await deleteRequest(kc, ask.namespace, provisioningName(ask.bindingName));
  if (action === 'create' || action === 'recreate') {
    const api = objectApi(kc);
    await api.patch(
      podTemplateManifest(ask) as unknown as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    await api.create(provisioningRequestManifest(ask) as unknown as KubernetesObject);
  }
  return action;
}

async function deleteRequest(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  await kc
    .makeApiClient(CustomObjectsApi)
    .deleteNamespacedCustomObject({
      group: PR_GROUP,
      version: PR_VERSION,
      plural: PR_PLURAL,
      namespace,
      name,
    })
    .catch((err: unknown) => {
      if (statusCode(err) !== 404) throw err;
    });
}

/** Deletes every request and PodTemplate Spillway made for the binding in this member. */
export async function deleteRequests(
  kc: KubeConfig,
  namespace: string,
  bindingName: string,
): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  let names: string[];
  try {
    const list = (await custom.listNamespacedCustomObject({
      group: PR_GROUP,
      version: PR_VERSION,
      plural: PR_PLURAL,
      namespace,
      labelSelector: provisioningSelector(bindingName),
    })) as { items: RawRequest[] };
    names = list.items.map((i) => i.metadata.name);
  } catch (err) {
    if (notServed(err)) return;
    throw err;
  }
  const api = objectApi(kc);
  for (const name of names) {
    await deleteRequest(kc, namespace, name);
    await api
      .delete({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name, namespace } })
      .catch((err: unknown) => {
        if (statusCode(err) !== 404) throw err;
      });
  }
}
