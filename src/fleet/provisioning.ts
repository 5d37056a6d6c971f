/**
 * The ProvisioningRequest (autoscaling.x-k8s.io/v1, cluster-autoscaler's API) and PodTemplate
 * that ask a member cluster for nodes for replicas waiting there, and the pure decisions around
 * them. One request per binding and member, under a stable name, so that:
 * - the member's pods can name it in cluster-autoscaler's `consume-provisioning-request`
 *   annotation without that annotation ever changing (a change would roll the Deployment);
 * - a change of the waiting count never adds a second request for the same replicas.
 * A request's spec cannot change, so a need that grows past it is asked again under the same
 * name; a need that shrinks keeps the request (its capacity is an upper bound the autoscaler
 * gives back when idle), and no need at all deletes it.
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.js';
import { labelValue, withSuffix } from '../util/names.js';

export const PR_GROUP = 'autoscaling.x-k8s.io';
export const PR_VERSION = 'v1';
export const PR_PLURAL = 'provisioningrequests';
/** Label on requests and templates Spillway made, with the binding name (bounded) as value. */
export const PR_BINDING_LABEL = 'fleet.spillway.dev/binding-name';
/** cluster-autoscaler's pod annotations that tie a pod to the request that covers it. */
export const CONSUME_ANNOTATION = 'cluster-autoscaler.kubernetes.io/consume-provisioning-request';
export const CLASS_ANNOTATION = 'cluster-autoscaler.kubernetes.io/provisioning-class-name';

export interface ProvisioningAsk {
  namespace: string;
  bindingName: string;
  /** The workload's pod template spec (as JSON). */
  podSpec: unknown;
  podLabels: Record<string, string>;
  count: number;
  className: string;
}

/** The request (and its PodTemplate) of one binding in one member: `<binding>-capacity`. */
export function provisioningName(bindingName: string): string {
  return withSuffix(bindingName, '-capacity');
}

/** Selects every request and PodTemplate Spillway made for a binding. */
export function provisioningSelector(bindingName: string): string {
  return `${PR_BINDING_LABEL}=${labelValue(bindingName)}`;
}

function labels(ask: ProvisioningAsk): Record<string, string> {
  return { [PR_BINDING_LABEL]: labelValue(ask.bindingName), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
}

export function podTemplateManifest(ask: ProvisioningAsk): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PodTemplate',
    metadata: {
      name: provisioningName(ask.bindingName),
      namespace: ask.namespace,
      labels: labels(ask),
    },
    template: { metadata: { labels: ask.podLabels }, spec: ask.podSpec },
  };
}

export function provisioningRequestManifest(ask: ProvisioningAsk): Record<string, unknown> {
  const name = provisioningName(ask.bindingName);
  return {
    apiVersion: `${PR_GROUP}/${PR_VERSION}`,
    kind: 'ProvisioningRequest',
    metadata: { name, namespace: ask.namespace, labels: labels(ask) },
    spec: {
      provisioningClassName: ask.className,
      podSets: [{ podTemplateRef: { name }, count: ask.count }],
    },
  };
}

/** The part of a ProvisioningRequest the decisions read. */
export interface ExistingRequest {
  count: number;
  conditions: readonly { type: string; status: string; reason?: string; message?: string }[];
}

export interface RequestState {
  phase: 'pending' | 'provisioned' | 'failed';
  /** The provider's reason and message, for a failed request. */
  reason?: string;
  message?: string;
}

/**
 * What the autoscaler said: Failed=True, or Provisioned=False with a reason other than "not
 * decided yet", is a failure (CapacityLimitReached, CapacityIsNotFound, ...).
 */
export function requestState(pr: ExistingRequest): RequestState {
  const cond = (type: string) => pr.conditions.find((c) => c.type === type);
  const failed = cond('Failed');
  if (failed?.status === 'True')
    return { phase: 'failed', reason: failed.reason ?? 'Failed', message: failed.message ?? '' };
  const provisioned = cond('Provisioned');
  if (provisioned?.status === 'True') return { phase: 'provisioned' };
  if (provisioned?.status === 'False' && provisioned.reason)
    return { phase: 'failed', reason: provisioned.reason, message: provisioned.message ?? '' };
  return { phase: 'pending' };
}

export type RequestAction = 'none' | 'create' | 'recreate' | 'delete';

/** What to do with a binding's request in one member, for `want` waiting replicas. */
export function decideRequest(existing: ExistingRequest | undefined, want: number): RequestAction {
  if (want <= 0) return existing ? 'delete' : 'none';
  if (!existing) return 'create';
  return existing.count >= want ? 'none' : 'recreate';
}

/** Sum of a request's pod sets. */
export function requestCount(spec: unknown): number {
  const sets = (spec as { podSets?: { count?: number }[] } | undefined)?.podSets ?? [];
  return sets.reduce((n, s) => n + (s.count ?? 0), 0);
}

/**
 * The pod template annotations that tie the member's pods to the binding's request, the way
 * cluster-autoscaler expects. Set on every copy in a member that provisions for this workload,
 * so they never change while it does (a pod template change would restart every pod).
 */
export function consumeAnnotations(bindingName: string, className: string): Record<string, string> {
  return { [CONSUME_ANNOTATION]: provisioningName(bindingName), [CLASS_ANNOTATION]: className };
}
