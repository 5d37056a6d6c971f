/**
 * The change that sends a gated pod to a unit, as one JSON merge patch: the unit's nodeSelector
 * (allowed on a gated pod, additions only), tolerations of virtual nodes, podLabels and
 * podAnnotations, the controller's bookkeeping annotations and deletion cost, and the gate
 * removed. It carries the pod's resourceVersion, so a pod changed meanwhile gets a conflict
 * instead of a decision taken on stale data.
 */
import {
  ANNOTATION_ASSIGNED_AT,
  ANNOTATION_POLICY,
  ANNOTATION_UNIT,
  ANNOTATION_WAITING,
  COMPUTE_CLASS_LABEL,
  COMPUTE_QOS_LABEL,
  COMPUTE_QOS_STRATEGY_ANNOTATION,
  DELETION_COST,
  GATE,
  VIRTUAL_NODE_LABEL,
  VIRTUAL_NODE_TAINT_KEY,
  VIRTUAL_NODE_TYPE_LABEL,
  VIRTUAL_NODE_VALUE,
} from './constants.js';
import { deletionCost } from './deletion-cost.js';
import type { Policy, Unit } from './spec.js';
import type { PolicyPod } from './types.js';
import type {
  NodeSelectorRequirementInput,
  NodeSelectorTermInput,
  TolerationInput,
} from '../estimator/types.js';

/** The required node affinity a pod gets in a unit: the pod's own terms, each narrowed. */
export interface RequiredAffinity {
  nodeSelectorTerms: NodeSelectorTermInput[];
}

export interface PodPatch {
  metadata: {
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec?: {
    nodeSelector?: Record<string, string>;
    tolerations?: TolerationInput[];
    affinity?: {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: RequiredAffinity };
    };
    schedulingGates: { name: string }[];
  };
}

/** Tolerations a pod needs for a unit's nodes: virtual nodes carry the virtual-kubelet taint. */
export const VIRTUAL_NODE_TOLERATION: TolerationInput = {
  key: VIRTUAL_NODE_TAINT_KEY,
  operator: 'Exists',
  effect: 'NoSchedule',
};

/** The nodeSelector the pod gets in the unit (virtual units also select virtual nodes). */
export function unitNodeSelector(unit: Unit): Record<string, string> {
  const sel = { ...unit.nodeSelector };
  if (unit.virtual) sel[VIRTUAL_NODE_LABEL] = VIRTUAL_NODE_VALUE;
  return sel;
}

/**
 * What keeps a pod on its unit's kind of node, beyond the nodeSelector (which can only say
 * "equals"): an ecs unit never uses virtual nodes, even for a pod that tolerates their taint;
 * an eci unit never uses ACS virtual nodes and an acs unit never ECI ones (a virtual node
 * without the type label may serve either, as membership.ts counts it).
 */
export function unitKindRequirement(unit: Unit): NodeSelectorRequirementInput {
  if (!unit.virtual)
    return { key: VIRTUAL_NODE_LABEL, operator: 'NotIn', values: [VIRTUAL_NODE_VALUE] };
  return {
    key: VIRTUAL_NODE_TYPE_LABEL,
    operator: 'NotIn',
    values: [unit.resource === 'acs' ? 'eci' : 'acs'],
  };
}

/**
 * The pod's required node affinity with the unit's kind requirement added to every term (terms
 * are ORed), or one term with it when the pod has none. A gated pod's affinity may be set, or
 * its existing terms extended, but not otherwise changed, so this is always accepted.
 */
export function unitAffinity(spec: PolicyPod['spec'], unit: Unit): RequiredAffinity {
  const req = unitKindRequirement(unit);
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return { nodeSelectorTerms: [{ matchExpressions: [req] }] };
  return {
    nodeSelectorTerms: terms.map((t) => {
      // An empty term matches nothing and may not be extended on a gated pod: keep it as is.
      if ((t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0)
        return { ...t };
      const has = (t.matchExpressions ?? []).some(
        (e) =>
          e.key === req.key &&
          e.operator === req.operator &&
          JSON.stringify(e.values ?? []) === JSON.stringify(req.values),
      );
      return {
        ...t,
        matchExpressions: has
          ? [...(t.matchExpressions ?? [])]
          : [...(t.matchExpressions ?? []), req],
      };
    }),
  };
}

export function unitTolerations(unit: Unit): TolerationInput[] {
  return unit.virtual ? [VIRTUAL_NODE_TOLERATION] : [];
}

/** Labels the pod gets in the unit: podLabels, and ACS defaults podLabels do not override. */
export function unitPodLabels(unit: Unit): Record<string, string> {
  const labels: Record<string, string> = {};
  if (unit.resource === 'acs') {
    labels[COMPUTE_CLASS_LABEL] = 'general-purpose';
    if (unit.podAnnotations[COMPUTE_QOS_STRATEGY_ANNOTATION] === undefined)
      labels[COMPUTE_QOS_LABEL] = 'default';
  }
  return { ...labels, ...unit.podLabels };
}

function sameToleration(a: TolerationInput, b: TolerationInput): boolean {
  return (
    (a.key ?? '') === (b.key ?? '') &&
    (a.operator ?? 'Equal') === (b.operator ?? 'Equal') &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.effect ?? '') === (b.effect ?? '')
  );
}

/** The pod's spec as kube-scheduler will see it in the unit (for capacity queries). */
export function specInUnit<S extends PolicyPod['spec']>(
  spec: S,
  unit: Unit,
): NonNullable<S> & {
  nodeSelector: Record<string, string>;
  tolerations: TolerationInput[];
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: RequiredAffinity } };
} {
  const tolerations = [...(spec?.tolerations ?? [])];
  for (const t of unitTolerations(unit))
    if (!tolerations.some((x) => sameToleration(x, t))) tolerations.push(t);
  return {
    ...(spec as NonNullable<S>),
    nodeSelector: { ...(spec?.nodeSelector ?? {}), ...unitNodeSelector(unit) },
    tolerations,
    affinity: {
      ...(spec?.affinity ?? {}),
      nodeAffinity: {
        ...(spec?.affinity?.nodeAffinity ?? {}),
        requiredDuringSchedulingIgnoredDuringExecution: unitAffinity(spec, unit),
      },
    },
  };
}

export interface AssignOptions {
  readonly policy: Policy;
  readonly unit: Unit;
  readonly nowIso: string;
  /** The pod waits in the unit for nodes (a timeout may apply). */
  readonly waiting: boolean;
}

export function assignmentPatch(pod: PolicyPod, opts: AssignOptions): PodPatch {
  const { policy, unit } = opts;
  const inUnit = specInUnit(pod.spec, unit);
  const annotations: Record<string, string> = {
    ...unit.podAnnotations,
    [ANNOTATION_POLICY]: policy.name,
    [ANNOTATION_UNIT]: String(unit.index),
    [ANNOTATION_ASSIGNED_AT]: opts.nowIso,
    [DELETION_COST]: deletionCost(unit.index, policy.units.length),
  };
  if (opts.waiting) annotations[ANNOTATION_WAITING] = 'true';
  const labels = unitPodLabels(unit);
  const patch: PodPatch = {
    metadata: {
      ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      annotations,
    },
    spec: {
      schedulingGates: (pod.spec?.schedulingGates ?? [])
        .filter((g) => g.name !== GATE)
        .map((g) => ({ name: g.name })),
    },
  };
  if (Object.keys(unitNodeSelector(unit)).length > 0 && patch.spec)
    patch.spec.nodeSelector = inUnit.nodeSelector;
  if (unit.virtual && patch.spec) patch.spec.tolerations = inUnit.tolerations;
  // Only the required node affinity is sent: a merge patch leaves the rest of affinity alone.
  if (patch.spec)
    patch.spec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution:
          inUnit.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
      },
    };
  return patch;
}

/** Lifts the gate without a unit: the pod is scheduled as if no policy existed. */
export function releasePatch(pod: PolicyPod): PodPatch {
  return {
    metadata: {
      ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
      annotations: {},
    },
    spec: {
      schedulingGates: (pod.spec?.schedulingGates ?? [])
        .filter((g) => g.name !== GATE)
        .map((g) => ({ name: g.name })),
    },
  };
}
