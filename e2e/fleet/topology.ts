/**
 * A fleet topology: which member clusters to run and which fake node pools each one has.
 * Parsed from a YAML file under config/topologies/ and checked before anything starts, so a
 * typo fails with the field's path instead of a half-started fleet.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type VirtualKind = 'eci' | 'acs';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface ElasticPool {
  /** Most nodes the simulated cloud adds to this pool. */
  max: number;
  /** Seconds between deciding to add a node and the node joining. */
  scaleUpDelaySeconds: number;
  /** Seconds a node without pods lives before the simulated cloud removes it. */
  idleSeconds: number;
}

export interface NodePool {
  name: string;
  count: number;
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Record<string, string>;
  /** Virtual nodes (serverless pods) carry the virtual-kubelet label and taint. */
  virtual?: VirtualKind;
  elastic?: ElasticPool;
}

export interface MemberSpec {
  /** The cluster ID (MemberCluster name, the CLUSTER column of `kubectl amc`). */
  id: string;
  /** The human name (CLUSTER_ALIAS column), also the kubeconfig file and context name. */
  alias: string;
  labels: Record<string, string>;
  /** Whether the simulated cloud can add nodes here (elastic pools, ProvisioningRequests). */
  provisioning: boolean;
  nodePools: NodePool[];
}

export interface Topology {
  name: string;
  members: MemberSpec[];
}

export class TopologyError extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '')
    throw new TopologyError(`${path}: expected a non-empty string`);
  return v;
}

function int(v: unknown, path: string, min: number, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new TopologyError(`${path}: expected an integer >= ${min}`);
  return v;
}

function strMap(v: unknown, path: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) throw new TopologyError(`${path}: expected a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string' && typeof val !== 'number')
      throw new TopologyError(`${path}.${k}: expected a string`);
    out[k] = String(val);
  }
  return out;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TopologyError(`${path}: expected a list`);
  return v;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

function taint(v: unknown, path: string): Taint {
  if (!isObj(v)) throw new TopologyError(`${path}: expected a taint`);
  const effect = str(v.effect, `${path}.effect`);
  if (!EFFECTS.has(effect)) throw new TopologyError(`${path}.effect: unknown effect ${effect}`);
  const t: Taint = { key: str(v.key, `${path}.key`), effect: effect as Taint['effect'] };
  if (v.value !== undefined) t.value = str(v.value, `${path}.value`);
  return t;
}

function pool(v: unknown, path: string): NodePool {
  if (!isObj(v)) throw new TopologyError(`${path}: expected a node pool`);
  const p: NodePool = {
    name: str(v.name, `${path}.name`),
    count: int(v.count, `${path}.count`, 0),
    labels: strMap(v.labels, `${path}.labels`),
    taints: list(v.taints, `${path}.taints`).map((t, i) => taint(t, `${path}.taints[${i}]`)),
    capacity: strMap(v.capacity, `${path}.capacity`),
  };
  if (!p.capacity.cpu || !p.capacity.memory)
    throw new TopologyError(`${path}.capacity: cpu and memory are required`);
  if (v.virtual !== undefined) {
    if (v.virtual !== 'eci' && v.virtual !== 'acs')
      throw new TopologyError(`${path}.virtual: expected eci or acs`);
    p.virtual = v.virtual;
  }
  if (v.elastic !== undefined) {
    const e = v.elastic;
    if (!isObj(e)) throw new TopologyError(`${path}.elastic: expected a map`);
    p.elastic = {
      max: int(e.max, `${path}.elastic.max`, 1),
      scaleUpDelaySeconds: int(e.scaleUpDelaySeconds, `${path}.elastic.scaleUpDelaySeconds`, 0, 10),
      idleSeconds: int(e.idleSeconds, `${path}.elastic.idleSeconds`, 0, 600),
    };
  }
  return p;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseTopology(text: string, source = 'topology'): Topology {
  const doc: unknown = parse(text);
  if (!isObj(doc)) throw new TopologyError(`${source}: expected a map at the top`);
  const name = str(doc.name, `${source}.name`);
  const members = list(doc.members, `${source}.members`).map((m, i): MemberSpec => {
    const path = `${source}.members[${i}]`;
    if (!isObj(m)) throw new TopologyError(`${path}: expected a member`);
    const id = str(m.id, `${path}.id`);
    const alias = str(m.alias, `${path}.alias`);
    for (const [field, val] of [
      ['id', id],
      ['alias', alias],
    ] as const) {
      if (!DNS_LABEL.test(val))
        throw new TopologyError(`${path}.${field}: not a DNS label: ${val}`);
    }
    return {
      id,
      alias,
      labels: strMap(m.labels, `${path}.labels`),
      provisioning: m.provisioning === true,
      nodePools: list(m.nodePools, `${path}.nodePools`).map((p, j) =>
        pool(p, `${path}.nodePools[${j}]`),
      ),
    };
  });
  const seen = new Set<string>();
  for (const m of members) {
    for (const key of [m.id, m.alias]) {
      if (seen.has(key) || key === 'hub')
        throw new TopologyError(`${source}: duplicate or reserved cluster name ${key}`);
      seen.add(key);
    }
  }
  return { name, members };
}

export function loadTopology(path: string): Topology {
  return parseTopology(readFileSync(path, 'utf8'), path);
}
