/**
 * How Spillway marks what it created in a member cluster, and how it decides whether it may
 * touch an object there: only copies carrying its label, or objects the template's owner
 * explicitly asked it to adopt.
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'spillway';
/** The binding (namespace/name on the hub) a member copy belongs to. */
export const BINDING_ANNOTATION = 'fleet.spillway.dev/binding';
/** On a hub template: "true" lets Spillway take over member objects of the same name. */
export const ADOPT_ANNOTATION = 'fleet.spillway.dev/adopt-existing';
/** On a hub template, written by Spillway: "cluster (group): replicas, ..." for kubectl describe. */
export const PLACEMENT_ANNOTATION = 'fleet.spillway.dev/placement';
/** Finalizer on hub templates: member copies are removed before the template goes. */
export const TEMPLATE_FINALIZER = 'fleet.spillway.dev/cleanup';
/** Finalizer on ResourceBindings: member copies are removed before the binding goes. */
export const BINDING_FINALIZER = 'fleet.spillway.dev/member-copies';
/** Finalizer on MemberClusters: Spillway's objects leave the member before it is forgotten. */
export const MEMBER_FINALIZER = 'fleet.spillway.dev/member-cleanup';
/** The field manager of every server-side apply Spillway makes. */
export const FIELD_MANAGER = 'spillway';

export interface Labelled {
  metadata?: {
    labels?: Readonly<Record<string, string>>;
    annotations?: Readonly<Record<string, string>>;
  };
}

export function isManagedCopy(obj: Labelled | undefined): boolean {
  return obj?.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

export type Ownership = 'absent' | 'ours' | 'adoptable' | 'foreign';

/** May we write `existing` (the member's object of the template's name)? */
export function ownershipOf(existing: Labelled | undefined, template: Labelled): Ownership {
  if (!existing) return 'absent';
  if (isManagedCopy(existing)) return 'ours';
  return template.metadata?.annotations?.[ADOPT_ANNOTATION] === 'true' ? 'adoptable' : 'foreign';
}
