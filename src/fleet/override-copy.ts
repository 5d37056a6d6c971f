/**
 * A member copy with the override rules for its member applied (pure). The rules apply in the
 * order override-match.ts gives; the first one that fails stops the rendering and is reported,
 * so the caller can leave the member's copy as it was rather than write a half-overridden one.
 * Overrides cannot change what the copy is (apiVersion, kind, name, namespace) or take away the
 * marks that make it Spillway's (they are put back).
 */
import type { TemplateObject } from './member-copy.js';
import { BINDING_ANNOTATION, MANAGED_BY_LABEL } from './ownership.js';
import type { OverrideStep } from './override-match.js';
import { applyOverriders } from './overriders.js';

export interface OverrideFailure {
  policy: string;
  rule: number;
  message: string;
}

export type OverrideOutcome =
  | { copy: TemplateObject; applied: string[]; failure?: undefined }
  | { failure: OverrideFailure; applied: string[]; copy?: undefined };

const identity = (o: TemplateObject) =>
  JSON.stringify([o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace]);

/** Why the copy's labels or annotations are no map of strings (absent or null is fine). */
function badStringMap(o: TemplateObject): string | undefined {
  for (const field of ['labels', 'annotations'] as const) {
    const v: unknown = o.metadata[field];
    if (v === undefined || v === null) continue;
    const ok =
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.values(v).every((x) => typeof x === 'string');
    if (!ok)
      return `metadata.${field} must be a map from keys to strings, not ${JSON.stringify(v).slice(0, 80)}`;
  }
  return undefined;
}

export function overrideCopy(
  copy: TemplateObject,
  steps: readonly OverrideStep[],
): OverrideOutcome {
  const applied: string[] = [];
  let cur = copy;
  for (const step of steps) {
    try {
      const next = applyOverriders(cur, step.overriders);
      if (identity(next) !== identity(copy))
        throw new Error(
          'overrides cannot change apiVersion, kind, metadata.name or metadata.namespace',
        );
      // Spread into a map below, a string or a list would become keys "0", "1", ...
      const bad = badStringMap(next);
      if (bad) throw new Error(bad);
      cur = next;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { failure: { policy: step.policy, rule: step.rule, message }, applied };
    }
    if (!applied.includes(step.policy)) applied.push(step.policy);
  }
  if (cur === copy) return { copy, applied };
  const marks = {
    label: copy.metadata.labels?.[MANAGED_BY_LABEL],
    binding: copy.metadata.annotations?.[BINDING_ANNOTATION],
  };
  if (marks.label !== undefined)
    cur.metadata.labels = { ...cur.metadata.labels, [MANAGED_BY_LABEL]: marks.label };
  if (marks.binding !== undefined)
    cur.metadata.annotations = { ...cur.metadata.annotations, [BINDING_ANNOTATION]: marks.binding };
  return { copy: cur, applied };
}

/** "OverridePolicy demo/x overrideRules[0]: plaintext[1]: ..." */
export function failureText(f: OverrideFailure): string {
  return `${f.policy} overrideRules[${f.rule}]: ${f.message}`;
}
