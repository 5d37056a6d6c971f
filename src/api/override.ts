/**
 * OverridePolicy and ClusterOverridePolicy (policy.one.alibabacloud.com/v1alpha1, the fields of
 * Karmada's): how the copy of a template differs in some member clusters. The schema, with the
 * documentation of every field and its validation, is config/crds/policy.one.alibabacloud.com_*.
 */
import type { Condition, TypeMeta } from './meta.js';
import type { POLICY_API_VERSION, ClusterAffinity, ResourceSelector } from './policy.js';

export const OVERRIDE_KINDS = ['OverridePolicy', 'ClusterOverridePolicy'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

export const OVERRIDER_OPERATORS = ['add', 'remove', 'replace'] as const;
export type OverriderOperator = (typeof OVERRIDER_OPERATORS)[number];

export const IMAGE_COMPONENTS = ['Registry', 'Repository', 'Tag'] as const;
export type ImageComponent = (typeof IMAGE_COMPONENTS)[number];

/** A JSON value, as `value` carries it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** One JSON patch operation on the member copy (RFC 6902 add, remove, replace). */
export interface PlaintextOverrider {
  /** A JSON pointer (RFC 6901), e.g. /spec/template/spec/nodeSelector. */
  path: string;
  operator: OverriderOperator;
  /** Required for add and replace, absent for remove. */
  value?: JsonValue;
}

export interface ImagePredicate {
  /** The JSON pointer of one image field, e.g. /spec/template/spec/containers/0/image. */
  path: string;
}

/** Changes one part of `[registry/]repository[:tag|@digest]` of container images. */
export interface ImageOverrider {
  /** Absent: every container image of a Pod, ReplicaSet, Deployment, StatefulSet, DaemonSet or Job. */
  predicate?: ImagePredicate;
  component: ImageComponent;
  operator: OverriderOperator;
  /** Required for add and replace. */
  value?: string;
}

/** Appends to or removes from the command or args of one named container. */
export interface CommandArgsOverrider {
  containerName: string;
  operator: 'add' | 'remove';
  value?: string[];
}

/** Adds, removes or replaces labels (or annotations) of the member copy itself. */
export interface LabelAnnotationOverrider {
  operator: OverriderOperator;
  value: Record<string, string>;
}

/** One JSON patch operation inside the document a string field holds. */
export interface FieldPatchOperation {
  /** A JSON pointer inside that document. */
  subPath: string;
  operator: OverriderOperator;
  value?: JsonValue;
}

/** Patches a JSON or YAML document held in a string field (e.g. a ConfigMap value). */
export interface FieldOverrider {
  /** JSON pointer of the string field, e.g. /data/config.yaml. */
  fieldPath: string;
  /** Exactly one of json and yaml. */
  json?: FieldPatchOperation[];
  yaml?: FieldPatchOperation[];
}

/**
 * Applied in this order, as Karmada does: imageOverrider, commandOverrider, argsOverrider,
 * labelsOverrider, annotationsOverrider, fieldOverrider, plaintext.
 */
export interface Overriders {
  plaintext?: PlaintextOverrider[];
  imageOverrider?: ImageOverrider[];
  commandOverrider?: CommandArgsOverrider[];
  argsOverrider?: CommandArgsOverrider[];
  labelsOverrider?: LabelAnnotationOverrider[];
  annotationsOverrider?: LabelAnnotationOverrider[];
  fieldOverrider?: FieldOverrider[];
}

/**
 * The target is every member cluster when absent; otherwise the clusters that clusterNames or
 * labelSelector select (every cluster when neither is set), minus exclude.
 */
export interface RuleWithCluster {
  targetCluster?: ClusterAffinity;
  overriders: Overriders;
}

export interface OverrideSpec {
  /** Absent or empty: every template (of the policy's namespace for an OverridePolicy). */
  resourceSelectors?: ResourceSelector[];
  overrideRules?: RuleWithCluster[];
}

export const OverrideConditionTypes = {
  /** Every member copy the policy applies to got its overriders. */
  Applied: 'Applied',
} as const;

/** Reasons of the override policy's condition (docs/fleet-controller.md lists what to do). */
export const OverrideConditionReasons = {
  Applied: {
    Applied: 'Applied',
    /** An overrider could not be applied to some member copy; that copy is left as it was. */
    OverrideFailed: 'OverrideFailed',
  },
} as const;

export interface OverridePolicyStatus {
  observedGeneration?: number;
  /** Member copies the policy's rules apply to now. */
  appliedCopies?: number;
  conditions?: Condition[];
}

export interface OverridePolicy extends TypeMeta<typeof POLICY_API_VERSION, 'OverridePolicy'> {
  spec: OverrideSpec;
  status?: OverridePolicyStatus;
}

export interface ClusterOverridePolicy extends TypeMeta<
  typeof POLICY_API_VERSION,
  'ClusterOverridePolicy'
> {
  spec: OverrideSpec;
  status?: OverridePolicyStatus;
}

export type AnyOverridePolicy = OverridePolicy | ClusterOverridePolicy;
