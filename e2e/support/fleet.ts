/** Jest helpers: one local fleet per test file, started before its tests and stopped after. */
import { afterAll, beforeAll } from '@jest/globals';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_STATE_ROOT,
  TOPOLOGIES,
  fleetDown,
  fleetUp,
  type FleetState,
  type UpOptions,
} from '../fleet/index.js';

/** Fleet start-up builds nothing (the tools are prebuilt) but starts ~10 processes. */
export const FLEET_START_TIMEOUT_MS = 180_000;

export interface FleetFixture {
  readonly state: FleetState;
}

export function useFleet(
  name: string,
  topology = 'demo.yaml',
  options: Partial<Pick<UpOptions, 'idleSeconds' | 'scaleUpDelaySeconds' | 'provisioner'>> = {},
): FleetFixture {
  const stateDir = join(DEFAULT_STATE_ROOT, `e2e-${name}`);
  let state: FleetState | undefined;
  beforeAll(async () => {
    await fleetDown(stateDir); // leftovers of an interrupted run
    state = await fleetUp({ topologyPath: join(TOPOLOGIES, topology), stateDir, ...options });
  }, FLEET_START_TIMEOUT_MS);
  afterAll(async () => {
    // SPILLWAY_KEEP_FLEET=1 leaves the fleet (and its logs) up for a look after a failure.
    if (process.env.SPILLWAY_KEEP_FLEET) return;
    // The last run's logs of each file stay under .fleet/last-logs, so a failure seen only
    // in a CI run can still be read afterwards.
    const logs = join(stateDir, 'logs');
    const kept = join(DEFAULT_STATE_ROOT, 'last-logs', `e2e-${name}`);
    if (existsSync(logs)) {
      rmSync(kept, { recursive: true, force: true });
      cpSync(logs, kept, { recursive: true });
    }
    await fleetDown(stateDir);
  }, 60_000);
  return {
    get state(): FleetState {
      if (!state) throw new Error('fleet not started');
      return state;
    },
  };
}
