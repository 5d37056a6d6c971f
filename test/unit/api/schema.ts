/**
 * Reading our CRDs and walking values against their OpenAPI v3 schemas, the way the API server
 * prunes them: a field the schema does not declare is dropped silently, so tests must catch it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR, parseYamlDocuments } from '../../fixtures/fixtures.js';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  maxProperties?: number;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
  schema: { openAPIV3Schema: Schema };
}

export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; plural: string; singular?: string; shortNames?: string[] };
    versions: CrdVersion[];
  };
}

export interface CrdFile {
  file: string;
  crd: Crd;
}

export function loadCrds(): CrdFile[] {
  return readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const docs = parseYamlDocuments(readFileSync(join(CRD_DIR, file), 'utf8'));
      if (docs.length !== 1) throw new Error(`${file}: expected one CRD, found ${docs.length}`);
      return { file, crd: docs[0] as Crd };
    });
}

export function crdByName(name: string): Crd {
  const found = loadCrds().find((c) => c.crd.metadata.name === name);
  if (!found) throw new Error(`no CRD ${name} in config/crds`);
  return found.crd;
}

export function rootSchema(crd: Crd): Schema {
  const version = crd.spec.versions[0];
  if (!version) throw new Error(`${crd.metadata.name}: no versions`);
  return version.schema.openAPIV3Schema;
}

/** The schema at a dotted path of properties ("spec.placement"). */
export function schemaAt(schema: Schema, path: string): Schema {
  let s = schema;
  for (const key of path.split('.')) {
    const next = s.properties?.[key];
    if (!next) throw new Error(`no property ${key} on the way to ${path}`);
    s = next;
  }
  return s;
}

export interface SchemaNode {
  /** e.g. "spec.placement.clusterAffinities[].affinityName", "status.capacity.allocatable.*" */
  path: string;
  schema: Schema;
  /** Set for a named property (not for items or additionalProperties). */
  property?: string;
}

/** Every schema node below (and including) the root, depth first. */
export function schemaNodes(schema: Schema, path = ''): SchemaNode[] {
  const out: SchemaNode[] = [{ path, schema }];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const [first, ...rest] = schemaNodes(child, childPath);
    if (first) out.push({ ...first, property: key }, ...rest);
  }
  if (schema.items) out.push(...schemaNodes(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') {
    out.push(...schemaNodes(schema.additionalProperties, `${path}.*`));
  }
  return out;
}

/**
 * What keeps a schema from being structural (or from passing our own rules): a node without a
 * type, properties next to additionalProperties, an array without items, a list map whose keys
 * are not required.
 */
export function structuralProblems(schema: Schema): string[] {
  const problems: string[] = [];
  for (const { path, schema: s } of schemaNodes(schema)) {
    const at = path || '<root>';
    const intOrString = s['x-kubernetes-int-or-string'] === true;
    if (s.type === undefined && !intOrString && !s['x-kubernetes-preserve-unknown-fields']) {
      problems.push(`${at}: no type`);
    }
    if (intOrString && s.type !== undefined) problems.push(`${at}: int-or-string with a type`);
    if (s.properties && s.additionalProperties !== undefined) {
      problems.push(`${at}: both properties and additionalProperties`);
    }
    if (s.type === 'array' && !s.items) problems.push(`${at}: array without items`);
    if (s.type !== 'object' && (s.properties || s.additionalProperties !== undefined)) {
      problems.push(`${at}: properties on a non-object`);
    }
    for (const req of s.required ?? []) {
      if (!s.properties?.[req]) problems.push(`${at}: required ${req} is not a property`);
    }
    if (s['x-kubernetes-list-type'] === 'map') {
      const itemRequired = new Set(s.items?.required ?? []);
      for (const key of s['x-kubernetes-list-map-keys'] ?? []) {
        if (!itemRequired.has(key)) problems.push(`${at}: list map key ${key} is not required`);
      }
    }
  }
  return problems;
}

function typeMatches(value: unknown, s: Schema): boolean {
  if (s['x-kubernetes-int-or-string']) {
    return typeof value === 'string' || Number.isInteger(value);
  }
  switch (s.type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

export interface WalkResult {
  /** Fields the schema does not declare (the API server would prune or reject them). */
  undeclared: string[];
  /** Values whose JSON type is not the declared type. */
  wrongType: string[];
  /** The schema paths (as in SchemaNode.path) the value sets. */
  visited: Set<string>;
}

/** Walks a manifest against a CRD's root schema. metadata is the API server's, not walked. */
export function walk(value: unknown, schema: Schema): WalkResult {
  const result: WalkResult = { undeclared: [], wrongType: [], visited: new Set() };
  const visit = (v: unknown, s: Schema, path: string, shown: string): void => {
    result.visited.add(path);
    if (!typeMatches(v, s)) {
      result.wrongType.push(`${shown || '<root>'}: expected ${s.type ?? 'int-or-string'}`);
      return;
    }
    if (s['x-kubernetes-preserve-unknown-fields']) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (s.items) visit(item, s.items, `${path}[]`, `${shown}[${i}]`);
      });
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, child] of Object.entries(v)) {
      const childShown = shown === '' ? key : `${shown}.${key}`;
      if (path === '' && key === 'metadata') continue;
      const prop = s.properties?.[key];
      if (prop) visit(child, prop, path === '' ? key : `${path}.${key}`, childShown);
      else if (typeof s.additionalProperties === 'object') {
        visit(child, s.additionalProperties, `${path}.*`, childShown);
      } else result.undeclared.push(childShown);
    }
  };
  visit(value, schema, '', '');
  return result;
}

/** The schema path a printer column's JSONPath reads, e.g. `.status.conditions[?(...)].status`. */
export function printerColumnPath(jsonPath: string): string {
  return jsonPath
    .replace(/^\./, '')
    .replace(/\[\?\(.*?\)\]/g, '[]')
    .replace(/\[\*\]/g, '[]');
}
