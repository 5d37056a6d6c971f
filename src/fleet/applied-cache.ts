/**
 * What the fleet controller last applied, per binding and per member copy, so that a reconcile
 * whose inputs did not change sends no write (pure, in memory). Losing it is harmless: a
 * restarted controller applies each object once more. An entry stands only while the object
 * is still the one the apply produced: the same uid (not deleted and re-created), the same
 * generation (nobody changed its spec since), and our labels, annotations and finalizers still
 * on it. The member copy watches (and the binding read of every reconcile) supply that view,
 * so a copy someone deleted or edited is applied again.
 */
import { createHash } from 'node:crypto';
import { stableJson } from '../util/stable-json.js';

export interface ObjectMeta {
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

interface Applied {
  hash: string;
  uid: string;
  generation: number | undefined;
}

export function hashOf(body: unknown): string {
  return createHash('sha256').update(stableJson(body)).digest('hex');
}

function includes(
  live: Record<string, string> | undefined,
  want: Record<string, string> | undefined,
): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => live?.[k] === v);
}

export class AppliedCache {
  /** template key -> target ('binding' or a member name) -> what was applied there. */
  private readonly byTemplate = new Map<string, Map<string, Applied>>();

  /**
   * Whether applying `body` to `target` would change nothing: the same body was applied last
   * time and `live` is still the object that apply produced.
   */
  unchanged(
    templateKey: string,
    target: string,
    body: { metadata?: ObjectMeta },
    live: { metadata?: ObjectMeta } | undefined,
  ): boolean {
    const last = this.byTemplate.get(templateKey)?.get(target);
    if (!last || !live?.metadata) return false;
    const want = body.metadata ?? {};
    const have = live.metadata;
    return (
      have.uid === last.uid &&
      have.generation === last.generation &&
      includes(have.labels, want.labels) &&
      includes(have.annotations, want.annotations) &&
      (want.finalizers ?? []).every((f) => have.finalizers?.includes(f)) &&
      last.hash === hashOf(body)
    );
  }

  /** Records that `body` was applied to `target`, and the object the API server returned. */
  remember(
    templateKey: string,
    target: string,
    body: unknown,
    result: { metadata?: ObjectMeta } | undefined,
  ): void {
    const uid = result?.metadata?.uid;
    if (!uid) return this.forget(templateKey, target);
    let targets = this.byTemplate.get(templateKey);
    if (!targets) this.byTemplate.set(templateKey, (targets = new Map()));
    targets.set(target, { hash: hashOf(body), uid, generation: result.metadata?.generation });
  }

  /** Forgets one target, or everything of the template. */
  forget(templateKey: string, target?: string): void {
    if (target === undefined) this.byTemplate.delete(templateKey);
    else this.byTemplate.get(templateKey)?.delete(target);
  }
}
