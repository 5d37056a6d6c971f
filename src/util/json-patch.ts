/**
 * JSON pointers (RFC 6901) and the add, remove and replace operations of JSON patch (RFC 6902)
 * on plain JSON values (pure). Errors say which part of the path is missing, so a condition can
 * tell the user what to fix.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

export class PatchError extends Error {}

/** The keys of a pointer: "/a/b~1c" -> ["a", "b/c"]. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`path ${pointer} does not start with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((k) => {
      if (/~(?![01])/.test(k))
        throw new PatchError(`path ${pointer}: '~' must be followed by 0 or 1`);
      return k.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function arrayIndex(key: string, length: number, pointer: string, allowEnd: boolean): number {
  if (allowEnd && key === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(key))
    throw new PatchError(`path ${pointer}: "${key}" is not an index of the list`);
  const i = Number(key);
  if (i > length || (!allowEnd && i === length))
    throw new PatchError(
      `path ${pointer}: index ${i} is out of range (the list has ${length} items)`,
    );
  return i;
}

/** The value at `pointer`, or undefined when some key on the way is missing. */
export function getAt(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const key of parsePointer(pointer)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key) || Number(key) >= cur.length) return undefined;
      cur = cur[Number(key)];
    } else if (isObject(cur) && Object.hasOwn(cur, key)) {
      cur = cur[key];
    } else return undefined;
  }
  return cur;
}

/** The container that holds the last key of `keys`; every key before it must exist. */
function parentOf(doc: unknown, keys: readonly string[], pointer: string): unknown {
  let cur = doc;
  let at = '';
  for (const key of keys.slice(0, -1)) {
    if (Array.isArray(cur)) {
      cur = cur[arrayIndex(key, cur.length, pointer, false)];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, key))
        throw new PatchError(`path ${pointer}: ${at || '/'} has no field "${key}"`);
      cur = cur[key];
    } else {
      throw new PatchError(`path ${pointer}: ${at || '/'} is not an object or a list`);
    }
    at += `/${key}`;
  }
  if (!Array.isArray(cur) && !isObject(cur))
    throw new PatchError(`path ${pointer}: ${at || '/'} is not an object or a list`);
  return cur;
}

/** Applies one operation in place; the root itself cannot be replaced or removed. */
function applyOne(doc: unknown, op: PatchOperation): void {
  const keys = parsePointer(op.path);
  if (keys.length === 0) throw new PatchError(`path "" (the whole object) cannot be patched`);
  if (op.op !== 'remove' && op.value === undefined)
    throw new PatchError(`${op.op} ${op.path}: value is missing`);
  const parent = parentOf(doc, keys, op.path);
  const key = keys[keys.length - 1] ?? '';
  const value = structuredClone(op.value);
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length, op.path, op.op === 'add');
    if (op.op === 'add') parent.splice(i, 0, value);
    else if (op.op === 'remove') parent.splice(i, 1);
    else parent[i] = value;
    return;
  }
  const obj = parent as Record<string, unknown>;
  if (op.op !== 'add' && !Object.hasOwn(obj, key)) {
    const at = op.path.slice(0, op.path.lastIndexOf('/')) || '/';
    throw new PatchError(`${op.op} ${op.path}: ${at} has no field "${key}"`);
  }
  if (op.op === 'remove') Reflect.deleteProperty(obj, key);
  else obj[key] = value;
}

/** A patched copy of `doc`; the operations apply in order, all or none. */
export function applyPatch<T>(doc: T, ops: readonly PatchOperation[]): T {
  const out = structuredClone(doc);
  for (const op of ops) applyOne(out, op);
  return out;
}
