/**
 * The copy of a hub template that goes to one member: the template with hub-only fields
 * stripped (per kind, see kinds.ts), Spillway's ownership marks added, and for Divided kinds
 * this member's share.
 */
import { kindOf } from './kinds.js';
import { BINDING_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.js';

export { hasReplicas } from './kinds.js';

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
  'deployment.kubernetes.io/revision-history',
  'fleet.spillway.dev/adopt-existing',
  'fleet.spillway.dev/placement',
];

function withoutKeys<T>(obj: Record<string, T>, keys: readonly string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

/**
 * `replicas` is this member's share, written where the kind keeps its count (a Job's
 * parallelism); `share` carries any other per-member spec field (a Job's completions).
 */
export function memberCopy(
  template: TemplateObject,
  bindingKey: string,
  replicas: number | undefined,
  share: Readonly<Record<string, unknown>> = {},
): TemplateObject {
  const { name, namespace } = template.metadata;
  const annotations = withoutKeys(template.metadata.annotations ?? {}, HUB_ANNOTATIONS);
  annotations[BINDING_ANNOTATION] = bindingKey;
  // Only name, namespace, labels and annotations: uid, resourceVersion, generation,
  // managedFields, ownerReferences and finalizers all belong to the hub object.
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
  const kind = kindOf(template);
  kind.strip?.(copy, template);
  if (copy.spec) {
    if (replicas !== undefined && kind.replicaField) copy.spec[kind.replicaField] = replicas;
    Object.assign(copy.spec, share);
  }
  return copy;
}
