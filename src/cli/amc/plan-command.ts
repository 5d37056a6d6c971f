/** `kubectl amc plan`: arguments checked, the plan read, made and printed. Exit 2: bad usage. */
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { errorMessage } from '../../runtime/logger.js';
import { makePlan } from './plan.js';
import { planText } from './plan-format.js';
import { PlanInputError, readPlanRequest } from './plan-read.js';

export interface PlanArgs {
  resource: string;
  name?: string;
  namespace?: string;
  output?: string;
  kubeconfig?: string;
  replicas?: string;
  policy?: string;
}

const DEPLOYMENT = ['deploy', 'deployment', 'deployments', 'deployment.apps', 'deployments.apps'];

export type PlanTarget =
  | { readonly name: string; readonly replicas?: number; readonly output?: 'json' | 'yaml' }
  | { readonly usage: string };

/** The workload, replica count and output format from the arguments, or what is wrong. */
export function planTarget(a: PlanArgs): PlanTarget {
  let kind = a.resource;
  let name = a.name;
  const slash = kind.indexOf('/');
  if (slash >= 0) {
    if (name !== undefined)
      return { usage: `give the workload once: ${kind} or ${kind.slice(0, slash)} NAME` };
    name = kind.slice(slash + 1);
    kind = kind.slice(0, slash);
  }
  if (kind === '')
    return { usage: 'which workload? kubectl amc plan deploy/NAME -n NAMESPACE --replicas N' };
  if (!DEPLOYMENT.includes(kind.toLowerCase()))
    return { usage: `kubectl amc plan supports Deployments (deploy/NAME), not "${kind}"` };
  if (!name) return { usage: 'the Deployment needs a name: deploy/NAME' };
  if (a.output !== undefined && a.output !== 'json' && a.output !== 'yaml')
    return { usage: `--output must be json or yaml for plan, not "${a.output}"` };
  let replicas: number | undefined;
  if (a.replicas !== undefined) {
    if (!/^\d+$/.test(a.replicas) || Number(a.replicas) > 2 ** 31 - 1)
      return {
        usage: `--replicas must be a whole number from 0 to ${2 ** 31 - 1}, not "${a.replicas}"`,
      };
    replicas = Number(a.replicas);
  }
  return {
    name,
    ...(replicas !== undefined ? { replicas } : {}),
    ...(a.output !== undefined ? { output: a.output } : {}),
  };
}

/** Where the command writes (the process's streams, or a test's buffers). */
export interface PlanIO {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: PlanIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function planCommand(a: PlanArgs, io: PlanIO = STDIO): Promise<number> {
  const target = planTarget(a);
  if ('usage' in target) {
    io.err(`error: ${target.usage}\n`);
    return 2;
  }
  if (a.policy === '') {
    io.err('error: --policy needs a file\n');
    return 2;
  }
  const hub = new KubeConfig();
  if (a.kubeconfig) hub.loadFromFile(a.kubeconfig);
  else hub.loadFromDefault();
  const namespace =
    a.namespace ?? hub.getContextObject(hub.getCurrentContext())?.namespace ?? 'default';
  try {
    const req = await readPlanRequest(hub, namespace, target.name, target.replicas, a.policy, io);
    const out = makePlan(req);
    if ('error' in out) {
      io.err(`error: ${out.error}\n`);
      return 1;
    }
    if (target.output === 'json') io.out(JSON.stringify(out.plan, null, 2) + '\n');
    else if (target.output === 'yaml') io.out(stringify(out.plan));
    else io.out(planText(out.plan));
    return 0;
  } catch (err) {
    if (!(err instanceof PlanInputError)) throw err;
    io.err(`error: ${errorMessage(err)}\n`);
    return 1;
  }
}
