/**
 * Whether a status merge patch changes anything a reader relies on (pure), so that a
 * status write that would only move a timestamp is not sent. Each such write would be a
 * request, a new resourceVersion and a watch event for every client of the object.
 */

/** Times that say when the controller last looked, not what it found. */
const TIME_FIELDS = new Set([
  'lastTransitionTime',
  'lastUpdateTime',
  'lastProbeTime',
  'lastScheduledTime',
]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386: objects merge, null removes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const base = isObject(target) ? target : {};
  const kept = Object.entries(base).filter(([k]) => !(k in patch));
  const merged = Object.entries(patch)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => [k, applyMergePatch(base[k], v)] as const);
  return Object.fromEntries([...kept, ...merged]);
}

/**
 * Zero values dropped (built-in kinds omit them: `unavailableReplicas: 0` reads back absent),
 * and the time fields.
 */
function normalize(v: unknown): Json | undefined {
  if (Array.isArray(v)) return v.length > 0 ? v.map((x) => normalize(x) ?? null) : undefined;
  if (isObject(v)) {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) {
      if (TIME_FIELDS.has(k)) continue;
      const n = normalize(v[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (v === null || v === undefined || v === 0 || v === '' || v === false) return undefined;
  return v as Json;
}

export function statusPatchChanges(current: unknown, patch: unknown): boolean {
  const before = JSON.stringify(normalize(current) ?? null);
  const after = JSON.stringify(normalize(applyMergePatch(current ?? {}, patch)) ?? null);
  return before !== after;
}
