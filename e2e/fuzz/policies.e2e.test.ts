/**
 * Policy fuzzing on a real API server (a hub-only fleet with config/crds installed):
 * generated PropagationPolicy, ClusterPropagationPolicy and ResourcePolicy specs are each either
 * rejected with a message that names the field (schema or CEL), or accepted; an accepted one then
 * goes through the controllers' own reading of it (placement resolution and the scheduler for
 * the fleet policies, readPolicy and the gate for ResourcePolicies), which must report a problem
 * as a condition message, never throw. Then some accepted ones are created for real, in batches,
 * under both controllers running as their own processes: each must get a Ready condition, both
 * processes must keep running (an unhandled rejection would end one), and their memory is sampled
 * after the first, the middle and the last batch (memory-bound.ts). `make test` runs a few cases
 * per kind; `make fuzz` runs SPILLWAY_FUZZ_RUNS (10,000) per kind and SPILLWAY_FUZZ_LIVE (200)
 * live ones per kind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
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
import { shareConnections } from '../../src/runtime/connections.js';
import { hub, kubeConfigFor } from '../fleet/index.js';
import { freePorts } from '../fleet/ports.js';
import { isRunning, stopProcess, type ProcessRecord } from '../fleet/processes.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import {
  SYSTEM_NAMESPACE,
  installCrds,
  startControllerProcess,
  startResourcePolicyControllerProcess,
} from '../support/spillway.js';
import { FUZZ_CASE_GUARD_MS, failureOf, namesSpecField } from './api-failure.js';
import { MemoryWatch } from './memory-bound.js';
import { caseCounter, kindTimeCap } from './progress.js';
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

/** Accepted specs per kind created for real with the controllers running (make fuzz: more). */
const LIVE = Number(process.env.SPILLWAY_FUZZ_LIVE ?? 15);
/** Live specs per kind in one batch: created, each awaited to Ready, deleted. */
const PER_BATCH = Number(process.env.SPILLWAY_FUZZ_BATCH_SIZE ?? 5);

const KINDS: Omit<Kind, 'group' | 'version' | 'plural' | 'namespaced' | 'spec'>[] = [
  { kind: 'PropagationPolicy', file: 'policy.one.alibabacloud.com_propagationpolicies.yaml' },
  {
    kind: 'ClusterPropagationPolicy',
    file: 'policy.one.alibabacloud.com_clusterpropagationpolicies.yaml',
  },
  { kind: 'ResourcePolicy', file: 'scheduling.alibabacloud.com_resourcepolicies.yaml' },
];

const fleet = useFleet('fuzz-policies', 'hub-only.yaml');
let custom: CustomObjectsApi;
/** Accepted specs kept for the live check, per kind. */
const acceptedSpecs = new Map<string, unknown[]>();
const kinds = new Map<string, Kind>();
/** Outcomes per kind, printed after the run (the figures of a `make fuzz` run). */
const tally = new Map<string, Record<string, number>>();
const controllers: ProcessRecord[] = [];

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

// The hooks sit in the describe block so that its afterAll (stopping the controller processes)
// runs before useFleet's, which keeps the logs and stops the fleet: Jest runs a block's afterAll
// hooks before its parent's, and hooks of one block in the order they are declared.
describe('generated policies on a real API server', () => {
  beforeAll(async () => {
    // One kept-alive connection for the run's thousands of calls, not a TLS handshake each.
    const kc = shareConnections(kubeConfigFor(hub(fleet.state)));
    await installCrds(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
    for (const k of KINDS) {
      const [crd] = parseYamlDocuments(readFileSync(join(CRD_DIR, k.file), 'utf8')) as {
        spec: {
          group: string;
          scope: string;
          names: { plural: string };
          versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
        };
      }[];
      const version = crd?.spec.versions[0];
      const spec = version?.schema.openAPIV3Schema.properties?.spec;
      if (!crd || !version || !spec) throw new Error(`no spec schema in ${k.file}`);
      const kind: Kind = {
        ...k,
        group: crd.spec.group,
        version: version.name,
        plural: crd.spec.names.plural,
        namespaced: crd.spec.scope === 'Namespaced',
        spec,
      };
      kinds.set(k.kind, kind);
      await waitFor(`${k.kind} served`, 30_000, async () => {
        await custom.listClusterCustomObject(kind);
        return true;
      });
    }
    const core = kc.makeApiClient(CoreV1Api);
    await ensureNamespace(core, NS);
    await ensureNamespace(core, SYSTEM_NAMESPACE);
  }, 120_000);

  afterAll(async () => {
    for (const [kind, counts] of tally) console.log(`fuzz ${kind}: ${JSON.stringify(counts)}`);
    for (const c of controllers) await stopProcess(c);
  }, 30_000);

  it.each(KINDS.map((k) => k.kind))(
    '%s: each is rejected naming a field, or accepted and read by the controller without a throw',
    async (kindName) => {
      const k = kinds.get(kindName);
      if (!k) throw new Error(`${kindName} not installed`);
      const progress = caseCounter(kindName, RUNS);
      await fc.assert(
        fc.asyncProperty(
          fc
            .boolean()
            .chain((noisy) => validArbitrary(k.spec, noisy).map((spec) => ({ noisy, spec }))),
          async ({ noisy, spec }) => {
            progress();
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
        { numRuns: RUNS, ...kindTimeCap() },
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
    'accepted specs created for real in batches each get a Ready condition; both controller processes keep running',
    async () => {
      const h = hub(fleet.state);
      const [webhookPort = 0] = await freePorts(1);
      controllers.push(
        startControllerProcess(fleet.state),
        startResourcePolicyControllerProcess(fleet.state, h, webhookPort),
      );
      const memory = controllers.map((c) => ({ c, watch: new MemoryWatch(c.pid) }));
      const perKind = [...acceptedSpecs].map(([kindName, specs]) => {
        const k = kinds.get(kindName);
        if (!k) throw new Error(`${kindName} not installed`);
        return { k, specs };
      });
      const batches = Math.ceil(Math.max(0, ...perKind.map((p) => p.specs.length)) / PER_BATCH);
      expect(batches).toBeGreaterThan(0);
      // One list per kind; the names of that kind with a Ready condition (True or False).
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
      for (let b = 0; b < batches; b++) {
        const created: { k: Kind; name: string }[] = [];
        for (const { k, specs } of perKind) {
          for (const spec of specs.slice(b * PER_BATCH, (b + 1) * PER_BATCH)) {
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
        let missing: string[] = [];
        // The first batch also waits for both processes to start and sync their caches.
        await waitFor(`batch ${b + 1}: a Ready condition on each policy`, 120_000, async () => {
          const ready = new Map<string, Set<string>>();
          for (const { k } of perKind) ready.set(k.kind, await readyNames(k));
          missing = created
            .filter(({ k, name }) => !ready.get(k.kind)?.has(name))
            .map(({ k, name }) => `${k.kind} ${name}`);
          return missing.length === 0;
        }).catch((err: unknown) => {
          throw new Error(`${String(err)}; without Ready: ${missing.slice(0, 10).join(', ')}`, {
            cause: err,
          });
        });
        for (const { k } of created) count(`live ${k.kind}`, 'Ready');
        for (const { k, name } of created) {
          const ref = { group: k.group, version: k.version, plural: k.plural, name };
          await (k.namespaced
            ? custom.deleteNamespacedCustomObject({ ...ref, namespace: NS })
            : custom.deleteClusterCustomObject(ref));
        }
        for (const c of controllers) expect([c.name, isRunning(c)]).toEqual([c.name, true]);
        for (const { watch } of memory) watch.afterBatch(b, batches);
      }
      for (const { c, watch } of memory) {
        console.log(`${c.name} RSS over ${batches} batches of live policies: ${watch.report()}`);
        expect(readFileSync(c.log, 'utf8')).not.toMatch(/unhandled|uncaught/i);
        expect(isRunning(c)).toBe(true);
        expect([c.name, watch.excess()]).toEqual([c.name, []]);
      }
    },
    120_000 + LIVE * 3 * 2_000,
  );
});
