import { describe, expect, it } from '@jest/globals';
import {
  CLUSTER_TAINT_EFFECTS,
  CONDITION_STATUSES,
  DYNAMIC_WEIGHT_FACTORS,
  FLEET_GROUP,
  LABEL_SELECTOR_OPERATORS,
  NODE_SELECTOR_OPERATORS,
  POLICY_DEFAULTS,
  POLICY_GROUP,
  POLICY_KINDS,
  REPLICA_DIVISION_PREFERENCES,
  REPLICA_SCHEDULING_TYPES,
  TOLERATION_EFFECTS,
} from '../../../src/api/index.js';
import { EXAMPLES } from '../../fixtures/examples.js';
import {
  crdByName,
  loadCrds,
  printerColumnPath,
  rootSchema,
  schemaAt,
  schemaNodes,
  structuralProblems,
  walk,
  type Schema,
} from './schema.js';

const COPIED_SPEC_FIELDS = [
  'placement',
  'autoScaling',
  'failover',
  'rebalance',
  'preserveResourcesOnDeletion',
  'schedulerName',
];
const PP = 'propagationpolicies.policy.one.alibabacloud.com';
const CPP = 'clusterpropagationpolicies.policy.one.alibabacloud.com';
const MC = 'memberclusters.fleet.spillway.dev';
const RB = 'resourcebindings.fleet.spillway.dev';
const WR = 'workloadrebalancers.fleet.spillway.dev';

const CLUSTER_GROUP =
  /^spec\.placement\.(clusterAffinity|clusterAffinities\[\]|replicaScheduling\.weightPreference\.staticWeightList\[\]\.targetCluster)(?=\.|$)/;

/**
 * Label selectors, and the cluster groups of a placement, share one shape (tested below), so the
 * examples need to set each of their fields in one place only.
 */
function canonicalPath(path: string): string {
  return path
    .replace(/^.*\.labelSelector(?=\.|$)/, '<labelSelector>')
    .replace(CLUSTER_GROUP, '<group>');
}

/** Subtrees that are copies of the PropagationPolicy schema (tested identical below). */
const COPIED_FROM_POLICY: Readonly<Record<string, readonly string[]>> = {
  [CPP]: ['spec', 'status'],
  [RB]: COPIED_SPEC_FIELDS.map((f) => `spec.${f}`),
};

const isUnder = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

/** The fleet API's CRDs; config/crds also holds other APIs (ResourcePolicy), tested elsewhere. */
const FLEET_API_CRDS = [PP, CPP, MC, RB, WR];
const crds = loadCrds().filter((c) => FLEET_API_CRDS.includes(c.crd.metadata.name));
const ppSchema = rootSchema(crdByName(PP));

describe('config/crds', () => {
  it('holds the five fleet API CRDs, one per file named <group>_<plural>.yaml', () => {
    expect(crds.map((c) => c.crd.metadata.name).sort()).toEqual([...FLEET_API_CRDS].sort());
    for (const { file, crd } of loadCrds()) {
      expect(file).toBe(`${crd.spec.group}_${crd.spec.names.plural}.yaml`);
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.kind).toBe('CustomResourceDefinition');
    }
  });

  it('puts the policies in the seed group and our kinds in fleet.spillway.dev, with the right scope', () => {
    const scope = Object.fromEntries(crds.map((c) => [c.crd.metadata.name, c.crd.spec.scope]));
    expect(scope).toEqual({
      [PP]: 'Namespaced',
      [CPP]: 'Cluster',
      [MC]: 'Cluster',
      [RB]: 'Namespaced',
      [WR]: 'Cluster',
    });
    expect(crdByName(PP).spec.group).toBe(POLICY_GROUP);
    expect(crdByName(MC).spec.group).toBe(FLEET_GROUP);
  });

  describe.each(crds.map((c) => [c.file, c.crd] as const))('%s', (_file, crd) => {
    const version = crd.spec.versions[0];
    const root = rootSchema(crd);
    const nodes = schemaNodes(root);

    it('serves and stores v1alpha1 alone, with a status subresource', () => {
      expect(crd.spec.versions).toHaveLength(1);
      expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
      expect(version?.subresources).toEqual({ status: {} });
    });

    it('is structural', () => {
      expect(structuralProblems(root)).toEqual([]);
      expect(root.properties?.metadata).toEqual({ type: 'object' });
      expect(nodes.filter((n) => n.schema['x-kubernetes-preserve-unknown-fields'])).toEqual([]);
    });

    it('describes every field (API docs are generated from the descriptions)', () => {
      const undocumented = nodes
        .filter((n) => n.property !== undefined && n.path !== 'metadata')
        .filter((n) => !n.schema.description?.trim())
        .map((n) => n.path);
      expect(undocumented).toEqual([]);
    });

    it('bounds every list and string of the spec (CEL cost estimates need bounds)', () => {
      const unbounded = nodes
        .filter((n) => n.path.startsWith('spec.'))
        .filter(
          ({ schema: s }) =>
            (s.type === 'array' && s.maxItems === undefined) ||
            (s.type === 'string' &&
              s.maxLength === undefined &&
              s.enum === undefined &&
              s.format !== 'date-time'),
        )
        .map((n) => n.path);
      expect(unbounded).toEqual([]);
    });

    it('declares a format on every integer and keeps int32 fields inside the int32 range', () => {
      // An int32 field without bounds accepts 9007199254740991, which Go clients cannot decode.
      const integers = nodes.filter((n) => n.schema.type === 'integer');
      expect(integers.filter((n) => !['int32', 'int64'].includes(n.schema.format ?? ''))).toEqual(
        [],
      );
      const outOfRange = integers
        .filter((n) => n.schema.format === 'int32')
        .filter(
          ({ schema: s }) =>
            s.minimum === undefined ||
            s.maximum === undefined ||
            s.minimum < -2147483648 ||
            s.maximum > 2147483647,
        )
        .map((n) => n.path);
      expect(outOfRange).toEqual([]);
    });

    it('gives every CEL rule a message and a reason that keeps the message', () => {
      const rules = nodes.flatMap((n) =>
        (n.schema['x-kubernetes-validations'] ?? []).map((r) => ({ path: n.path, ...r })),
      );
      for (const r of rules) {
        expect(r.message ?? r.messageExpression).toBeDefined();
        // FieldValueDuplicate makes the API server print only 'Duplicate value: "array"'.
        expect(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired']).toContain(
          r.reason,
        );
      }
    });

    it('has printer columns that read declared fields', () => {
      const declared = new Set(nodes.map((n) => n.path));
      const columns = version?.additionalPrinterColumns ?? [];
      expect(columns.map((c) => c.name)).toContain('AGE');
      for (const c of columns) {
        const path = printerColumnPath(c.jsonPath);
        if (path === 'metadata.creationTimestamp') continue;
        expect({ column: c.name, declared: declared.has(path) }).toEqual({
          column: c.name,
          declared: true,
        });
      }
    });

    it('declares exactly the fields of the typed examples', () => {
      const examples = EXAMPLES[crd.metadata.name] ?? [];
      expect(examples.length).toBeGreaterThan(0);
      const visited = new Set<string>();
      for (const example of examples) {
        const result = walk(example, root);
        expect(result.undeclared).toEqual([]);
        expect(result.wrongType).toEqual([]);
        result.visited.forEach((p) => visited.add(canonicalPath(p)));
      }
      const notSet = nodes
        .map((n) => n.path)
        .filter((p) => p !== '' && !p.startsWith('metadata') && p !== 'apiVersion' && p !== 'kind')
        .filter((p) => !(COPIED_FROM_POLICY[crd.metadata.name] ?? []).some((c) => isUnder(p, c)))
        .filter((p) => !visited.has(canonicalPath(p)));
      expect(notSet).toEqual([]);
    });
  });
});

describe('shared schema pieces stay identical', () => {
  it('ClusterPropagationPolicy.spec is PropagationPolicy.spec', () => {
    expect(schemaAt(rootSchema(crdByName(CPP)), 'spec')).toEqual(schemaAt(ppSchema, 'spec'));
    expect(schemaAt(rootSchema(crdByName(CPP)), 'status')).toEqual(schemaAt(ppSchema, 'status'));
  });

  it.each(COPIED_SPEC_FIELDS)('ResourceBinding.spec.%s is copied from the policy', (field) => {
    expect(schemaAt(rootSchema(crdByName(RB)), `spec.${field}`)).toEqual(
      schemaAt(ppSchema, `spec.${field}`),
    );
  });

  it('every cluster group (clusterAffinity, clusterAffinities[], targetCluster) has the same fields', () => {
    const placement = schemaAt(ppSchema, 'spec.placement');
    const single = placement.properties?.clusterAffinity;
    const term = placement.properties?.clusterAffinities?.items;
    const target =
      placement.properties?.replicaScheduling?.properties?.weightPreference?.properties
        ?.staticWeightList?.items?.properties?.targetCluster;
    const { affinityName, ...termProps } = term?.properties ?? {};
    expect(affinityName?.type).toBe('string');
    expect(termProps).toEqual(single?.properties);
    expect(target?.properties).toEqual(single?.properties);
  });

  it('every label selector and condition list has one shape', () => {
    const all = crds.flatMap((c) => schemaNodes(rootSchema(c.crd)));
    const byName = (name: string): Schema[] =>
      all.filter((n) => n.property === name).map((n) => n.schema);
    const [firstSelector, ...selectors] = byName('labelSelector');
    expect(selectors.length).toBeGreaterThanOrEqual(4);
    for (const s of selectors) expect(s.properties).toEqual(firstSelector?.properties);
    const [firstConditions, ...conditions] = byName('conditions');
    expect(conditions).toHaveLength(3);
    for (const c of conditions) expect(c.items).toEqual(firstConditions?.items);
  });
});

describe('TypeScript constants match the schemas', () => {
  const rb = rootSchema(crdByName(RB));
  const mc = rootSchema(crdByName(MC));
  const enumAt = (schema: Schema, path: string): unknown[] | undefined => {
    const node = schemaNodes(schema).find((n) => n.path === path);
    return node?.schema.enum;
  };

  it.each([
    ['spec.placement.replicaScheduling.replicaSchedulingType', REPLICA_SCHEDULING_TYPES],
    ['spec.placement.replicaScheduling.replicaDivisionPreference', REPLICA_DIVISION_PREFERENCES],
    ['spec.placement.replicaScheduling.weightPreference.dynamicWeight', DYNAMIC_WEIGHT_FACTORS],
    [
      'spec.resourceSelectors[].labelSelector.matchExpressions[].operator',
      LABEL_SELECTOR_OPERATORS,
    ],
    ['status.conditions[].status', CONDITION_STATUSES],
  ])('policy %s', (path, values) => {
    expect(enumAt(ppSchema, path)).toEqual([...values]);
  });

  it('fleet kinds', () => {
    expect(enumAt(mc, 'spec.taints[].effect')).toEqual([...CLUSTER_TAINT_EFFECTS]);
    expect(enumAt(rb, 'spec.policy.kind')).toEqual([...POLICY_KINDS]);
    expect(enumAt(rb, 'spec.replicaRequirements.tolerations[].effect')).toEqual([
      ...TOLERATION_EFFECTS,
    ]);
    expect(
      enumAt(
        rb,
        'spec.replicaRequirements.requiredNodeAffinity.nodeSelectorTerms[].matchExpressions[].operator',
      ),
    ).toEqual([...NODE_SELECTOR_OPERATORS]);
  });

  it('defaults', () => {
    const spec = schemaAt(ppSchema, 'spec');
    const at = (path: string): unknown => schemaAt(spec, path).default;
    expect(at('priority')).toBe(POLICY_DEFAULTS.priority);
    expect(at('schedulerName')).toBe(POLICY_DEFAULTS.schedulerName);
    expect(at('placement.replicaScheduling.replicaSchedulingType')).toBe(
      POLICY_DEFAULTS.replicaSchedulingType,
    );
    expect(at('failover.cluster.tolerationSeconds')).toBe(POLICY_DEFAULTS.clusterTolerationSeconds);
    expect(at('failover.application.spilloverAfterSeconds')).toBe(
      POLICY_DEFAULTS.spilloverAfterSeconds,
    );
    expect(at('rebalance.stabilizationWindowSeconds')).toBe(
      POLICY_DEFAULTS.rebalanceStabilizationWindowSeconds,
    );
  });
});
