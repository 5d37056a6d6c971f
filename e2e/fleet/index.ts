/** The local fleet's TypeScript API for tests and the demo. */
import { join } from 'node:path';
import { fleetDown, fleetUp, hub } from './fleet.js';
import { REPO_ROOT } from './tools.js';

export * from './fleet.js';
export {
  loadTopology,
  parseTopology,
  type Topology,
  type MemberSpec,
  type NodePool,
} from './topology.js';
export { REPO_ROOT, findTools } from './tools.js';

export const TOPOLOGIES = join(REPO_ROOT, 'config', 'topologies');
export const DEFAULT_STATE_ROOT = join(REPO_ROOT, '.fleet');

/** A hub alone (no members), for tests that only need an API server with our CRDs. */
export async function startHub(stateDir = join(DEFAULT_STATE_ROOT, 'hub-only')): Promise<{
  kubeconfigPath: string;
  stop(): Promise<void>;
}> {
  const state = await fleetUp({ topologyPath: join(TOPOLOGIES, 'hub-only.yaml'), stateDir });
  return { kubeconfigPath: hub(state).kubeconfigPath, stop: () => fleetDown(stateDir) };
}
