/**
 * Which template watch events can change a placement. The controller's own writes to a
 * template (its status, the placement annotation, its finalizer) come back as update events;
 * re-queueing the template for each of them made every reconcile that wrote one schedule
 * another reconcile that found nothing to do. A template is re-queued when what it says
 * changed: anything but its status, resourceVersion, managedFields, finalizers and the
 * placement annotation. Additions, deletions and periodic resyncs always pass. Pure: it keeps
 * one short hash per template uid.
 */
import { shortHash } from '../util/names.js';
import { PLACEMENT_ANNOTATION } from './ownership.js';

export interface WatchedTemplate {
  metadata?: {
    uid?: string;
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** A hash of what a placement may depend on (everything the controller itself does not write). */
export function placementInputsOf(o: WatchedTemplate): string {
  const metadata: Record<string, unknown> = { ...(o.metadata ?? {}) };
  delete metadata.resourceVersion;
  delete metadata.managedFields;
  delete metadata.finalizers;
  metadata.annotations = Object.fromEntries(
    Object.entries(o.metadata?.annotations ?? {}).filter(([k]) => k !== PLACEMENT_ANNOTATION),
  );
  const { status: _status, metadata: _metadata, ...rest } = o;
  return shortHash(JSON.stringify({ ...rest, metadata }), 16);
}

export class TemplateChanges {
  private readonly seen = new Map<string, string>();

  /** Whether this event may change the template's placement; remembers what it saw. */
  changed(o: WatchedTemplate, event: 'add' | 'update' | 'delete' | 'resync'): boolean {
    const id = o.metadata?.uid ?? `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    if (event === 'delete') {
      this.seen.delete(id);
      return true;
    }
    const inputs = placementInputsOf(o);
    const before = this.seen.get(id);
    this.seen.set(id, inputs);
    return event !== 'update' || before !== inputs;
  }

  get size(): number {
    return this.seen.size;
  }
}
