/** Small typed helpers e2e tests share on top of @kubernetes/client-node. */
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';

export function clients(kc: KubeConfig): { core: CoreV1Api; apps: AppsV1Api } {
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}

export async function ensureNamespace(core: CoreV1Api, name: string): Promise<void> {
  try {
    await core.readNamespace({ name });
  } catch {
    await core.createNamespace({ body: { metadata: { name } } });
  }
}

export function isRunning(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;
}

export function isUnschedulable(p: V1Pod): boolean {
  return (p.status?.conditions ?? []).some(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
}

export function deployment(
  name: string,
  namespace: string,
  replicas: number,
  requests: Record<string, string>,
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'main',
              image: 'example.invalid/app:1',
              resources: { requests, limits: requests },
            },
          ],
        },
      },
    },
  };
}

export async function podsOf(core: CoreV1Api, namespace: string, app: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
}

/**
 * A pod template's `spec` body as YAML for a manifest string, indented for `spec:` at 4 spaces:
 * one container with these CPU requests and limits, and `extra` YAML appended (mounts, volumes).
 */
export function podSpecYaml(cpu: string, extra = ''): string {
  return `
      containers:
      - name: main
        image: example.invalid/app:1
        resources: { requests: { cpu: "${cpu}" }, limits: { cpu: "${cpu}" } }${extra}`;
}
