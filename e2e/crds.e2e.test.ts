/**
 * The fleet API's CRDs on a real kube-apiserver (the local fleet's hub): the seed's policies are
 * accepted as the seed writes them, every invalid fixture is rejected with its message, and
 * nothing the typed examples set is pruned. Only a real API server proves the CEL rules (and
 * that their estimated cost is within its limits, or the CRDs would not install at all).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  loadYaml,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLEET_GROUP, POLICY_GROUP } from '../src/api/index.js';
import { EXAMPLES } from '../test/fixtures/examples.js';
import {
  CRD_DIR,
  parseYamlDocuments,
  readInvalidFixtures,
  readSeed,
  seedPolicyText,
} from '../test/fixtures/fixtures.js';
import { DEFAULT_STATE_ROOT, startHub } from './fleet/index.js';
import { waitFor } from './fleet/readiness.js';
import { ensureNamespace } from './support/kube.js';

const NS = 'test';
const IDS = { idc: 'c6b4idc', ack: 'c043ack' };

interface Resource {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

type Obj = KubernetesObject & { spec?: object; status?: object };

let stopHub: (() => Promise<void>) | undefined;
let custom: CustomObjectsApi;
const resources = new Map<string, Resource>(); // by kind

beforeAll(async () => {
  const hub = await startHub(join(DEFAULT_STATE_ROOT, 'e2e-crds'));
  stopHub = hub.stop;
  const kc = new KubeConfig();
  kc.loadFromFile(hub.kubeconfigPath);
  custom = kc.makeApiClient(CustomObjectsApi);

  // Deserialized into client-node's models (loadYaml), not plain YAML: the client serializes a
  // CRD through V1JSONSchemaProps, which drops wire-named keys it does not map (enum, default,
  // x-kubernetes-validations) from plain objects everywhere but under `items`.
  const files = readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileSync(join(CRD_DIR, f), 'utf8'))
    .map((text) => ({ text, crd: loadYaml<V1CustomResourceDefinition>(text) }))
    .filter(({ crd }) => crd.spec.group === POLICY_GROUP || crd.spec.group === FLEET_GROUP);
  // PropagationPolicy, ClusterPropagationPolicy, the two override policies, MemberCluster,
  // ResourceBinding, WorkloadRebalancer.
  expect(files).toHaveLength(7);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const { crd } of files) {
    await objects.patch(
      crd,
      undefined,
      undefined,
      'spillway-e2e',
      true,
      PatchStrategy.ServerSideApply,
    );
  }

  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const { text, crd: o } of files) {
    const name = o.metadata?.name ?? '';
    const stored = await ext.readCustomResourceDefinition({ name });
    // What makes the rules bite must have reached the server intact.
    const [plain] = parseYamlDocuments(text) as { spec: { versions: unknown } }[];
    expect(schemaKeywords(stored.spec.versions)).toEqual(schemaKeywords(plain?.spec.versions));
    await waitFor(`CRD ${name} Established`, 30_000, async () => {
      const crd = await ext.readCustomResourceDefinition({ name });
      return (crd.status?.conditions ?? []).some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
    });
    const crd = await ext.readCustomResourceDefinition({ name });
    const r: Resource = {
      group: crd.spec.group,
      version: crd.spec.versions[0]?.name ?? '',
      plural: crd.spec.names.plural,
      namespaced: crd.spec.scope === 'Namespaced',
    };
    resources.set(crd.spec.names.kind, r);
    await waitFor(`${r.plural} served`, 30_000, async () => {
      await custom.listClusterCustomObject(r);
      return true;
    });
  }
  await ensureNamespace(kc.makeApiClient(CoreV1Api), NS);
}, 240_000);

afterAll(async () => {
  await stopHub?.();
}, 60_000);

/**
 * How often each validation keyword occurs in a CRD's schemas, counting plain YAML (enum) and
 * client-node model (_enum) spellings alike.
 */
function schemaKeywords(versions: unknown): Record<string, number> {
  const counts: Record<string, number> = { enum: 0, default: 0, rule: 0, pattern: 0 };
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) {
      for (const [key, child] of Object.entries(v)) {
        const k = key.replace(/^_/, '');
        if (k in counts) counts[k] = (counts[k] ?? 0) + 1;
        visit(child);
      }
    }
  };
  visit(versions);
  return counts;
}

function resourceOf(obj: Obj): Resource {
  const r = resources.get(obj.kind ?? '');
  if (!r) throw new Error(`no CRD installed for kind ${obj.kind}`);
  return r;
}

/** Creates the object (a server-side dry run unless told otherwise), rejecting unknown fields. */
async function create(obj: Obj, dryRun = true): Promise<Obj> {
  const r = resourceOf(obj);
  const common = {
    ...r,
    body: obj,
    dryRun: dryRun ? 'All' : undefined,
    fieldValidation: 'Strict',
  };
  const created: unknown = r.namespaced
    ? await custom.createNamespacedCustomObject({
        ...common,
        namespace: obj.metadata?.namespace ?? NS,
      })
    : await custom.createClusterCustomObject(common);
  return created as Obj;
}

/** The API server's message for an error response, whatever shape the client hands it in. */
function messageOf(err: unknown): string {
  const e = err as { body?: unknown; message?: string };
  let body = e.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(e.message ?? err);
}

async function rejection(obj: Obj): Promise<string> {
  try {
    await create(obj);
  } catch (err) {
    return messageOf(err);
  }
  throw new Error(`${obj.kind} ${obj.metadata?.name} was accepted`);
}

describe('the seed demo-pp.yaml on a real API server', () => {
  const docs = parseYamlDocuments(seedPolicyText(IDS)) as Obj[];

  it.each(docs.map((d) => [d.metadata?.name ?? '', d] as const))(
    'accepts %s with the cluster IDs substituted, and keeps every field',
    async (_name, doc) => {
      const created = await create(doc);
      expect(created.spec).toMatchObject(doc.spec ?? {});
      expect(created.spec).toMatchObject({ priority: 0, schedulerName: 'default-scheduler' });
    },
  );

  it('rejects it verbatim: a placeholder is not a cluster ID', async () => {
    const [verbatim] = parseYamlDocuments(readSeed('demo-pp.yaml')) as Obj[];
    if (!verbatim) throw new Error('empty demo-pp.yaml');
    const message = await rejection(verbatim);
    expect(message).toContain('spec.placement.clusterAffinities[0].clusterNames[0]');
    expect(message).toContain('${registered cluster ID}');
  });
});

describe('invalid policies on a real API server', () => {
  it.each(readInvalidFixtures().map((f) => [f.file, f.expect, f.object as Obj] as const))(
    'rejects %s with "%s"',
    async (_file, fragment, object) => {
      expect(await rejection(object)).toContain(fragment);
    },
  );
});

describe('the typed examples on a real API server', () => {
  const examples = Object.values(EXAMPLES).flat() as Obj[];

  it.each(examples.map((e) => [`${e.kind} ${e.metadata?.name}`, e] as const))(
    'stores every spec and status field of %s',
    async (_name, example) => {
      const { status, ...withoutStatus } = example;
      const created = await create(withoutStatus, false);
      expect(created.spec).toMatchObject(example.spec ?? {});
      if (!status) return;
      const r = resourceOf(example);
      const name = example.metadata?.name ?? '';
      const body = { ...created, status };
      const updated = (
        r.namespaced
          ? await custom.replaceNamespacedCustomObjectStatus({
              ...r,
              namespace: example.metadata?.namespace ?? NS,
              name,
              body,
              fieldValidation: 'Strict',
            })
          : await custom.replaceClusterCustomObjectStatus({
              ...r,
              name,
              body,
              fieldValidation: 'Strict',
            })
      ) as Obj;
      expect(updated.status).toEqual(status);
    },
  );
});
