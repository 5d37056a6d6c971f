/**
 * The MutatingWebhookConfiguration that sends pod creations to the webhook, kept up to date at
 * start-up (the caBundle changes whenever the CA is generated anew).
 *
 * failurePolicy Ignore: when the webhook cannot be reached (controller down, restarting, network
 * trouble), the API server creates the pod unchanged, without the gate, and kube-scheduler
 * places it as if no ResourcePolicy existed. Workloads never stop being created because of us;
 * the price is that pods created during an outage ignore the unit order (they still count in
 * the units of the nodes they land on, and get their deletion cost once the controller is back).
 */
import {
  AdmissionregistrationV1Api,
  type KubeConfig,
  type V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';

export interface WebhookEndpoint {
  /** https URL for an API server that reaches the webhook directly, e.g. https://127.0.0.1:9443/mutate. */
  url?: string;
  /** Or an in-cluster Service in front of the webhook. */
  service?: { namespace: string; name: string; port?: number };
}

export const WEBHOOK_NAME = 'resource-policy-gate.scheduling.alibabacloud.com';

export function webhookConfiguration(
  name: string,
  endpoint: WebhookEndpoint,
  caBundle: string,
  skipNamespaces: readonly string[],
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
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'spillway' } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        // Pod creation waits at most this long for us before going ahead ungated.
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
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...skipNamespaces] },
          ],
        },
      },
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
