/**
 * propagateDeps, the pure part: which hub objects a workload's pod template references
 * (ConfigMaps, Secrets, its ServiceAccount, PersistentVolumeClaims), and what the member copy of
 * such a dependency looks like. A member copy lists every binding that needs it in one label
 * per binding, so two workloads sharing a ConfigMap each add and remove only their own label,
 * and the copy goes when the last label does.
 */
import { createHash } from 'node:crypto';
import { ResourceBindingConditionReasons, ResourceBindingConditionTypes } from '../api/fleet.js';
import { BINDING_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.js';
import type { TemplateObject } from './member-copy.js';

export const DEPENDENCY_KINDS = [
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'PersistentVolumeClaim',
] as const;
export type DependencyKind = (typeof DEPENDENCY_KINDS)[number];

export interface DependencyRef {
  kind: DependencyKind;
  name: string;
  /** Every reference is marked optional: a missing object is not a problem. */
  optional: boolean;
}

/** Prefix of the per-binding labels on a dependency copy in a member. */
export const REQUIRED_BY_PREFIX = 'requiredby.fleet.spillway.dev/';

/** On a hub binding: this binding has (or may have) dependency copies in members. */
export const DEPENDENCIES_ANNOTATION = 'fleet.spillway.dev/dependencies';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The pod spec of a workload: spec.template (Deployment, StatefulSet, Job, ...), a CronJob's job template, or a Pod. */
export function podSpecOf(t: TemplateObject): Json | undefined {
  if (t.apiVersion === 'v1' && t.kind === 'Pod') return isObject(t.spec) ? t.spec : undefined;
  const spec = t.spec;
  if (!isObject(spec)) return undefined;
  const direct = isObject(spec.template) ? spec.template.spec : undefined;
  if (isObject(direct)) return direct;
  const job = isObject(spec.jobTemplate) ? spec.jobTemplate.spec : undefined;
  const nested = isObject(job) && isObject(job.template) ? job.template.spec : undefined;
  return isObject(nested) ? nested : undefined;
}

/** Volume sources that name a Secret in `secretRef.name` (cephfs, cinder, flexVolume, ...). */
const SECRET_REF_VOLUMES = [
  'cephfs',
  'cinder',
  'flexVolume',
  'iscsi',
  'rbd',
  'scaleIO',
  'storageos',
];

/** Every ConfigMap, Secret, ServiceAccount and PVC a pod spec references, sorted, once each. */
export function dependenciesOfPodSpec(spec: Json): DependencyRef[] {
  const found = new Map<string, DependencyRef>();
  const add = (kind: DependencyKind, name: string | undefined, optional = false) => {
    if (!name) return;
    const key = `${kind}/${name}`;
    const seen = found.get(key);
    // Required once is required: a missing object then breaks some container.
    found.set(key, { kind, name, optional: (seen?.optional ?? true) && optional });
  };
  const optionalOf = (ref: Json) => ref.optional === true;

  for (const v of objects(spec.volumes)) {
    if (isObject(v.configMap)) add('ConfigMap', str(v.configMap.name), optionalOf(v.configMap));
    if (isObject(v.secret)) add('Secret', str(v.secret.secretName), optionalOf(v.secret));
    if (isObject(v.persistentVolumeClaim))
      add('PersistentVolumeClaim', str(v.persistentVolumeClaim.claimName));
    if (isObject(v.projected))
      for (const s of objects(v.projected.sources)) {
        if (isObject(s.configMap)) add('ConfigMap', str(s.configMap.name), optionalOf(s.configMap));
        if (isObject(s.secret)) add('Secret', str(s.secret.name), optionalOf(s.secret));
      }
    if (isObject(v.csi) && isObject(v.csi.nodePublishSecretRef))
      add('Secret', str(v.csi.nodePublishSecretRef.name));
    if (isObject(v.azureFile)) add('Secret', str(v.azureFile.secretName));
    for (const source of SECRET_REF_VOLUMES) {
      const vs = v[source];
      if (isObject(vs) && isObject(vs.secretRef)) add('Secret', str(vs.secretRef.name));
    }
  }
  const containers = [
    ...objects(spec.initContainers),
    ...objects(spec.containers),
    ...objects(spec.ephemeralContainers),
  ];
  for (const c of containers) {
    for (const e of objects(c.env)) {
      const from = e.valueFrom;
      if (!isObject(from)) continue;
      if (isObject(from.configMapKeyRef))
        add('ConfigMap', str(from.configMapKeyRef.name), optionalOf(from.configMapKeyRef));
      if (isObject(from.secretKeyRef))
        add('Secret', str(from.secretKeyRef.name), optionalOf(from.secretKeyRef));
    }
    for (const e of objects(c.envFrom)) {
      if (isObject(e.configMapRef))
        add('ConfigMap', str(e.configMapRef.name), optionalOf(e.configMapRef));
      if (isObject(e.secretRef)) add('Secret', str(e.secretRef.name), optionalOf(e.secretRef));
    }
  }
  // A missing pull secret only degrades to anonymous pulls, as the kubelet treats it.
  for (const s of objects(spec.imagePullSecrets)) add('Secret', str(s.name), true);
  // Every namespace has its own `default` ServiceAccount; it is never propagated.
  const sa = str(spec.serviceAccountName) ?? str(spec.serviceAccount);
  if (sa && sa !== 'default') add('ServiceAccount', sa);

  return [...found.values()].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
}

/** The dependencies of a workload template; none for kinds without a pod template. */
export function dependenciesOf(t: TemplateObject): DependencyRef[] {
  const spec = podSpecOf(t);
  return spec ? dependenciesOfPodSpec(spec) : [];
}

/**
 * The label a binding puts on the dependency copies it needs. The key is a hash of the binding
 * name (label names are limited to 63 characters); the value names the binding when it fits.
 */
export function requiredByLabel(bindingName: string): { key: string; value: string } {
  const hash = createHash('sha256').update(bindingName).digest('hex').slice(0, 16);
  const fits = bindingName.length <= 63 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(bindingName);
  return { key: `${REQUIRED_BY_PREFIX}${hash}`, value: fits ? bindingName : hash };
}

export function requiredByKeys(labels: Readonly<Record<string, string>> | undefined): string[] {
  return Object.keys(labels ?? {})
    .filter((k) => k.startsWith(REQUIRED_BY_PREFIX))
    .sort();
}

/** Annotations that describe the hub object itself or are set by the hub's own controllers. */
const HUB_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'fleet.spillway.dev/adopt-existing',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];

/** The fields of each kind that the member copy takes from the hub and keeps in sync. */
const SYNCED_FIELDS: Record<DependencyKind, readonly string[]> = {
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Secret: ['type', 'data', 'immutable'],
  // `secrets` lists the hub's token Secrets; each member makes its own.
  ServiceAccount: ['imagePullSecrets', 'automountServiceAccountToken'],
  // A claim's spec is immutable once bound; it is written at creation only (below).
  PersistentVolumeClaim: [],
};

export interface MemberObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    managedFields?: unknown;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/**
 * The member object a dependency should be: the hub object's synced fields, labels and
 * annotations, Spillway's mark, and the required-by labels of `existing` plus `label`.
 * Built on `existing` (when there is one) so fields the member set stay.
 */
export function dependencyCopy(
  kind: DependencyKind,
  hub: MemberObject,
  existing: MemberObject | undefined,
  label: { key: string; value: string },
): MemberObject {
  const keptRequiredBy = Object.fromEntries(
    requiredByKeys(existing?.metadata?.labels).map((k) => [
      k,
      existing?.metadata?.labels?.[k] ?? '',
    ]),
  );
  keptRequiredBy[label.key] = label.value;
  const annotations = Object.fromEntries(
    Object.entries(hub.metadata?.annotations ?? {}).filter(([k]) => !HUB_ANNOTATIONS.includes(k)),
  );
  // The copy may also be a template's own copy (a policy selects the ConfigMap itself).
  const binding = existing?.metadata?.annotations?.[BINDING_ANNOTATION];
  if (binding) annotations[BINDING_ANNOTATION] = binding;
  const metadata = {
    ...(existing?.metadata ?? {}),
    name: hub.metadata?.name ?? '',
    namespace: hub.metadata?.namespace ?? '',
    labels: {
      ...(hub.metadata?.labels ?? {}),
      ...keptRequiredBy,
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    },
    annotations,
  };
  // The server keeps its field ownership records; a replace need not carry them.
  delete metadata.managedFields;
  if (!existing) {
    // A new object: everything but the hub's own bookkeeping.
    const copy: MemberObject = { apiVersion: 'v1', kind, metadata };
    for (const [k, v] of Object.entries(hub))
      if (!['apiVersion', 'kind', 'metadata', 'status', 'secrets'].includes(k))
        copy[k] = structuredClone(v);
    if (kind === 'PersistentVolumeClaim' && isObject(copy.spec)) {
      // The hub's bound volume does not exist in the member; the member binds its own.
      const { volumeName: _volumeName, ...spec } = copy.spec;
      copy.spec = spec;
    }
    return copy;
  }
  const synced = SYNCED_FIELDS[kind];
  const copy: MemberObject = Object.fromEntries(
    Object.entries(structuredClone(existing)).filter(([k]) => !synced.includes(k)),
  );
  Object.assign(copy, { apiVersion: 'v1', kind, metadata });
  for (const f of synced) if (hub[f] !== undefined) copy[f] = structuredClone(hub[f]);
  return copy;
}

/** `existing` without one binding's label: what is left when that binding no longer needs it. */
export function withoutRequiredBy(existing: MemberObject, key: string): MemberObject {
  const labels = Object.fromEntries(
    Object.entries(existing.metadata?.labels ?? {}).filter(([k]) => k !== key),
  );
  const metadata = { ...(existing.metadata ?? {}), labels };
  delete metadata.managedFields;
  return { ...existing, metadata };
}

/** Whether writing `desired` over `existing` would change anything we manage. */
export function dependencyDiffers(
  kind: DependencyKind,
  existing: MemberObject,
  desired: MemberObject,
): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
  if (!same(existing.metadata?.labels ?? {}, desired.metadata?.labels ?? {})) return true;
  if (!same(existing.metadata?.annotations ?? {}, desired.metadata?.annotations ?? {})) return true;
  return SYNCED_FIELDS[kind].some((f) => !same(existing[f], desired[f]));
}

/** JSON with object keys in order, so equal content compares equal. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (isObject(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted(v[k])]),
    );
  return v;
}

/** Secrets the member's own token controller makes; copying the hub's would be wrong. */
export function isServiceAccountToken(hub: MemberObject): boolean {
  return hub.type === 'kubernetes.io/service-account-token';
}

export interface DependencyReport {
  /** The dependencies the template references. */
  refs: DependencyRef[];
  /** "ConfigMap app-config": referenced, not optional, and not on the hub. */
  missing: string[];
  /** Anything else that kept a dependency from a member, one line each. */
  problems: string[];
  /** Something is left to do (a member unreachable, a write failed): check again soon. */
  pending: boolean;
}

export const DEPENDENCIES_CONDITION = ResourceBindingConditionTypes.DependenciesApplied;
const REASONS = ResourceBindingConditionReasons.DependenciesApplied;

/** The binding condition for a sync report: True when every dependency is where it should be. */
export function dependencyCondition(report: DependencyReport): {
  status: 'True' | 'False';
  reason: string;
  message: string;
} {
  if (report.missing.length > 0)
    return {
      status: 'False',
      reason: REASONS.DependencyMissing,
      message: [`not on the hub: ${report.missing.join(', ')}`, ...report.problems].join('; '),
    };
  if (report.problems.length > 0)
    return { status: 'False', reason: REASONS.NotApplied, message: report.problems.join('; ') };
  return {
    status: 'True',
    reason: REASONS.Applied,
    message:
      report.refs.length > 0
        ? `propagated with the workload: ${report.refs.map((r) => `${r.kind} ${r.name}`).join(', ')}`
        : 'the pod template references no ConfigMap, Secret, ServiceAccount or PersistentVolumeClaim',
  };
}
