/**
 * Policy fuzzing on a real API server (a hub-only fleet with config/crds installed):
 * generated PropagationPolicy, ClusterPropagationPolicy and ResourcePolicy specs are each either
 * rejected with a message that names the field (schema or CEL), or accepted; an accepted one then
 * goes through the controllers' own reading of it (placement resolution and the scheduler for
 * the fleet policies, readPolicy and the gate for ResourcePolicies), which must report a problem
 * as a condition message, never throw. Then some accepted ones are created for real under both
 * running controllers, and each must get a Ready condition. `make test` runs a few cases per
 * kind; `make fuzz` runs SPILLWAY_FUZZ_RUNS (10,000) per kind.
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
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { POLICY_DEFAULTS, type AnyPropagationPolicy } from '../../src/api/policy.js';
import type { ResourcePolicy } from '../../src/api/resourcepolicy.js';
import { resolvePlacement, type MemberInfo } from '../../src/fleet/placement.js';
import { policySpecificity } from '../../src/fleet/policy-match.js';
import { gateDecision } from '../../src/resourcepolicy/gate.js';
import { readPolicy } from '../../src/resourcepolicy/spec.js';
import { ScheduleInputError, schedule } from '../../src/scheduler/index.js';
import { CRD_DIR, parseYamlDocuments } from '../../test/fixtures/fixtures.js';
import { DEFAULT_STATE_ROOT, startHub } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { ensureNamespace } from '../support/kube.js';
import { SYSTEM_NAMESPACE } from '../support/spillway.js';
import { runFleetController } from '../../src/fleet/controller.js';
import { runResourcePolicyController } from '../../src/resourcepolicy/main.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { FUZZ_CASE_GUARD_MS, failureOf, namesSpecField } from './api-failure.js';
import { validArbitrary, type Schema } from './schema-arbitrary.js';

const RUNS = Number(process.env.SPILLWAY_FUZZ_RUNS ?? 60);
const NS = 'fuzz';

interface Kind {
  kind: string;
  file: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  spec: Schema;
}

/** Also installed, for the fleet controller of the live check. */
const FLEET_CRDS = [
  'fleet.spillway.dev_memberclusters.yaml',
  'fleet.spillway.dev_resourcebindings.yaml',
];
/** Accepted specs per kind created for real with the controllers running (make fuzz: more). */
const LIVE = Number(process.env.SPILLWAY_FUZZ_LIVE ?? 15);

const KINDS: Omit<Kind, 'group' | 'version' | 'plural' | 'namespaced' | 'spec'>[] = [
  { kind: 'PropagationPolicy', file: 'policy.one.alibabacloud.com_propagationpolicies.yaml' },
  {
    kind: 'ClusterPropagationPolicy',
    file: 'policy.one.alibabacloud.com_clusterpropagationpolicies.yaml',
  },
  { kind: 'ResourcePolicy', file: 'scheduling.alibabacloud.com_resourcepolicies.yaml' },
];

let stopHub: (() => Promise<void>) | undefined;
let hubConfig: KubeConfig;
let custom: CustomObjectsApi;
/** Accepted specs kept for the live check, per kind. */
const acceptedSpecs = new Map<string, unknown[]>();
const kinds = new Map<string, Kind>();
/** Outcomes per kind, printed after the run (the figures of a `make fuzz` run). */
const tally = new Map<string, Record<string, number>>();

beforeAll(async () => {
  const hub = await startHub(join(DEFAULT_STATE_ROOT, 'e2e-fuzz'));
  stopHub = hub.stop;
  const kc = new KubeConfig();
  kc.loadFromFile(hub.kubeconfigPath);
  custom = kc.makeApiClient(CustomObjectsApi);
  hubConfig = kc;
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const file of FLEET_CRDS) {
    const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(join(CRD_DIR, file), 'utf8'));
    await objects.patch(
      crd,
      undefined,
      undefined,
      'spillway-e2e',
      true,
      PatchStrategy.ServerSideApply,
    );
  }
  for (const k of KINDS) {
    const text = readFileSync(join(CRD_DIR, k.file), 'utf8');
    // client-node's models keep enum, default and the CEL rules on the way to the server.
    const crd = loadYaml<V1CustomResourceDefinition>(text);
    await objects.patch(
      crd,
      undefined,
      undefined,
      'spillway-e2e',
      true,
      PatchStrategy.ServerSideApply,
    );
    const [plain] = parseYamlDocuments(text) as {
      spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
    }[];
    const version = plain?.spec.versions[0];
    const spec = version?.schema.openAPIV3Schema.properties?.spec;
    if (!version || !spec) throw new Error(`no spec schema in ${k.file}`);
    kinds.set(k.kind, {
      ...k,
      group: crd.spec.group,
      version: version.name,
      plural: crd.spec.names.plural,
      namespaced: crd.spec.scope === 'Namespaced',
      spec,
    });
    await waitFor(`CRD ${crd.metadata?.name} Established`, 30_000, async () => {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' });
      return (got.status?.conditions ?? []).some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
    });
  }
  await ensureNamespace(kc.makeApiClient(CoreV1Api), NS);
  await ensureNamespace(kc.makeApiClient(CoreV1Api), SYSTEM_NAMESPACE);
}, 240_000);

afterAll(async () => {
  for (const [kind, counts] of tally) console.log(`fuzz ${kind}: ${JSON.stringify(counts)}`);
  await stopHub?.();
}, 60_000);

let counter = 0;

/** Server-side dry run of the object; the accepted object (defaults applied) or the failure. */
async function tryCreate(
  k: Kind,
  spec: unknown,
): Promise<{ accepted: Record<string, unknown> } | { code: number; message: string }> {
  const name = `fuzz-${++counter}`;
  const body = {
    apiVersion: `${k.group}/${k.version}`,
    kind: k.kind,
    metadata: { name, ...(k.namespaced ? { namespace: NS } : {}) },
    spec,
  };
  const common = { group: k.group, version: k.version, plural: k.plural, body };
  try {
    const created: unknown = k.namespaced
      ? await custom.createNamespacedCustomObject({
          ...common,
          namespace: NS,
          dryRun: 'All',
          fieldValidation: 'Strict',
        })
      : await custom.createClusterCustomObject({
          ...common,
          dryRun: 'All',
          fieldValidation: 'Strict',
        });
    return { accepted: created as Record<string, unknown> };
  } catch (err) {
    return failureOf(err);
  }
}

const MEMBERS: MemberInfo[] = [
  { name: 'c1', labels: { app: 'web' } },
  { name: 'c2', labels: {} },
  { name: 'c3', labels: { tier: 'pool-a' } },
];

/** What the fleet controller does with a policy it reads: match, resolve, schedule. */
function fleetControllerReads(p: AnyPropagationPolicy): void {
  policySpecificity(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: NS,
      name: 'web',
      labels: { app: 'web' },
    },
    p,
  );
  const placement = resolvePlacement(p.spec.placement, MEMBERS);
  try {
    const result = schedule({
      replicas: 7,
      groups: placement.groups,
      scheduling: placement.scheduling,
      clusters: MEMBERS.map((m, i) => ({
        name: m.name,
        cur: i,
        avail: 2 + i,
        canProvision: i === 2,
      })),
      ecsProvision: p.spec.autoScaling?.ecsProvision ?? false,
      tolerationSeconds:
        p.spec.failover?.cluster?.tolerationSeconds ?? POLICY_DEFAULTS.clusterTolerationSeconds,
    });
    for (const c of result.clusters) {
      expect(Number.isInteger(c.replicas)).toBe(true);
      expect(c.replicas).toBeGreaterThanOrEqual(0);
    }
  } catch (err) {
    // Reported as an InvalidInput condition and a ScheduleFailed Event by the controller.
    if (!(err instanceof ScheduleInputError)) throw err;
  }
}

/** What the ResourcePolicy controller does with one: read it (errors become InvalidSpec), gate. */
function resourcePolicyControllerReads(rp: ResourcePolicy): void {
  const read = readPolicy(rp);
  if (!read.policy) {
    expect(read.errors.length).toBeGreaterThan(0);
    return;
  }
  gateDecision(
    { metadata: { name: 'p', namespace: NS, labels: { app: 'web' } }, spec: { containers: [] } },
    NS,
    [read.policy],
  );
}

function count(kind: string, outcome: string): void {
  const t = tally.get(kind) ?? {};
  t[outcome] = (t[outcome] ?? 0) + 1;
  tally.set(kind, t);
}

describe('generated policies on a real API server', () => {
  it.each(KINDS.map((k) => k.kind))(
    '%s: each is rejected naming a field, or accepted and read by the controller without a throw',
    async (kindName) => {
      const k = kinds.get(kindName);
      if (!k) throw new Error(`${kindName} not installed`);
      await fc.assert(
        fc.asyncProperty(
          fc
            .boolean()
            .chain((noisy) => validArbitrary(k.spec, noisy).map((spec) => ({ noisy, spec }))),
          async ({ noisy, spec }) => {
            const out = await tryCreate(k, spec);
            if (!('accepted' in out)) {
              count(kindName, `rejected ${out.code}`);
              if (process.env.SPILLWAY_FUZZ_DEBUG && !noisy) console.log(out.message);
              // 422 Invalid (schema, CEL) or 400 BadRequest (strict decoding); never a 500.
              expect([400, 422]).toContain(out.code);
              if (!namesSpecField(out.message)) throw new Error(`no field in: ${out.message}`);
              return;
            }
            count(kindName, 'accepted');
            const kept = acceptedSpecs.get(kindName) ?? [];
            if (kept.length < LIVE) acceptedSpecs.set(kindName, [...kept, spec]);
            if (kindName === 'ResourcePolicy')
              resourcePolicyControllerReads(out.accepted as unknown as ResourcePolicy);
            else fleetControllerReads(out.accepted as unknown as AnyPropagationPolicy);
          },
        ),
        { numRuns: RUNS },
      );
      // The generators reach both sides of the schema, or the run proves little.
      expect(tally.get(kindName)?.accepted ?? 0).toBeGreaterThan(0);
      expect(Object.keys(tally.get(kindName) ?? {}).some((o) => o.startsWith('rejected'))).toBe(
        true,
      );
    },
    60_000 + RUNS * FUZZ_CASE_GUARD_MS,
  );

  it(
    'accepted specs created for real each get a Ready condition from the running controllers',
    async () => {
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      const fleetController = await runFleetController({
        hub: hubConfig,
        namespace: SYSTEM_NAMESPACE,
        healthPort: 0,
        leaderElection: false,
        logger: silentLogger(),
      });
      const rpController = await runResourcePolicyController({
        kubeConfig: hubConfig,
        leaderElection: false,
        webhook: {
          host: '127.0.0.1',
          port: 0,
          endpoint: { url: 'https://127.0.0.1:{port}/mutate' },
        },
        logger: silentLogger(),
      });
      const created: { k: Kind; name: string }[] = [];
      try {
        for (const [kindName, specs] of acceptedSpecs) {
          const k = kinds.get(kindName);
          if (!k) throw new Error(`${kindName} not installed`);
          for (const spec of specs) {
            const name = `live-${++counter}`;
            const body = {
              apiVersion: `${k.group}/${k.version}`,
              kind: k.kind,
              metadata: { name, ...(k.namespaced ? { namespace: NS } : {}) },
              spec,
            };
            const common = { group: k.group, version: k.version, plural: k.plural, body };
            if (k.namespaced)
              await custom.createNamespacedCustomObject({ ...common, namespace: NS });
            else await custom.createClusterCustomObject(common);
            created.push({ k, name });
          }
        }
        expect(created.length).toBeGreaterThan(0);
        // One list per kind and poll; the error names what still has no Ready condition.
        let missing: string[] = [];
        const readyNames = async (k: Kind): Promise<Set<string>> => {
          const ref = { group: k.group, version: k.version, plural: k.plural };
          const list = (
            k.namespaced
              ? await custom.listNamespacedCustomObject({ ...ref, namespace: NS })
              : await custom.listClusterCustomObject(ref)
          ) as {
            items: {
              metadata: { name: string };
              status?: { conditions?: { type: string; status: string }[] };
            }[];
          };
          return new Set(
            list.items
              .filter((o) =>
                (o.status?.conditions ?? []).some(
                  (c) => c.type === 'Ready' && (c.status === 'True' || c.status === 'False'),
                ),
              )
              .map((o) => o.metadata.name),
          );
        };
        try {
          await waitFor(
            'every created policy has a Ready condition',
            60_000 + created.length * 500,
            async () => {
              const ready = new Map<string, Set<string>>();
              for (const k of kinds.values()) ready.set(k.kind, await readyNames(k));
              missing = created
                .filter(({ k, name }) => !ready.get(k.kind)?.has(name))
                .map(({ k, name }) => `${k.kind} ${name}`);
              if (process.env.SPILLWAY_FUZZ_DEBUG) {
                const by: Record<string, number> = {};
                for (const m of missing)
                  by[m.split(' ')[0] ?? ''] = (by[m.split(' ')[0] ?? ''] ?? 0) + 1;
                console.log(`${new Date().toISOString()} missing ${JSON.stringify(by)}`);
              }
              return missing.length === 0;
            },
          );
        } catch (err) {
          throw new Error(`${String(err)}; without Ready: ${missing.slice(0, 10).join(', ')}`, {
            cause: err,
          });
        }
        expect(rejections).toEqual([]);
      } finally {
        process.off('unhandledRejection', onRejection);
        await rpController.stop();
        await fleetController.stop();
      }
    },
    120_000 + LIVE * 3 * 1_000,
  );
});
