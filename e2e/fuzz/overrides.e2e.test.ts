/**
 * Override policy fuzzing on a real fleet (a hub and one member, c1): OverridePolicy and
 * ClusterOverridePolicy specs generated from each CRD's own schema (schema-arbitrary.ts; half
 * follow every type, half break something somewhere) are each either rejected with a message
 * naming a field under `spec`, or accepted; an accepted one then goes through the fleet
 * controller's own override code (matching, the rules for c1, the overriders applied to the
 * member copy of a real Deployment read back from the API server), which must end in a copy or
 * an OverrideFailure, never a throw, and keep what the copy is and Spillway's marks on it.
 * Then accepted specs, each narrowed to a Deployment of its own, are created for real in batches
 * under the fleet controller running as its own process: each policy must get the `Applied`
 * condition the override code predicts (False with OverrideFailed when an overrider cannot be
 * applied) and the copy count; the process must keep running (an unhandled rejection would end
 * it), and its memory is sampled (memory-bound.ts). `make test` runs a few cases;
 * `make fuzz` runs SPILLWAY_FUZZ_RUNS (10,000) per kind and SPILLWAY_FUZZ_LIVE (200) live ones
 * per kind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Deployment,
} from '@kubernetes/client-node';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindingName } from '../../src/api/fleet.js';
import type { AnyOverridePolicy, OverrideSpec } from '../../src/api/override.js';
import { memberCopy, type TemplateObject } from '../../src/fleet/member-copy.js';
import { overrideCopy } from '../../src/fleet/override-copy.js';
import {
  matchingOverridePolicies,
  overridePolicyLabel,
  overrideSteps,
} from '../../src/fleet/override-match.js';
import { BINDING_ANNOTATION, MANAGED_BY_LABEL } from '../../src/fleet/ownership.js';
import { CRD_DIR, parseYamlDocuments } from '../../test/fixtures/fixtures.js';
import { shareConnections } from '../../src/runtime/connections.js';
import { hub, kubeConfigFor } from '../fleet/index.js';
import { isRunning, stopProcess, type ProcessRecord } from '../fleet/processes.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import {
  SYSTEM_NAMESPACE,
  installCrds,
  registerMembers,
  startControllerProcess,
} from '../support/spillway.js';
import { FUZZ_CASE_GUARD_MS, failureOf, namesSpecField } from './api-failure.js';
import { MemoryWatch } from './memory-bound.js';
import { caseCounter, kindTimeCap } from './progress.js';
import { validArbitrary, type Schema } from './schema-arbitrary.js';

const RUNS = Number(process.env.SPILLWAY_FUZZ_RUNS ?? 60);
/** Accepted specs per kind created for real under the running controller. */
const LIVE = Number(process.env.SPILLWAY_FUZZ_LIVE ?? 8);
const PER_BATCH = Number(process.env.SPILLWAY_FUZZ_BATCH_SIZE ?? 5);
const NS = 'fuzz';
const GROUP = 'policy.one.alibabacloud.com';
const VERSION = 'v1alpha1';
/** The fleet's one member, as the override code sees it (config/topologies/fuzz.yaml). */
const MEMBER = { name: 'c1', labels: { app: 'web' } };

type KindName = 'OverridePolicy' | 'ClusterOverridePolicy';
interface Kind {
  kind: KindName;
  plural: string;
  namespaced: boolean;
  spec: Schema;
}
const KINDS: { kind: KindName; file: string }[] = [
  { kind: 'OverridePolicy', file: 'policy.one.alibabacloud.com_overridepolicies.yaml' },
  {
    kind: 'ClusterOverridePolicy',
    file: 'policy.one.alibabacloud.com_clusteroverridepolicies.yaml',
  },
];

const fleet = useFleet('fuzz-overrides', 'fuzz.yaml');
let kc: KubeConfig;
let custom: CustomObjectsApi;
let apps: AppsV1Api;
let controller: ProcessRecord | undefined;
const kinds = new Map<KindName, Kind>();
const accepted = new Map<KindName, OverrideSpec[]>();
const tally = new Map<string, Record<string, number>>();
let reference: TemplateObject;

function count(kind: string, outcome: string): void {
  const t = tally.get(kind) ?? {};
  t[outcome] = (t[outcome] ?? 0) + 1;
  tally.set(kind, t);
}

/**
 * A Deployment with what the overriders work on: two containers with command and a digest,
 * labels, and JSON and YAML documents in annotations (for fieldOverrider).
 */
function template(name: string): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: NS,
      labels: { app: 'web', tier: 'front' },
      annotations: {
        'fuzz.example.com/config.json': '{"a":{"b":1},"list":[1,2]}',
        'fuzz.example.com/config.yaml': 'a:\n  b: 1\nlist:\n  - 1\n  - 2\n',
      },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'main', image: 'example.invalid/app:1', command: ['serve', '--port=80'] },
            {
              name: 'sidecar',
              image: `registry.example.com:5000/team/side@sha256:${'a'.repeat(64)}`,
            },
          ],
        },
      },
    },
  };
}

function policyObject(k: Kind, name: string, spec: OverrideSpec): AnyOverridePolicy {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: k.kind,
    metadata: { name, ...(k.namespaced ? { namespace: NS } : {}) },
    spec,
  } as AnyOverridePolicy;
}

async function create(k: Kind, p: AnyOverridePolicy, dryRun: boolean): Promise<unknown> {
  const common = {
    group: GROUP,
    version: VERSION,
    plural: k.plural,
    body: p,
    ...(dryRun ? { dryRun: 'All', fieldValidation: 'Strict' } : {}),
  };
  return k.namespaced
    ? custom.createNamespacedCustomObject({ ...common, namespace: NS })
    : custom.createClusterCustomObject(common);
}

interface Expected {
  status: 'True' | 'False';
  reason: 'Applied' | 'OverrideFailed';
  copies: number;
}

/**
 * What the fleet controller's override code makes of the policy for the template's copy in c1
 * (as binding-reconciler.ts renders it): the condition and copy count the policy must get.
 * Checks on the way that rendering never throws and never changes what the copy is.
 */
function render(t: TemplateObject, p: AnyOverridePolicy): Expected {
  const ref = {
    apiVersion: t.apiVersion,
    kind: t.kind,
    namespace: t.metadata.namespace ?? '',
    name: t.metadata.name ?? '',
    labels: t.metadata.labels ?? {},
  };
  matchingOverridePolicies(ref, [p]);
  const steps = overrideSteps(ref, MEMBER, [p]);
  const copy = memberCopy(t, `${NS}/${bindingName(ref.name, ref.kind)}`, 1);
  const out = overrideCopy(copy, steps);
  const label = overridePolicyLabel(p);
  const copies = out.applied.includes(label) ? 1 : 0;
  if (out.failure) {
    expect(out.failure.policy).toBe(label);
    expect(out.failure.message).not.toBe('');
    return { status: 'False', reason: 'OverrideFailed', copies };
  }
  if (!out.copy) throw new Error('neither a copy nor a failure');
  const c = out.copy;
  expect([c.apiVersion, c.kind, c.metadata.name, c.metadata.namespace]).toEqual([
    copy.apiVersion,
    copy.kind,
    copy.metadata.name,
    copy.metadata.namespace,
  ]);
  expect(c.metadata.labels?.[MANAGED_BY_LABEL]).toBe(copy.metadata.labels?.[MANAGED_BY_LABEL]);
  expect(c.metadata.annotations?.[BINDING_ANNOTATION]).toBe(
    copy.metadata.annotations?.[BINDING_ANNOTATION],
  );
  return { status: 'True', reason: 'Applied', copies };
}

/** The spec narrowed to one Deployment, so its rules reach that template's copy. */
function selecting(k: Kind, spec: OverrideSpec, name: string): OverrideSpec {
  return {
    ...spec,
    resourceSelectors: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name,
        ...(k.namespaced ? {} : { namespace: NS }),
      },
    ],
  };
}

// The hooks sit in the describe block so that its afterAll (stopping the controller process)
// runs before useFleet's, which keeps the logs and stops the fleet: Jest runs a block's afterAll
// hooks before its parent's, and hooks of one block in the order they are declared.
describe('generated override policies', () => {
  beforeAll(async () => {
    // One kept-alive connection for the run's thousands of calls, not a TLS handshake each.
    kc = shareConnections(kubeConfigFor(hub(fleet.state)));
    await installCrds(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
    apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await ensureNamespace(core, NS);
    await ensureNamespace(core, SYSTEM_NAMESPACE);
    await registerMembers(fleet.state);
    for (const k of KINDS) {
      const [crd] = parseYamlDocuments(readFileSync(join(CRD_DIR, k.file), 'utf8')) as {
        spec: {
          scope: string;
          names: { plural: string };
          versions: { schema: { openAPIV3Schema: Schema } }[];
        };
      }[];
      const spec = crd?.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
      const rules = spec?.properties?.overrideRules;
      if (!crd || !spec || !rules) throw new Error(`no spec schema in ${k.file}`);
      kinds.set(k.kind, {
        kind: k.kind,
        plural: crd.spec.names.plural,
        namespaced: crd.spec.scope === 'Namespaced',
        // The CRD's schema, asking for at least one rule: a policy without rules is valid but
        // reaches no overrider, and most generated ones would have none.
        spec: {
          ...spec,
          required: [...(spec.required ?? []), 'overrideRules'],
          properties: { ...spec.properties, overrideRules: { ...rules, minItems: 1 } },
        },
      });
    }
    // The template as the API server keeps it (defaults filled in), not created.
    reference = (await apps.createNamespacedDeployment({
      namespace: NS,
      body: template('web'),
      dryRun: 'All',
    })) as unknown as TemplateObject;
  }, 240_000);

  afterAll(async () => {
    for (const [kind, counts] of tally) console.log(`fuzz ${kind}: ${JSON.stringify(counts)}`);
    if (controller) await stopProcess(controller);
  }, 30_000);

  it.each(KINDS.map((k) => k.kind))(
    '%s: each is rejected naming a spec field, or accepted and rendered without a throw',
    async (kindName) => {
      const k = kinds.get(kindName);
      if (!k) throw new Error(`${kindName} not loaded`);
      let n = 0;
      const progress = caseCounter(kindName, RUNS);
      await fc.assert(
        fc.asyncProperty(
          fc.boolean().chain((noisy) => validArbitrary(k.spec, noisy)),
          async (spec) => {
            progress();
            const p = policyObject(k, `fuzz-${++n}`, spec as OverrideSpec);
            let created: AnyOverridePolicy;
            try {
              created = (await create(k, p, true)) as AnyOverridePolicy;
            } catch (err) {
              const { code, message } = failureOf(err);
              count(kindName, `rejected ${code}`);
              // 422 Invalid (schema, CEL) or 400 BadRequest (strict decoding); never a 500.
              expect([400, 422]).toContain(code);
              if (!namesSpecField(message))
                throw new Error(`no spec field in: ${message}`, { cause: err });
              return;
            }
            count(kindName, 'accepted');
            const policy = { ...created, kind: kindName } as AnyOverridePolicy;
            // As generated (its selectors may or may not pick the template) and narrowed to it.
            render(reference, policy);
            const narrowed = { ...policy, spec: selecting(k, policy.spec, 'web') };
            const outcome = (e: Expected) =>
              e.status === 'False' ? 'OverrideFailed' : e.copies > 0 ? 'applied' : 'no rule';
            count(kindName, `c1: ${outcome(render(reference, narrowed))}`);
            // And every rule for every member, so that each generated overrider is applied.
            const everywhere = (policy.spec.overrideRules ?? []).map((r) => ({
              overriders: r.overriders,
            }));
            const all = { ...narrowed, spec: { ...narrowed.spec, overrideRules: everywhere } };
            count(kindName, `all rules: ${outcome(render(reference, all))}`);
            const kept = accepted.get(kindName) ?? [];
            if (kept.length < LIVE) accepted.set(kindName, [...kept, policy.spec]);
          },
        ),
        { numRuns: RUNS, ...kindTimeCap() },
      );
      const t = tally.get(kindName) ?? {};
      expect(t.accepted ?? 0).toBeGreaterThan(0);
      expect(Object.keys(t).some((o) => o.startsWith('rejected'))).toBe(true);
    },
    60_000 + RUNS * FUZZ_CASE_GUARD_MS,
  );

  it(
    'accepted ones created for real each get the Applied condition their rendering predicts',
    async () => {
      const live = [...accepted].flatMap(([kindName, specs]) =>
        specs.map((spec) => ({ k: kinds.get(kindName) as Kind, spec })),
      );
      expect(live.length).toBeGreaterThan(0);
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'propagationpolicies',
        namespace: NS,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'PropagationPolicy',
          metadata: { name: 'all', namespace: NS },
          spec: {
            resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
            placement: { clusterAffinities: [{ affinityName: 'c1', clusterNames: ['c1'] }] },
          },
        },
      });
      controller = startControllerProcess(fleet.state);
      const proc = controller;
      const memory = new MemoryWatch(proc.pid);
      const batches = Math.ceil(live.length / PER_BATCH);
      const statusOf = async (k: Kind, name: string) => {
        const ref = { group: GROUP, version: VERSION, plural: k.plural, name };
        const got = (await (k.namespaced
          ? custom.getNamespacedCustomObject({ ...ref, namespace: NS })
          : custom.getClusterCustomObject(ref))) as {
          status?: {
            appliedCopies?: number;
            conditions?: { type: string; status: string; reason: string; message: string }[];
          };
        };
        const c = got.status?.conditions?.find((x) => x.type === 'Applied');
        return { status: c?.status, reason: c?.reason, copies: got.status?.appliedCopies, c };
      };
      let serial = 0;
      for (let b = 0; b < batches; b++) {
        const items: { k: Kind; name: string; expected: Expected }[] = [];
        for (const { k, spec } of live.slice(b * PER_BATCH, (b + 1) * PER_BATCH)) {
          const name = `t${++serial}`;
          await apps.createNamespacedDeployment({ namespace: NS, body: template(name) });
          const t = (await apps.readNamespacedDeployment({
            name,
            namespace: NS,
          })) as unknown as TemplateObject;
          const p = policyObject(k, `${name}-${k.kind.toLowerCase()}`, selecting(k, spec, name));
          items.push({ k, name: p.metadata.name ?? '', expected: render(t, p) });
          await create(k, p, false);
        }
        let wrong: string[] = [];
        await waitFor(`batch ${b + 1}: each policy's Applied condition`, 120_000, async () => {
          wrong = [];
          for (const { k, name, expected } of items) {
            const got = await statusOf(k, name);
            if (
              got.status !== expected.status ||
              got.reason !== expected.reason ||
              got.copies !== expected.copies
            )
              wrong.push(
                `${k.kind} ${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`,
              );
          }
          return wrong.length === 0;
        }).catch((err: unknown) => {
          throw new Error(`${String(err)}; ${wrong.slice(0, 3).join('; ')}`, { cause: err });
        });
        for (const { k, expected } of items)
          count(`live ${k.kind}`, `${expected.status} ${expected.reason}`);
        for (const { k, name } of items) {
          const ref = { group: GROUP, version: VERSION, plural: k.plural, name };
          await (k.namespaced
            ? custom.deleteNamespacedCustomObject({ ...ref, namespace: NS })
            : custom.deleteClusterCustomObject(ref));
        }
        for (const { name } of items)
          await apps.deleteNamespacedDeployment({
            name: name.replace(/-(cluster)?overridepolicy$/, ''),
            namespace: NS,
          });
        await waitFor(`batch ${b + 1}: templates gone`, 120_000, async () => {
          const left = await apps.listNamespacedDeployment({ namespace: NS });
          return left.items.length === 0;
        });
        expect(isRunning(proc)).toBe(true);
        memory.afterBatch(b, batches);
      }
      console.log(
        `fleet controller RSS over ${live.length} live override policies: ${memory.report()}`,
      );
      const log = readFileSync(proc.log, 'utf8');
      expect(log).not.toMatch(/unhandled|uncaught/i);
      expect(isRunning(proc)).toBe(true);
      expect(memory.excess()).toEqual([]);
    },
    300_000 + LIVE * 2 * 10_000,
  );
});
