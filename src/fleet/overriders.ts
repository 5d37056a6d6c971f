/**
 * Applies the overriders of one override rule to a member copy (pure), in Karmada's order:
 * imageOverrider, commandOverrider, argsOverrider, labelsOverrider, annotationsOverrider,
 * fieldOverrider, plaintext. An overrider that cannot be applied (a JSON patch path that does not
 * exist, a field that is not a string, an image that does not parse) throws an OverrideError that
 * names the overrider, e.g. `plaintext[1]`, and what is wrong.
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type {
  CommandArgsOverrider,
  FieldOverrider,
  FieldPatchOperation,
  ImageOverrider,
  LabelAnnotationOverrider,
  Overriders,
} from '../api/override.js';
import { formatImage, parseImage, withTagOrDigest, type ImageRef } from '../util/image-ref.js';
import { applyPatch, getAt, type PatchOperation } from '../util/json-patch.js';

export class OverrideError extends Error {}

type Obj = Record<string, unknown>;

/** Where the containers of each kind are (Karmada's list, plus CronJob). */
const CONTAINERS_PATH: Readonly<Record<string, string>> = {
  Pod: '/spec/containers',
  ReplicaSet: '/spec/template/spec/containers',
  Deployment: '/spec/template/spec/containers',
  StatefulSet: '/spec/template/spec/containers',
  DaemonSet: '/spec/template/spec/containers',
  Job: '/spec/template/spec/containers',
  CronJob: '/spec/jobTemplate/spec/template/spec/containers',
};

function containersOf(obj: Obj): { path: string; containers: Obj[] } | undefined {
  const path = CONTAINERS_PATH[String(obj.kind)];
  if (!path) return undefined;
  const list = getAt(obj, path);
  return Array.isArray(list) ? { path, containers: list as Obj[] } : undefined;
}

function at<T>(name: string, i: number, f: () => T): T {
  try {
    return f();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new OverrideError(`${name}[${i}]: ${message}`, { cause: err });
  }
}

function newImage(image: string, o: ImageOverrider): string {
  const ref = parseImage(image);
  const value = o.value ?? '';
  const part: Record<ImageOverrider['component'], () => ImageRef> = {
    Registry: () => ({
      ...ref,
      registry: o.operator === 'remove' ? '' : o.operator === 'add' ? ref.registry + value : value,
    }),
    Repository: () => ({
      ...ref,
      repository:
        o.operator === 'remove' ? '' : o.operator === 'add' ? ref.repository + value : value,
    }),
    Tag: () => {
      if (o.operator === 'remove') return ref.tag ? { ...ref, tag: '' } : { ...ref, digest: '' };
      return withTagOrDigest(ref, o.operator === 'add' ? (ref.tag || ref.digest) + value : value);
    },
  };
  const result = formatImage(part[o.component]());
  // An image no runtime can pull fails here, as a condition, not as ErrImagePull in the member.
  try {
    parseImage(result);
  } catch (err) {
    throw new Error(`${o.component} ${o.operator} gives ${(err as Error).message}`, {
      cause: err,
    });
  }
  return result;
}

function imageOps(obj: Obj, o: ImageOverrider): PatchOperation[] {
  const paths = o.predicate
    ? [o.predicate.path]
    : (() => {
        const c = containersOf(obj);
        return c ? c.containers.map((_, i) => `${c.path}/${i}/image`) : [];
      })();
  return paths.map((path) => {
    const image = getAt(obj, path);
    if (typeof image !== 'string') throw new Error(`${path} is not an image (a string field)`);
    return { op: 'replace', path, value: newImage(image, o) };
  });
}

function commandArgsOps(
  obj: Obj,
  field: 'command' | 'args',
  o: CommandArgsOverrider,
): PatchOperation[] {
  const c = containersOf(obj);
  if (!c) return [];
  const ops: PatchOperation[] = [];
  c.containers.forEach((container, i) => {
    if (container.name !== o.containerName) return;
    const current = Array.isArray(container[field]) ? (container[field] as unknown[]) : undefined;
    const value = o.value ?? [];
    if (o.operator === 'add') {
      if (value.length === 0) return;
      ops.push({
        op: current ? 'replace' : 'add',
        path: `${c.path}/${i}/${field}`,
        value: [...(current ?? []), ...value],
      });
    } else if (current) {
      ops.push({
        op: 'replace',
        path: `${c.path}/${i}/${field}`,
        value: current.filter((v) => !value.includes(String(v))),
      });
    }
  });
  return ops;
}

const escapeKey = (k: string) => k.replaceAll('~', '~0').replaceAll('/', '~1');

function labelOps(
  obj: Obj,
  field: 'labels' | 'annotations',
  o: LabelAnnotationOverrider,
): PatchOperation[] {
  const meta = (obj.metadata ?? {}) as Obj;
  const current = (meta[field] ?? undefined) as Record<string, string> | undefined;
  const ops: PatchOperation[] = [];
  if (o.operator === 'add' && !current)
    ops.push({ op: 'add', path: `/metadata/${field}`, value: {} });
  for (const [key, value] of Object.entries(o.value)) {
    const path = `/metadata/${field}/${escapeKey(key)}`;
    if (o.operator === 'add') ops.push({ op: 'add', path, value });
    else if (current && Object.hasOwn(current, key))
      ops.push(o.operator === 'remove' ? { op: 'remove', path } : { op: 'replace', path, value });
  }
  return ops;
}

const patchOps = (ops: readonly FieldPatchOperation[]): PatchOperation[] =>
  ops.map((o) => ({
    op: o.operator,
    path: o.subPath,
    ...(o.operator === 'remove' ? {} : { value: o.value }),
  }));

function fieldOps(obj: Obj, o: FieldOverrider): PatchOperation[] {
  const text = getAt(obj, o.fieldPath);
  if (typeof text !== 'string')
    throw new Error(
      text === undefined ? `${o.fieldPath} does not exist` : `${o.fieldPath} is not a string field`,
    );
  let result: string;
  if (o.yaml) {
    let doc: unknown;
    try {
      doc = parseYaml(text) as unknown;
    } catch (err) {
      throw new Error(
        `${o.fieldPath} is not YAML: ${(err as Error).message.split('\n')[0] ?? ''}`,
        {
          cause: err,
        },
      );
    }
    result = stringifyYaml(applyPatch(doc, patchOps(o.yaml)));
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(text) as unknown;
    } catch (err) {
      throw new Error(`${o.fieldPath} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    result = JSON.stringify(applyPatch(doc, patchOps(o.json ?? [])));
  }
  return [{ op: 'replace', path: o.fieldPath, value: result }];
}

/** The object with one rule's overriders applied (the input is not changed). */
export function applyOverriders<T extends object>(obj: T, o: Overriders): T {
  let cur = obj as unknown as Obj;
  const each = <X>(name: string, list: readonly X[] | undefined, ops: (x: X) => PatchOperation[]) =>
    (list ?? []).forEach((x, i) => {
      cur = at(name, i, () => applyPatch(cur, ops(x)));
    });
  each('imageOverrider', o.imageOverrider, (x) => imageOps(cur, x));
  each('commandOverrider', o.commandOverrider, (x) => commandArgsOps(cur, 'command', x));
  each('argsOverrider', o.argsOverrider, (x) => commandArgsOps(cur, 'args', x));
  each('labelsOverrider', o.labelsOverrider, (x) => labelOps(cur, 'labels', x));
  each('annotationsOverrider', o.annotationsOverrider, (x) => labelOps(cur, 'annotations', x));
  each('fieldOverrider', o.fieldOverrider, (x) => fieldOps(cur, x));
  // The plaintext operations form one JSON patch: all of them apply, or none (cur is kept).
  let doc = cur;
  (o.plaintext ?? []).forEach((p, i) => {
    const op: PatchOperation = {
      op: p.operator,
      path: p.path,
      ...(p.operator === 'remove' ? {} : { value: p.value }),
    };
    doc = at('plaintext', i, () => applyPatch(doc, [op]));
  });
  cur = doc;
  return cur as unknown as T;
}
