#!/usr/bin/env node
/**
 * kubectl-amc: the multi-cluster view of a Spillway hub, as a kubectl plugin.
 *   kubectl amc get pod -n test -M [-o wide|json|yaml] [-l app=qwen3] [-A]
 *   kubectl amc get node -M [-o wide|json|yaml]
 *   kubectl amc plan deploy/NAME -n NS [--replicas N] [--policy FILE] [-o json|yaml]
 * -M lists the object in every registered member cluster, with CLUSTER (the cluster ID) and
 * CLUSTER_ALIAS columns. Without -M the command is plain `kubectl get` on the hub.
 * `plan` prints where the replicas would go at N replicas, and changes nothing.
 */
import { spawnSync } from 'node:child_process';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { FLEET_GROUP, FLEET_VERSION, type MemberCluster } from '../api/fleet.js';
import { errorMessage } from '../runtime/logger.js';
import { byClusterThenName, nodeTable, podTable } from './amc/format.js';
import { memberKubeConfig } from './amc/member-kubeconfig.js';
import { planCommand } from './amc/plan-command.js';
import { nodeRow, podRow } from './amc/rows.js';

export interface Args {
  verb: string;
  resource: string;
  name?: string;
  namespace?: string;
  allNamespaces: boolean;
  multi: boolean;
  output?: string;
  selector?: string;
  kubeconfig?: string;
  replicas?: string;
  policy?: string;
  rest: string[];
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { verb: '', resource: '', allNamespaces: false, multi: false, rest: [] };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i] ?? '';
    const value = (flag: string): string => {
      if (x.startsWith(`${flag}=`)) return x.slice(flag.length + 1);
      if (x.length > flag.length && flag.length === 2) return x.slice(2);
      return argv[++i] ?? '';
    };
    if (x === '-M' || x === '--multi-cluster') a.multi = true;
    else if (x === '-A' || x === '--all-namespaces') a.allNamespaces = true;
    else if (x.startsWith('--namespace')) a.namespace = value('--namespace');
    else if (x.startsWith('-n')) a.namespace = value('-n');
    else if (x.startsWith('--output')) a.output = value('--output');
    else if (x.startsWith('-o')) a.output = value('-o');
    else if (x.startsWith('--selector')) a.selector = value('--selector');
    else if (x.startsWith('-l')) a.selector = value('-l');
    else if (x.startsWith('--kubeconfig')) a.kubeconfig = value('--kubeconfig');
    else if (x.startsWith('--replicas')) a.replicas = value('--replicas');
    else if (x.startsWith('--policy')) a.policy = value('--policy');
    else if (x.startsWith('-')) a.rest.push(x);
    else positional.push(x);
  }
  a.verb = positional[0] ?? '';
  a.resource = positional[1] ?? '';
  if (positional[2]) a.name = positional[2];
  return a;
}

interface Member {
  id: string;
  alias: string;
  core: CoreV1Api;
}

async function members(hub: KubeConfig): Promise<Member[]> {
  const custom = hub.makeApiClient(CustomObjectsApi);
  const core = hub.makeApiClient(CoreV1Api);
  const list = (await custom.listClusterCustomObject({
    group: FLEET_GROUP,
    version: FLEET_VERSION,
    plural: 'memberclusters',
  })) as { items: MemberCluster[] };
  const out: Member[] = [];
  for (const mc of list.items) {
    try {
      const kc = await memberKubeConfig(core, mc);
      out.push({
        id: mc.metadata.name ?? '',
        alias: mc.spec.alias ?? mc.metadata.name ?? '',
        core: kc.makeApiClient(CoreV1Api),
      });
    } catch (err) {
      process.stderr.write(
        `warning: member ${mc.metadata.name}: no usable kubeconfig: ${errorMessage(err)}\n`,
      );
    }
  }
  return out;
}

async function perMember<T>(
  ms: Member[],
  fetch: (m: Member) => Promise<T[]>,
): Promise<{ m: Member; items: T[] }[]> {
  const results = await Promise.all(
    ms.map(async (m) => {
      try {
        return { m, items: await fetch(m) };
      } catch (err) {
        process.stderr.write(
          `warning: member ${m.alias} (${m.id}) unreachable: ${errorMessage(err)}\n`,
        );
        return { m, items: [] };
      }
    }),
  );
  return results;
}

function printObjects(
  objs: { cluster: string; alias: string; obj: object }[],
  output: string,
): void {
  const items = objs.map((o) => ({
    ...o.obj,
    metadata: {
      ...(o.obj as { metadata?: object }).metadata,
      annotations: {
        ...((o.obj as { metadata?: { annotations?: object } }).metadata?.annotations ?? {}),
        'fleet.spillway.dev/cluster': o.cluster,
        'fleet.spillway.dev/cluster-alias': o.alias,
      },
    },
  }));
  const list = { apiVersion: 'v1', kind: 'List', items };
  process.stdout.write(
    output === 'json'
      ? JSON.stringify(list, null, 2) + '\n'
      : stringify(JSON.parse(JSON.stringify(list))),
  );
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.verb === 'plan') return planCommand(args);
  if (!args.multi) {
    // Not multi-cluster: exactly kubectl on the hub.
    return spawnSync('kubectl', argv, { stdio: 'inherit' }).status ?? 1;
  }
  if (args.verb !== 'get') {
    process.stderr.write(`error: kubectl amc -M supports "get", not "${args.verb}"\n`);
    return 2;
  }
  const hub = new KubeConfig();
  if (args.kubeconfig) hub.loadFromFile(args.kubeconfig);
  else hub.loadFromDefault();
  const ms = await members(hub);
  const now = Date.now();
  const wide = args.output === 'wide';
  const structured = args.output === 'json' || args.output === 'yaml';
  const namespace = args.allNamespaces
    ? undefined
    : (args.namespace ?? hub.getContextObject(hub.getCurrentContext())?.namespace ?? 'default');
  const resource = args.resource.toLowerCase();
  if (['pod', 'pods', 'po'].includes(resource)) {
    const found = await perMember(ms, async (m) => {
      const opts = { ...(args.selector ? { labelSelector: args.selector } : {}) };
      const list = namespace
        ? await m.core.listNamespacedPod({ namespace, ...opts })
        : await m.core.listPodForAllNamespaces(opts);
      return list.items.filter((p: V1Pod) => !args.name || p.metadata?.name === args.name);
    });
    if (structured)
      printObjects(
        found.flatMap(({ m, items }) =>
          items.map((obj) => ({ cluster: m.id, alias: m.alias, obj })),
        ),
        args.output ?? 'yaml',
      );
    else {
      const rows = found
        .flatMap(({ m, items }) => items.map((p) => podRow(p, m.id, m.alias)))
        .sort(byClusterThenName);
      if (rows.length === 0)
        process.stderr.write(
          `No resources found${namespace ? ` in ${namespace} namespace` : ''}.\n`,
        );
      else process.stdout.write(podTable(rows, wide, now, namespace === undefined));
    }
    return 0;
  }
  if (['node', 'nodes', 'no'].includes(resource)) {
    const found = await perMember(ms, async (m) =>
      (await m.core.listNode(args.selector ? { labelSelector: args.selector } : {})).items.filter(
        (n: V1Node) => !args.name || n.metadata?.name === args.name,
      ),
    );
    if (structured)
      printObjects(
        found.flatMap(({ m, items }) =>
          items.map((obj) => ({ cluster: m.id, alias: m.alias, obj })),
        ),
        args.output ?? 'yaml',
      );
    else
      process.stdout.write(
        nodeTable(
          found
            .flatMap(({ m, items }) => items.map((n) => nodeRow(n, m.id, m.alias)))
            .sort(byClusterThenName),
          wide,
          now,
        ),
      );
    return 0;
  }
  process.stderr.write(`error: kubectl amc -M supports pods and nodes, not "${args.resource}"\n`);
  return 2;
}

// Run when executed (as the kubectl plugin), not when imported by tests.
if (process.argv[1] && /kubectl-amc(\.[jt]s)?$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
      process.exit(1);
    },
  );
}
