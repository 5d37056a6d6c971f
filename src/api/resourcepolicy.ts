/**
 * ResourcePolicy (scheduling.alibabacloud.com/v1alpha1): the order in which the pods it selects
 * fill a cluster's resource units, and the reverse order of scale-in. The schema, with every
 * field's documentation and validation, is
 * config/crds/scheduling.alibabacloud.com_resourcepolicies.yaml. Fields with a schema default
 * are optional here: these types describe objects as users write them.
 */
import type { Condition, ObjectMeta, ResourceList } from './meta.js';

export const RESOURCE_POLICY_GROUP = 'scheduling.alibabacloud.com';
export const RESOURCE_POLICY_VERSION = 'v1alpha1';
export const RESOURCE_POLICY_API_VERSION =
  `${RESOURCE_POLICY_GROUP}/${RESOURCE_POLICY_VERSION}` as const;
export const RESOURCE_POLICY_KIND = 'ResourcePolicy';
export const RESOURCE_POLICY_PLURAL = 'resourcepolicies';

export const UNIT_RESOURCES = ['ecs', 'eci', 'acs', 'elastic'] as const;
export type UnitResource = (typeof UNIT_RESOURCES)[number];

export const STRATEGIES = ['prefer'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const PREEMPT_POLICIES = ['BeforeNextUnit', 'AfterAllUnits'] as const;
export type PreemptPolicy = (typeof PREEMPT_POLICIES)[number];

export const TRY_NEXT_POLICIES = [
  'LackResourceOrExceedMax',
  'ExceedMax',
  'TimeoutOrExceedMax',
  'LackResourceAndNoTerminating',
] as const;
export type TryNextPolicy = (typeof TRY_NEXT_POLICIES)[number];

/**
 * In a unit's podLabels: pods wait in this unit for an auto-scaling node pool to add nodes. It
 * is never put on pods and not required for a pod to count in the unit.
 */
export const WAIT_FOR_SCALING_LABEL = 'k8s.aliyun.com/resource-policy-wait-for-ecs-scaling';

/** Labels the system may rewrite on pods, so a selector must not use them (seed warning). */
export const RESERVED_SELECTOR_LABELS = [
  'alibabacloud.com/compute-class',
  'alibabacloud.com/compute-qos',
] as const;

/** Schema defaults, which the API server fills in; exported for code that reads raw input. */
export const RESOURCE_POLICY_DEFAULTS = {
  strategy: 'prefer',
  preemptPolicy: 'AfterAllUnits',
  ignorePreviousPod: false,
  ignoreTerminatingPod: true,
  whenTryNextUnitsPolicy: 'LackResourceOrExceedMax',
  timeout: '15m',
} as const;

export interface ResourcePolicyUnit {
  resource: UnitResource;
  nodeSelector?: Record<string, string>;
  /** Most pods counted in the unit, per matchLabelKeys group. */
  max?: number;
  /** Most summed requests of the pods counted in the unit. */
  maxResources?: ResourceList;
  podLabels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
}

export interface WhenTryNextUnits {
  policy?: TryNextPolicy;
  /** A Go duration (30s, 1m, 15m). Only read under TimeoutOrExceedMax. */
  timeout?: string;
}

export interface ResourcePolicySpec {
  /** Pods of the namespace whose labels contain all of these; empty selects every pod. */
  selector?: Record<string, string>;
  strategy?: Strategy;
  units: ResourcePolicyUnit[];
  preemptPolicy?: PreemptPolicy;
  ignorePreviousPod?: boolean;
  ignoreTerminatingPod?: boolean;
  matchLabelKeys?: string[];
  whenTryNextUnits?: WhenTryNextUnits;
}

/** One matchLabelKeys group of a unit: max and maxResources apply to each group alone. */
export interface UnitGroupStatus {
  /** The group's values of matchLabelKeys. */
  labels: Record<string, string>;
  pods: number;
  resources?: Record<string, string>;
}

export interface UnitStatus {
  index: number;
  resource: string;
  /** Pods counted in the unit, all matchLabelKeys groups together. */
  pods: number;
  /** With matchLabelKeys: the pods of the largest group, which is what max limits. */
  largestGroupPods?: number;
  /** With matchLabelKeys: per group, what is counted. */
  groups?: UnitGroupStatus[];
  /** spec maxResources, as written. */
  maxResources?: Record<string, string>;
  /** Pods sent to the unit that no node has taken yet. */
  waitingPods?: number;
  terminatingPods?: number;
  max?: number;
  /** Summed effective requests of the counted pods, as quantities. */
  resources?: Record<string, string>;
  /** RFC 3339: until then, new pods do not wait in this unit (a pod timed out here). */
  waitSuspendedUntil?: string;
}

export interface ResourcePolicyStatus {
  observedGeneration?: number;
  gatedPods?: number;
  /** Placed pods the policy selects that run (or wait) outside every unit. */
  podsOutsideUnits?: number;
  summary?: string;
  units?: UnitStatus[];
  conditions?: Condition[];
}

export interface ResourcePolicy {
  apiVersion: typeof RESOURCE_POLICY_API_VERSION;
  kind: typeof RESOURCE_POLICY_KIND;
  metadata: ObjectMeta;
  spec: ResourcePolicySpec;
  status?: ResourcePolicyStatus;
}

/** Reasons per ResourcePolicy condition type (docs/fleet-controller.md lists what to do). */
export const ResourcePolicyConditionReasons = {
  Ready: {
    Accepted: 'Accepted',
    /** The spec cannot be used (the message lists every problem). */
    InvalidSpec: 'InvalidSpec',
  },
  Warnings: {
    /** The spec is usable but has parts that will not do what they seem to. */
    SpecWarnings: 'SpecWarnings',
  },
  Conflict: {
    /** Another ResourcePolicy takes some of the same pods. */
    OverlappingSelector: 'OverlappingSelector',
  },
} as const;
