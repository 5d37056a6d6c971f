/**
 * The Kubernetes shapes our CRDs embed (object metadata, label selectors, conditions, resource
 * lists), as they arrive in JSON: timestamps are RFC 3339 strings, quantities are strings or
 * numbers. Declared here so that decision code does not depend on @kubernetes/client-node.
 */

/** Owner of an object, for garbage collection. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The metadata fields Spillway reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** Every top-level API object: apiVersion, kind and metadata. */
export interface TypeMeta<ApiVersion extends string, Kind extends string> {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: ObjectMeta;
}

export const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type LabelSelectorOperator = (typeof LABEL_SELECTOR_OPERATORS)[number];

/** metav1.LabelSelectorRequirement. */
export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  /** Non-empty for In and NotIn, empty for Exists and DoesNotExist. */
  values?: string[];
}

/** metav1.LabelSelector: all of matchLabels and matchExpressions must hold; {} matches all. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  /** RFC 3339 time. */
  lastTransitionTime: string;
  /** CamelCase identifier of the reason. */
  reason: string;
  message: string;
}

/** A resource quantity as JSON carries it: "500m", "1Gi", "2" or 2. */
export type Quantity = string | number;

/** Quantities by resource name (cpu, memory, pods, nvidia.com/gpu, ...). */
export type ResourceList = Record<string, Quantity>;
