import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PropagationPolicy } from '../../../src/api/index.js';
import {
  REPO_ROOT,
  SEED_PLACEHOLDERS,
  parseYamlDocuments,
  readSeed,
  seedPolicyText,
} from '../../fixtures/fixtures.js';
import { crdByName, rootSchema, walk } from './schema.js';

const IDS = { idc: 'c6b4idc', ack: 'c043ack' };

// The seed's demo-pp.yaml, typed: compiling this proves the TypeScript types accept the seed.
const vllmDeployPp: PropagationPolicy = {
  apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name: 'vllm-deploy-pp', namespace: 'test' },
  spec: {
    autoScaling: { ecsProvision: true },
    placement: {
      clusterAffinities: [
        { affinityName: 'idc', clusterNames: [IDS.idc] },
        { affinityName: 'ack', clusterNames: [IDS.ack] },
      ],
      replicaScheduling: {
        replicaSchedulingType: 'Divided',
        replicaDivisionPreference: 'Weighted',
        weightPreference: { dynamicWeight: 'AvailableReplicas' },
      },
    },
    preserveResourcesOnDeletion: false,
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test' }],
    schedulerName: 'default-scheduler',
  },
};

const demoSvc: PropagationPolicy = {
  apiVersion: 'policy.one.alibabacloud.com/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name: 'demo-svc', namespace: 'test' },
  spec: {
    preserveResourcesOnDeletion: false,
    resourceSelectors: [{ apiVersion: 'v1', kind: 'Service', name: 'qwen3' }],
    placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } },
  },
};

const ppSchema = rootSchema(crdByName('propagationpolicies.policy.one.alibabacloud.com'));
const seedPolicies = (): unknown[] => parseYamlDocuments(seedPolicyText(IDS));

describe('seed fixtures', () => {
  const seedPage = join(REPO_ROOT, '..', 'shared', 'seeds', '000_d37d2c300523ccd3.txt');
  const itWithPage = existsSync(seedPage) ? it : it.skip;

  itWithPage('are verbatim copies of the seed page (demo.yaml is indented there)', () => {
    const page = readFileSync(seedPage, 'utf8');
    expect(page).toContain(readSeed('demo-pp.yaml'));
    const indented = readSeed('demo.yaml')
      .split('\n')
      .map((line) => (line === '' ? '' : `    ${line}`))
      .join('\n');
    expect(page).toContain(indented);
  });

  it('keep the seed placeholders for the cluster IDs', () => {
    const text = readSeed('demo-pp.yaml');
    expect(text).toContain(SEED_PLACEHOLDERS.idc);
    expect(text).toContain(SEED_PLACEHOLDERS.ack);
    expect(seedPolicyText(IDS)).not.toContain('${');
  });

  it('demo-pp.yaml declares only fields the PropagationPolicy schema has (nothing is pruned)', () => {
    for (const doc of seedPolicies()) {
      const result = walk(doc, ppSchema);
      expect(result.undeclared).toEqual([]);
      expect(result.wrongType).toEqual([]);
    }
  });

  it('demo-pp.yaml is what the typed PropagationPolicy literals say', () => {
    expect(seedPolicies()).toEqual([vllmDeployPp, demoSvc]);
  });

  it("the policies' selectors name the templates of demo.yaml", () => {
    const templates = parseYamlDocuments(readSeed('demo.yaml')) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace: string };
    }[];
    expect(
      templates.map((t) => `${t.apiVersion} ${t.kind} ${t.metadata.namespace}/${t.metadata.name}`),
    ).toEqual(['apps/v1 Deployment test/qwen3', 'v1 Service test/qwen3']);
    const [deploySelector] = vllmDeployPp.spec.resourceSelectors;
    const [svcSelector] = demoSvc.spec.resourceSelectors;
    expect(templates[0]).toMatchObject({
      apiVersion: deploySelector?.apiVersion,
      kind: deploySelector?.kind,
    });
    expect(templates[1]).toMatchObject({
      apiVersion: svcSelector?.apiVersion,
      kind: svcSelector?.kind,
      metadata: { name: svcSelector?.name },
    });
  });

  it('the schema walk catches a field the schema lacks', () => {
    const [first] = seedPolicies() as PropagationPolicy[];
    const typo = {
      ...first,
      spec: { ...first?.spec, placement: { ...first?.spec.placement, clusterAffinitys: [] } },
    };
    expect(walk(typo, ppSchema).undeclared).toEqual(['spec.placement.clusterAffinitys']);
  });
});
