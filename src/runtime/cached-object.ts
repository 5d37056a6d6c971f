/**
 * What a watched cache keeps of each object (pure). An object's `metadata.managedFields` records
 * which field manager owns which fields, and those field sets (`fieldsV1`) are most of a typical
 * object's size: about 4 KiB of a 6 KiB Deployment, 6 of a 9 KiB ResourceBinding. Few readers
 * need them, so caches drop the field sets on arrival and keep who wrote what (manager,
 * operation, subresource), which is enough to tell, say, an adoption left half done. A reader
 * that needs field ownership asks its cache to keep everything (`keepFieldSets`) or reads the
 * object from the API server.
 */

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  [field: string]: unknown;
}

/** Who wrote what, without the field sets. */
export function withoutFieldSets(entry: ManagedFieldsEntry): ManagedFieldsEntry {
  return {
    ...(entry.manager !== undefined ? { manager: entry.manager } : {}),
    ...(entry.operation !== undefined ? { operation: entry.operation } : {}),
    ...(entry.subresource !== undefined ? { subresource: entry.subresource } : {}),
  };
}

/**
 * Drops the field sets of `obj`'s managedFields, in place: a cache stores the very object its
 * watch handed over, so the copy is never made.
 */
export function dropFieldSets(obj: { metadata?: { managedFields?: unknown } }): void {
  const entries = obj.metadata?.managedFields;
  if (!Array.isArray(entries) || !obj.metadata) return;
  obj.metadata.managedFields = (entries as ManagedFieldsEntry[]).map(withoutFieldSets);
}
