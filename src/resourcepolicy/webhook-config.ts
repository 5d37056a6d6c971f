/**
 * The MutatingWebhookConfiguration that sends pod creations to the webhook, kept up to date at
 * start-up (the caBundle changes whenever the CA is generated anew).
 *
 * Two webhooks, one endpoint, disjoint namespaces:
 * - in namespaces the controller labelled because they hold a ResourcePolicy, failurePolicy
 *   Fail: while the webhook cannot be reached, the API server refuses those pod creations (the
 *   owner, a ReplicaSet, Job or StatefulSet, retries with back-off) instead of creating them
 *   ungated, so an outage can never break `max` or the unit order;
 * - in every other namespace, failurePolicy Ignore: a pod created in the moment between a new
 *   policy and its namespace label is still gated when the webhook is up, and an outage never
 *   blocks namespaces without policies.
 * The skipped namespaces (kube-system and the controller's own) are in neither, so the
 * controller and the cluster's own components can always start.
 */
import {
  AdmissionregistrationV1Api,
  type KubeConfig,
  type V1MutatingWebhook,
  type V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { NAMESPACE_LABEL } from './constants.js';

export interface WebhookEndpoint {
  /** https URL for an API server that reaches the webhook directly, e.g. https://127.0.0.1:9443/mutate. */
  url?: string;
  /** Or an in-cluster Service in front of the webhook. */
  service?: { namespace: string; name: string; port?: number };
}

/** The webhook for namespaces with a ResourcePolicy (failurePolicy Fail by default). */
export const WEBHOOK_NAME = 'resource-policy-gate.scheduling.alibabacloud.com';
/** The webhook for every other namespace (failurePolicy Ignore). */
export const WEBHOOK_NAME_UNLABELLED =
  'resource-policy-gate-unlabelled.scheduling.alibabacloud.com';

export type FailurePolicy = 'Fail' | 'Ignore';

export function webhookConfiguration(
  name: string,
  endpoint: WebhookEndpoint,
  caBundle: string,
  skipNamespaces: readonly string[],
  failurePolicy: FailurePolicy = 'Fail',
): V1MutatingWebhookConfiguration {
  const clientConfig = endpoint.url
    ? { url: endpoint.url, caBundle: Buffer.from(caBundle).toString('base64') }
    : {
        service: {
          namespace: endpoint.service?.namespace ?? '',
          name: endpoint.service?.name ?? '',
          path: '/mutate',
          port: endpoint.service?.port ?? 443,
        },
        caBundle: Buffer.from(caBundle).toString('base64'),
      };
  const skip = {
    key: 'kubernetes.io/metadata.name',
    operator: 'NotIn',
    values: [...new Set(skipNamespaces)],
  };
  const webhook = (
    webhookName: string,
    policy: FailurePolicy,
    labelOperator: 'Exists' | 'DoesNotExist',
  ): V1MutatingWebhook => ({
    name: webhookName,
    admissionReviewVersions: ['v1'],
    // A place is held for a pod sent to its unit at admission; dry runs hold none.
    sideEffects: 'NoneOnDryRun',
    failurePolicy: policy,
    // How long pod creation waits for us before being refused (Fail) or going ahead (Ignore).
    timeoutSeconds: 5,
    matchPolicy: 'Equivalent',
    reinvocationPolicy: 'Never',
    clientConfig,
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ],
    namespaceSelector: {
      matchExpressions: [{ key: NAMESPACE_LABEL, operator: labelOperator }, skip],
    },
  });
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'spillway' } },
    webhooks: [
      webhook(WEBHOOK_NAME, failurePolicy, 'Exists'),
      webhook(WEBHOOK_NAME_UNLABELLED, 'Ignore', 'DoesNotExist'),
    ],
  };
}

/** Creates or replaces the configuration so it points at this process with its CA. */
export async function ensureWebhookConfiguration(
  kc: KubeConfig,
  config: V1MutatingWebhookConfiguration,
): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const name = config.metadata?.name ?? '';
  try {
    const existing = await api.readMutatingWebhookConfiguration({ name });
    await api.replaceMutatingWebhookConfiguration({
      name,
      body: {
        ...config,
        metadata: { ...config.metadata, resourceVersion: existing.metadata?.resourceVersion },
      },
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await api.createMutatingWebhookConfiguration({ body: config });
  }
}

export async function deleteWebhookConfiguration(kc: KubeConfig, name: string): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  try {
    await api.deleteMutatingWebhookConfiguration({ name });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}
