/**
 * `make chaos`: the full chaos suite (suite.ts) on its own fleet; prints the report and exits
 * non-zero on any violation. CHAOS_SEED, CHAOS_OPERATIONS and CHAOS_WORKLOADS override the run;
 * its fleet is .fleet/chaos-<seed>.
 */
import { join } from 'node:path';
import { DEFAULT_STATE_ROOT } from '../fleet/index.js';
import { formatReport, runChaos, violationCount } from './suite.js';

const seed = Number(process.env.CHAOS_SEED ?? 14);
const report = await runChaos({
  seed,
  workloads: Number(process.env.CHAOS_WORKLOADS ?? 20),
  operations: Number(process.env.CHAOS_OPERATIONS ?? 200),
  rounds: [
    'controller-kills',
    'leader-pause',
    'member-outage',
    'hub-restart',
    'controller-kills',
    'etcd-restart',
    'network',
    'member-outage',
    'network',
    'controller-kills',
  ],
  outageSeconds: [30, 90],
  networkSeconds: [30, 45],
  killsPerRound: 3,
  resourcePolicyBurst: true,
  settleTimeoutMs: 300_000,
  stateDir: join(DEFAULT_STATE_ROOT, `chaos-${seed}`), // one per seed: two seeds can run at once
  log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});
console.log(formatReport(report));
process.exit(violationCount(report) === 0 ? 0 : 1);
