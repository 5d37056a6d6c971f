/**
 * Template fuzzing on a real API server (a hub-only fleet): generated Deployment templates
 * (template-arbitrary.ts: names up to the limits, replicas, selectors, resources) are each
 * rejected with a message naming the field, or accepted and read by the fleet controller's own
 * code (requirements, member copy, binding name) without a throw. Then accepted ones are created
 * for real in batches under a policy selecting them all, with the fleet controller running as
 * its own process: each gets a ResourceBinding with a Scheduled condition, and is deleted again.
 * The controller's resident memory is sampled after the first, the middle and the last batch
 * (memory-bound.ts: printed, and bounded in `make fuzz`), and the process must still run (an
 * unhandled rejection would have ended it). `make test` runs a few cases; `make fuzz` runs
 * SPILLWAY_FUZZ_RUNS (10,000) and SPILLWAY_FUZZ_BATCHES (20) batches.
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
import { bindingName } from '../../src/api/fleet.js';
import { memberCopy, type TemplateObject } from '../../src/fleet/member-copy.js';
import { replicaRequirements } from '../../src/fleet/requirements.js';
import { shareConnections } from '../../src/runtime/connections.js';
import { hub, kubeConfigFor } from '../fleet/index.js';
import { isRunning, stopProcess, type ProcessRecord } from '../fleet/processes.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { ensureNamespace } from '../support/kube.js';
import { SYSTEM_NAMESPACE, installCrds, startControllerProcess } from '../support/spillway.js';
import { FUZZ_CASE_GUARD_MS, failureOf } from './api-failure.js';
import { MemoryWatch } from './memory-bound.js';
import { caseCounter, kindTimeCap } from './progress.js';
import { deploymentTemplate } from './template-arbitrary.js';

const RUNS = Number(process.env.SPILLWAY_FUZZ_RUNS ?? 60);
const BATCHES = Number(process.env.SPILLWAY_FUZZ_BATCHES ?? 3);
const PER_BATCH = Number(process.env.SPILLWAY_FUZZ_BATCH_SIZE ?? 5);
const NS = 'fuzz-templates';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const fleet = useFleet('fuzz-templates', 'hub-only.yaml');
let kc: KubeConfig;
let controller: ProcessRecord | undefined;
const accepted: V1Deployment[] = [];
const tally: Record<string, number> = {};

/** What the fleet controller computes from a template it binds; must not throw. */
function controllerReads(t: V1Deployment): void {
  const template = t as unknown as TemplateObject;
  replicaRequirements(template);
  const name = bindingName(t.metadata?.name ?? '', 'Deployment');
  expect(name.length).toBeLessThanOrEqual(253);
  expect(name).toMatch(DNS_SUBDOMAIN);
  const copy = memberCopy(template, `${NS}/${name}`, 1);
  expect(copy.spec?.replicas).toBe(1);
}

// The hooks sit in the describe block so that its afterAll (stopping the controller process)
// runs before useFleet's, which keeps the logs and stops the fleet: Jest runs a block's afterAll
// hooks before its parent's, and hooks of one block in the order they are declared.
describe('generated templates', () => {
  beforeAll(async () => {
    // One kept-alive connection for the run's thousands of calls, not a TLS handshake each.
    kc = shareConnections(kubeConfigFor(hub(fleet.state)));
    await installCrds(kc);
    const core = kc.makeApiClient(CoreV1Api);
    await ensureNamespace(core, NS);
    await ensureNamespace(core, SYSTEM_NAMESPACE);
  }, 240_000);

  afterAll(async () => {
    console.log(`fuzz templates: ${JSON.stringify(tally)}`);
    if (controller) await stopProcess(controller);
  }, 30_000);

  it(
    'are each rejected naming a field, or accepted and read by the controller without a throw',
    async () => {
      const apps = kc.makeApiClient(AppsV1Api);
      const progress = caseCounter('templates', RUNS);
      await fc.assert(
        fc.asyncProperty(deploymentTemplate(NS), async (t) => {
          progress();
          let created: V1Deployment;
          try {
            created = await apps.createNamespacedDeployment({
              namespace: NS,
              body: t,
              dryRun: 'All',
              fieldValidation: 'Strict',
            });
          } catch (err) {
            const { code, message } = failureOf(err);
            expect([400, 422]).toContain(code);
            // The API server's own decoder refuses a malformed quantity before validation,
            // without a field path (upstream behaviour, not a schema of ours).
            const decoding = code === 400 && message.includes('cannot be handled as a Deployment');
            const outcome = decoding ? 'rejected 400 (decoding)' : `rejected ${code}`;
            tally[outcome] = (tally[outcome] ?? 0) + 1;
            if (decoding) return;
            if (!/\b(spec|metadata)\.|metadata\.name|: Invalid value/.test(message))
              throw new Error(`no field in: ${message}`, { cause: err });
            return;
          }
          tally.accepted = (tally.accepted ?? 0) + 1;
          controllerReads(created);
          if (!accepted.some((a) => a.metadata?.name === t.metadata?.name)) accepted.push(t);
        }),
        { numRuns: RUNS, ...kindTimeCap() },
      );
      expect(tally.accepted ?? 0).toBeGreaterThan(0);
      expect(Object.keys(tally).some((k) => k.startsWith('rejected'))).toBe(true);
    },
    120_000 + RUNS * FUZZ_CASE_GUARD_MS,
  );

  it(
    'created for real in batches each get a binding with a Scheduled condition; the controller keeps running',
    async () => {
      const custom = kc.makeApiClient(CustomObjectsApi);
      const apps = kc.makeApiClient(AppsV1Api);
      await custom.createNamespacedCustomObject({
        group: 'policy.one.alibabacloud.com',
        version: 'v1alpha1',
        plural: 'propagationpolicies',
        namespace: NS,
        body: {
          apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
          kind: 'PropagationPolicy',
          metadata: { name: 'all', namespace: NS },
          spec: {
            resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
            placement: { clusterAffinities: [{ affinityName: 'none', clusterNames: ['absent'] }] },
          },
        },
      });
      controller = startControllerProcess(fleet.state);
      const proc = controller;
      const memory = new MemoryWatch(proc.pid);
      const scheduled = async (name: string): Promise<boolean> => {
        const rb = (await custom
          .getNamespacedCustomObject({
            group: 'fleet.spillway.dev',
            version: 'v1alpha1',
            plural: 'resourcebindings',
            namespace: NS,
            name: bindingName(name, 'Deployment'),
          })
          .catch(() => undefined)) as { status?: { conditions?: { type: string }[] } } | undefined;
        return (rb?.status?.conditions ?? []).some((c) => c.type === 'Scheduled');
      };
      expect(accepted.length).toBeGreaterThan(0);
      for (let b = 0; b < BATCHES; b++) {
        const batch = Array.from(
          { length: Math.min(PER_BATCH, accepted.length) },
          (_, i) => accepted[(b * PER_BATCH + i) % accepted.length] as V1Deployment,
        ).filter((t, i, all) => all.findIndex((o) => o.metadata?.name === t.metadata?.name) === i);
        for (const t of batch) await apps.createNamespacedDeployment({ namespace: NS, body: t });
        const names = batch.map((t) => t.metadata?.name ?? '');
        let missing: string[] = [];
        await waitFor(`batch ${b}: a Scheduled binding per template`, 120_000, async () => {
          missing = [];
          for (const n of names) if (!(await scheduled(n))) missing.push(n);
          return missing.length === 0;
        }).catch((err: unknown) => {
          throw new Error(`${String(err)}; without: ${missing.slice(0, 3).join(', ')}`, {
            cause: err,
          });
        });
        for (const n of names) await apps.deleteNamespacedDeployment({ name: n, namespace: NS });
        await waitFor(`batch ${b}: templates gone`, 120_000, async () => {
          const left = await apps.listNamespacedDeployment({ namespace: NS });
          return left.items.length === 0;
        });
        expect(isRunning(proc)).toBe(true);
        memory.afterBatch(b, BATCHES);
      }
      console.log(
        `fleet controller RSS over ${BATCHES} batches of ${PER_BATCH} templates: ${memory.report()}`,
      );
      expect(readFileSync(proc.log, 'utf8')).not.toMatch(/unhandled|uncaught/i);
      expect(isRunning(proc)).toBe(true);
      expect(memory.excess()).toEqual([]);
    },
    300_000 + BATCHES * 60_000,
  );
});
