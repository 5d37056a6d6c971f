/**
 * `make demo`: narrates the local fleet the demo runs on. The fleet controller's seed
 * walkthrough (scale 2 -> 4 -> 2 across clusters) is added here once the controller exists.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { readState } from '../fleet/index.js';

const { values } = parseArgs({ options: { state: { type: 'string', default: '.fleet/demo' } } });
const state = readState(values.state ?? '.fleet/demo');
if (!state) throw new Error(`no fleet in ${values.state}: run make fleet-up`);

const say = (line: string) => console.log(`\n### ${line}`);
const kubectl = (kubeconfig: string, ...args: string[]) => {
  console.log(`$ kubectl ${args.join(' ')}`);
  process.stdout.write(
    execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' }),
  );
};

for (const c of state.clusters) {
  say(`${c.alias} (${c.role}${c.role === 'member' ? `, cluster ID ${c.name}` : ''})`);
  kubectl(
    c.kubeconfigPath,
    'get',
    'nodes',
    '-L',
    'nvidia.com/gpu',
    '-L',
    'spillway.dev/local-fleet-pool',
  );
}
say(`kubeconfig with every cluster: export KUBECONFIG=${state.kubeconfigPath}`);
