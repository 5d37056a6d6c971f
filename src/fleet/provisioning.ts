/**
 * The ProvisioningRequest (autoscaling.x-k8s.io/v1, cluster-autoscaler's API) and PodTemplate
 * that ask a member cluster for nodes for replicas waiting there. Named after the workload and
 * a hash of what is asked, so the same need maps to the same request across reconciles and
 * restarts, and a changed need to a new one.
 */
import { createHash } from 'node:crypto';

export const PR_GROUP = 'autoscaling.x-k8s.io';
export const PR_VERSION = 'v1';
export const PR_PLURAL = 'provisioningrequests';
/** Label on requests and templates Spillway made, with the binding name as value. */
export const PR_BINDING_LABEL = 'fleet.spillway.dev/binding-name';

export interface ProvisioningAsk {
  namespace: string;
  workload: string;
  bindingName: string;
  /** The workload's pod template spec (as JSON). */
  podSpec: unknown;
  podLabels: Record<string, string>;
  count: number;
  className: string;
}

export function provisioningName(ask: ProvisioningAsk): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([ask.podSpec, ask.count, ask.className]))
    .digest('hex')
    .slice(0, 8);
  return `${ask.workload.slice(0, 40)}-capacity-${hash}`;
}

export function podTemplateManifest(ask: ProvisioningAsk): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PodTemplate',
    metadata: {
      name: provisioningName(ask),
      namespace: ask.namespace,
      labels: { [PR_BINDING_LABEL]: ask.bindingName, 'app.kubernetes.io/managed-by': 'spillway' },
    },
    template: { metadata: { labels: ask.podLabels }, spec: ask.podSpec },
  };
}

export function provisioningRequestManifest(ask: ProvisioningAsk): Record<string, unknown> {
  const name = provisioningName(ask);
  return {
    apiVersion: `${PR_GROUP}/${PR_VERSION}`,
    kind: 'ProvisioningRequest',
    metadata: {
      name,
      namespace: ask.namespace,
      labels: { [PR_BINDING_LABEL]: ask.bindingName, 'app.kubernetes.io/managed-by': 'spillway' },
    },
    spec: {
      provisioningClassName: ask.className,
      podSets: [{ podTemplateRef: { name }, count: ask.count }],
    },
  };
}
