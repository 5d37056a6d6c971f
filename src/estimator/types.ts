/**
 * The node and pod fields the estimator reads, as minimal structural types. They mirror the
 * optionality of @kubernetes/client-node's V1Node / V1Pod / V1PodTemplateSpec, so informer
 * objects can be passed as they are, while this module stays free of that dependency.
 */

/** A ResourceList: resource name -> quantity ("500m", "1Gi", "2"). */
export interface ResourceListInput {
  readonly [resource: string]: string | number | undefined;
}

export interface TaintInput {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface TolerationInput {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

export interface NodeSelectorRequirementInput {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface NodeSelectorTermInput {
  readonly matchExpressions?: readonly NodeSelectorRequirementInput[];
  readonly matchFields?: readonly NodeSelectorRequirementInput[];
}

export interface ContainerInput {
  readonly resources?: { readonly requests?: ResourceListInput };
  /** 'Always' on an init container makes it a sidecar (KEP-753). */
  readonly restartPolicy?: string;
}

export interface PodSpecInput {
  readonly nodeName?: string;
  readonly containers?: readonly ContainerInput[];
  readonly initContainers?: readonly ContainerInput[];
  readonly overhead?: ResourceListInput;
  /** Pod-level resources (KEP-2837): cpu and memory here override the container sum. */
  readonly resources?: { readonly requests?: ResourceListInput };
  readonly tolerations?: readonly TolerationInput[];
  readonly nodeSelector?: { readonly [key: string]: string };
  readonly affinity?: {
    readonly nodeAffinity?: {
      readonly requiredDuringSchedulingIgnoredDuringExecution?: {
        readonly nodeSelectorTerms: readonly NodeSelectorTermInput[];
      };
    };
  };
}

export interface NodeInput {
  readonly metadata?: {
    readonly name?: string;
    readonly labels?: { readonly [key: string]: string };
  };
  readonly spec?: { readonly unschedulable?: boolean; readonly taints?: readonly TaintInput[] };
  readonly status?: {
    readonly allocatable?: ResourceListInput;
    readonly conditions?: readonly { readonly type: string; readonly status: string }[];
  };
}

export interface PodInput {
  readonly metadata?: {
    readonly uid?: string;
    readonly namespace?: string;
    readonly name?: string;
    /** Only its presence is read: a terminating pod still holds its requests. */
    readonly deletionTimestamp?: unknown;
  };
  readonly spec?: PodSpecInput;
  readonly status?: { readonly phase?: string };
}

/** What a query is about: a pod template (V1PodTemplateSpec) or a pod. */
export interface PodTemplateInput {
  readonly spec?: PodSpecInput;
}
