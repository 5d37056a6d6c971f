/**
 * The bind stage's decision (pure): the ResourceBinding a schedule result is written as, the
 * one durable memory of where the template's replicas are (spec.clusters, a rebalance move).
 * Like Karmada's BuildResourceBinding, minus its API read.
 */
import {
  FLEET_API_VERSION,
  bindingName,
  type ResourceBinding,
  type ResourceBindingSpec,
  type TargetCluster,
} from '../api/fleet.js';
import type { TemplateObject } from './member-copy.js';
import { BINDING_FINALIZER } from './ownership.js';
import type { RebalanceDecision } from './rebalance.js';
import { manualAfter, rebalanceStateOf } from './rebalance-binding.js';
import { replicaRequirements } from './requirements.js';
import type { SchedulePlan } from './schedule-plan.js';
import type { Workload } from './schedule-plan.js';
import type { TemplateKey } from './template-key.js';
import { reasonText } from '../scheduler/reasons.js';

export interface BindingSpecInput {
  key: TemplateKey;
  template: TemplateObject;
  workload: Workload;
  targets: readonly TargetCluster[];
  rebalance?: RebalanceDecision;
  manual: Extract<SchedulePlan, { ok: true }>['manual'];
}

export function bindingSpecOf(i: BindingSpecInput): ResourceBindingSpec {
  const { key, template, workload: w } = i;
  const policy = w.policy;
  const spec: ResourceBindingSpec = {
    resource: {
      apiVersion: key.apiVersion,
      kind: key.kind,
      namespace: key.namespace,
      name: key.name,
      uid: template.metadata.uid as string,
      resourceVersion: template.metadata.resourceVersion as string,
    },
    replicas: w.withReplicas ? w.replicas : 0,
    policy: {
      kind: policy.kind,
      name: policy.metadata.name ?? '',
      ...(policy.kind === 'PropagationPolicy'
        ? { namespace: policy.metadata.namespace ?? '' }
        : {}),
    },
    preserveResourcesOnDeletion: policy.spec.preserveResourcesOnDeletion ?? false,
    clusters: [...i.targets],
  };
  const req = replicaRequirements(template);
  if (req) spec.replicaRequirements = req;
  if (policy.spec.placement) spec.placement = policy.spec.placement;
  if (policy.spec.autoScaling) spec.autoScaling = policy.spec.autoScaling;
  if (policy.spec.rebalance) spec.rebalance = policy.spec.rebalance;
  const rebalancing = i.rebalance
    ? rebalanceStateOf(i.rebalance, manualAfter(i.manual.manual, i.rebalance))
    : i.manual.serving !== undefined
      ? {
          manual: {
            request: i.manual.serving,
            phase: 'Failed' as const,
            message: 'only Divided workloads with replicas can be rebalanced',
          },
        }
      : undefined;
  if (rebalancing) spec.rebalancing = rebalancing;
  return spec;
}

/**
 * The spec with the template resourceVersion the live binding recorded, when it is a binding of
 * the same template: `spec.resource.resourceVersion` says which template version the binding
 * was last updated from, so a template write that changes nothing the binding holds (the
 * controller's own status, placement annotation or finalizer writes, each a new
 * resourceVersion) must not rewrite the binding. Undefined when there is nothing else to keep.
 */
export function withRecordedVersion(
  spec: ResourceBindingSpec,
  live: ResourceBinding | undefined,
): ResourceBindingSpec | undefined {
  const recorded = live?.spec.resource;
  if (!recorded?.resourceVersion || recorded.uid !== spec.resource.uid) return undefined;
  if (recorded.resourceVersion === spec.resource.resourceVersion) return undefined;
  return { ...spec, resource: { ...spec.resource, resourceVersion: recorded.resourceVersion } };
}

/**
 * The targets, with the reason the live binding recorded for each cluster whose count this pass
 * only kept. A reason says why a cluster got its count when that count was decided ("group idc:
 * took 4 of 4 available"); the next pass, which keeps it, says "group idc: kept 4", and
 * rewriting the binding for that text alone cost an apply and a new generation (so one more
 * status write) per workload. A reason that says more than "kept" (a failed cluster whose
 * replicas have nowhere to go, replicas still waiting) is written as it is.
 */
export function withRecordedReasons(
  targets: readonly TargetCluster[],
  live: ResourceBinding | undefined,
): TargetCluster[] {
  const before = new Map((live?.spec.clusters ?? []).map((c) => [c.name, c]));
  return targets.map((t) => {
    const b = before.get(t.name);
    const same =
      b?.reason !== undefined &&
      b.replicas === t.replicas &&
      b.affinityName === t.affinityName &&
      b.waitingForCapacity === t.waitingForCapacity;
    return same && t.reason === reasonText(t.affinityName, [`kept ${t.replicas ?? 0}`])
      ? { ...t, reason: b.reason }
      : t;
  });
}

/** The body of the binding's server-side apply. */
export type BindingBody = Pick<ResourceBinding, 'apiVersion' | 'kind' | 'spec'> & {
  metadata: {
    name: string;
    namespace: string;
    finalizers: string[];
    ownerReferences: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller: boolean;
      blockOwnerDeletion: boolean;
    }[];
  };
};

export function bindingBody(
  key: TemplateKey,
  template: TemplateObject,
  spec: ResourceBindingSpec,
): BindingBody {
  return {
    apiVersion: FLEET_API_VERSION,
    kind: 'ResourceBinding',
    metadata: {
      name: bindingName(key.name, key.kind),
      namespace: key.namespace,
      // Held until the member copies are gone, whatever deletes the binding (the template's
      // finalizer path, the garbage collector, or the namespace controller).
      finalizers: [BINDING_FINALIZER],
      // The hub's garbage collector removes the binding with its template.
      ownerReferences: [
        {
          apiVersion: template.apiVersion,
          kind: template.kind,
          name: key.name,
          uid: template.metadata.uid as string,
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
    },
    spec,
  };
}
