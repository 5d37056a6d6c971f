/**
 * The copy of a hub template that goes to one member: the template with hub-only fields
 * stripped, Spillway's ownership marks added, and for Divided kinds this member's replicas.
 */
import { BINDING_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.js';

export interface TemplateObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Annotations that describe the hub object itself, not the workload. */
const HUB_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'fleet.spillway.dev/adopt-existing',
];

/** Service fields the hub's API server allocated; each member allocates its own. */
const SERVICE_ALLOCATED = ['clusterIP', 'clusterIPs', 'healthCheckNodePort'];

function withoutKeys<T>(obj: Record<string, T>, keys: readonly string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

export function memberCopy(
  template: TemplateObject,
  bindingKey: string,
  replicas: number | undefined,
): TemplateObject {
  const { name, namespace } = template.metadata;
  const annotations = withoutKeys(template.metadata.annotations ?? {}, HUB_ANNOTATIONS);
  annotations[BINDING_ANNOTATION] = bindingKey;
  const copy: TemplateObject = {
    apiVersion: template.apiVersion,
    kind: template.kind,
    metadata: {
      name,
      namespace,
      labels: { ...(template.metadata.labels ?? {}), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations,
    },
  };
  for (const [k, v] of Object.entries(template)) {
    if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status')
      copy[k] = structuredClone(v);
  }
  if (copy.spec && replicas !== undefined) copy.spec.replicas = replicas;
  if (template.apiVersion === 'v1' && template.kind === 'Service' && copy.spec) {
    copy.spec = withoutKeys(copy.spec, SERVICE_ALLOCATED);
    const ports = copy.spec.ports;
    if (Array.isArray(ports)) {
      copy.spec.ports = ports.map((p: Record<string, unknown>) => {
        const { nodePort: _nodePort, ...rest } = p;
        return rest;
      });
    }
  }
  return copy;
}

/** Kinds Spillway divides by replicas; everything else is copied whole to each cluster. */
export function hasReplicas(template: TemplateObject): boolean {
  return (
    typeof template.spec?.replicas === 'number' ||
    (template.apiVersion === 'apps/v1' &&
      ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(template.kind))
  );
}
