/**
 * Observability against a real Prometheus: both controllers run through the fleet seed's
 * scale-out and a ResourcePolicy gating pods while Prometheus scrapes them; then every query of
 * both Grafana dashboards must return data, and every alert rule of both charts' PrometheusRules
 * must load and evaluate without error.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import {
  SEED_DEMO,
  SYSTEM_NAMESPACE,
  installCrds,
  registerMembers,
  seedPolicy,
} from '../support/spillway.js';
import { installCrd } from '../resourcepolicy/support.js';
import { runFleetController, type FleetController } from '../../src/fleet/controller.js';
import {
  runResourcePolicyController,
  type ResourcePolicyController,
} from '../../src/resourcepolicy/main.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { applyWebScenario, kubectl, renderChart } from './support.js';
import { Prometheus, chartDashboardQueries } from './prometheus.js';

const fleet = useFleet('prometheus', 'demo.yaml', { scaleUpDelaySeconds: 3 });
const hubPath = () => hub(fleet.state).kubeconfigPath;
const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');

let fleetController: FleetController | undefined;
let rpController: ResourcePolicyController | undefined;
let prometheus: Prometheus | undefined;

interface Rule {
  alert: string;
  expr: string;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** The alert rule groups of a chart's PrometheusRule, as `helm template` renders them. */
async function chartRuleGroups(chart: string): Promise<RuleGroup[]> {
  const out = await renderChart(chart, {
    release: chart,
    set: ['metrics.prometheusRule.enabled=true'],
  });
  const rule = parseAllDocuments(out)
    .map((d) => d.toJS() as { kind?: string; spec?: { groups: RuleGroup[] } } | null)
    .find((o) => o?.kind === 'PrometheusRule');
  if (!rule?.spec) throw new Error(`${chart} renders no PrometheusRule`);
  return rule.spec.groups;
}

const QUERIES = chartDashboardQueries();

beforeAll(async () => {
  const hubKc = kubeConfigFor(hub(fleet.state));
  await installCrds(hubKc);
  await registerMembers(fleet.state);
  fleetController = await runFleetController({
    hub: hubKc,
    namespace: SYSTEM_NAMESPACE,
    healthPort: 0,
    logger: silentLogger(),
    recheckMs: 1000,
    probeIntervalMs: 2000,
  });
  const idcKc = kubeConfigFor(idc());
  await installCrd(idcKc);
  rpController = await runResourcePolicyController({
    kubeConfig: idcKc,
    namespace: 'kube-system',
    healthPort: 0,
    healthHost: '127.0.0.1',
    webhook: { host: '127.0.0.1', port: 0, endpoint: { url: 'https://127.0.0.1:{port}/mutate' } },
    logger: silentLogger(),
  });
  // Job names are the release names, as the charts' ServiceMonitors set them.
  prometheus = await Prometheus.start(
    {
      'spillway-hub': fleetController.healthPort ?? 0,
      'spillway-member': rpController.healthPort ?? 0,
    },
    [...(await chartRuleGroups('spillway-hub')), ...(await chartRuleGroups('spillway-member'))],
  );
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await fleetController?.stop();
  await rpController?.stop();
}, 60_000);

describe('Prometheus scrapes the controllers during the seed scenarios', () => {
  it('runs the fleet seed to its spill-over and a ResourcePolicy gating pods', async () => {
    await kubectl(hubPath(), ['create', 'namespace', 'test']);
    await kubectl(hubPath(), ['apply', '-f', SEED_DEMO]);
    await kubectl(hubPath(), ['apply', '-f', '-'], seedPolicy(idc().name, bj().name));
    await waitFor('qwen3 copy in cluster-idc-demo', 90_000, async () => {
      const out = await kubectl(idc().kubeconfigPath, ['-n', 'test', 'get', 'deploy', 'qwen3']);
      return out.includes('2/2');
    });
    // Scale out: 2 replicas spill to cluster-bj-demo, which is asked for GPU nodes.
    await kubectl(hubPath(), ['-n', 'test', 'scale', 'deploy', 'qwen3', '--replicas=4']);
    const custom = kubeConfigFor(bj()).makeApiClient(CustomObjectsApi);
    await waitFor('a ProvisioningRequest in cluster-bj-demo', 60_000, async () => {
      const prs = (await custom.listNamespacedCustomObject({
        group: 'autoscaling.x-k8s.io',
        version: 'v1',
        plural: 'provisioningrequests',
        namespace: 'test',
      })) as { items: unknown[] };
      return prs.items.length > 0;
    });

    await applyWebScenario(idc().kubeconfigPath);
    await waitFor('3 web pods bound', 90_000, async () => {
      const out = await kubectl(idc().kubeconfigPath, [
        '-n',
        'rp-test',
        'get',
        'pods',
        '-o',
        'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}',
      ]);
      return out.split('\n').filter((n) => n.length > 0).length === 3;
    });
  }, 300_000);

  it.each(QUERIES.map((q) => [q.panel, q.expr] as const))(
    'dashboard panel "%s" returns data: %s',
    async (_panel, expr) => {
      let last = '';
      await waitFor('data', 60_000, async () => {
        const r = await (prometheus as Prometheus).query(expr);
        last = JSON.stringify(r).slice(0, 300);
        return r.status === 'success' && (r.data?.result.length ?? 0) > 0;
      }).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; last answer ${last}`, { cause: err });
      });
    },
    90_000,
  );

  it('every alert rule of both charts loads and evaluates without error', async () => {
    const expected = [
      ...(await chartRuleGroups('spillway-hub')),
      ...(await chartRuleGroups('spillway-member')),
    ].flatMap((g) => g.rules);
    type RulesAnswer = {
      data: {
        groups: { rules: { name: string; health: string; lastError?: string; query: string }[] }[];
      };
    };
    let rules: RulesAnswer['data']['groups'][number]['rules'] = [];
    await waitFor('every rule evaluated once', 30_000, async () => {
      const r = await (prometheus as Prometheus).get<RulesAnswer>('/api/v1/rules');
      rules = r.data.groups.flatMap((g) => g.rules);
      return rules.length === expected.length && rules.every((x) => x.health !== 'unknown');
    });
    expect(rules.map((r) => r.name).sort()).toEqual(expected.map((r) => r.alert).sort());
    for (const r of rules)
      expect({ name: r.name, health: r.health, err: r.lastError ?? '' }).toEqual({
        name: r.name,
        health: 'ok',
        err: '',
      });
    for (const rule of expected) {
      const answer = await (prometheus as Prometheus).query(rule.expr);
      expect({ alert: rule.alert, status: answer.status }).toEqual({
        alert: rule.alert,
        status: 'success',
      });
    }
  }, 60_000);
});
