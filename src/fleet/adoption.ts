/**
 * Adopting a member object (template annotation fleet.spillway.dev/adopt-existing=true): after
 * adoption the member's object is the hub's copy, not a merge of both. A server-side apply
 * alone would keep every field another manager set (`kubectl create deployment` adds its own
 * container, so the pod template would end with two), so the takeover is done once, in three
 * writes: a replace with the copy (the object's content becomes exactly the copy), the usual
 * apply (Spillway owns every field of the copy), and the removal of every other manager's
 * ownership record (so a field later removed from the template is removed in the member too).
 */
import {
  PatchStrategy,
  type KubernetesObject,
  type KubernetesObjectApi,
} from '@kubernetes/client-node';
import { FIELD_MANAGER } from './ownership.js';
import type { TemplateObject } from './member-copy.js';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  [field: string]: unknown;
}

/** The ownership records that remain after a takeover: Spillway's applies only. */
export function ownEntries(
  entries: readonly ManagedFieldsEntry[] | undefined,
): ManagedFieldsEntry[] {
  return (entries ?? []).filter((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply');
}

/**
 * A takeover that stopped after its replace (the member changed the object before the last
 * step, say): the replace left a record of Spillway's own Update, which nothing else makes.
 */
export function takeOverUnfinished(obj: KubernetesObject): boolean {
  const entries = (obj.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.some(
    (e) => e.manager === FIELD_MANAGER && e.operation === 'Update' && !e.subresource,
  );
}

export async function takeOver(
  api: KubernetesObjectApi,
  existing: KubernetesObject,
  copy: TemplateObject,
): Promise<void> {
  // resourceVersion: a change made meanwhile fails the replace instead of being lost.
  await api.replace(
    {
      ...copy,
      metadata: { ...copy.metadata, resourceVersion: existing.metadata?.resourceVersion },
    } as KubernetesObject,
    undefined,
    undefined,
    FIELD_MANAGER,
  );
  await applyAsSoleOwner(api, copy);
}

/** The usual apply, then every other manager's ownership record removed. */
export async function applyAsSoleOwner(
  api: KubernetesObjectApi,
  copy: TemplateObject,
): Promise<void> {
  let obj = await api.patch(
    copy as KubernetesObject,
    undefined,
    undefined,
    FIELD_MANAGER,
    true,
    PatchStrategy.ServerSideApply,
  );
  for (let attempt = 1; ; attempt++) {
    const entries = (obj.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
    const own = ownEntries(entries);
    if (own.length === entries.length) return;
    try {
      // The member's own controllers write too (a Deployment's revision annotation): the
      // resourceVersion keeps their newer records from being dropped unseen; read and retry.
      await api.patch(
        {
          apiVersion: copy.apiVersion,
          kind: copy.kind,
          metadata: {
            name: copy.metadata.name,
            namespace: copy.metadata.namespace,
            resourceVersion: obj.metadata?.resourceVersion,
            managedFields: own,
          },
        } as KubernetesObject,
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      );
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 5) throw err;
      obj = await api.read({
        apiVersion: copy.apiVersion,
        kind: copy.kind,
        metadata: { name: copy.metadata.name ?? '', namespace: copy.metadata.namespace ?? '' },
      });
    }
  }
}
