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
  /**
   * Runs `stop` after the file's tests and before the fleet goes down (the last registered
   * first): a process talking to the fleet, such as an in-process controller, must stop while
   * its API servers still answer. A separate afterAll would run after the fleet's, since Jest
   * runs afterAll hooks in the order they were declared.
   */
  beforeDown(stop: () => Promise<void>): void;
}

export function useFleet(
  name: string,
  topology = 'demo.yaml',
  options: Partial<Pick<UpOptions, 'idleSeconds' | 'scaleUpDelaySeconds' | 'provisioner'>> = {},
): FleetFixture {
  const stateDir = join(DEFAULT_STATE_ROOT, `e2e-${name}`);
  let state: FleetState | undefined;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    await fleetDown(stateDir); // leftovers of an interrupted run
    state = await fleetUp({ topologyPath: join(TOPOLOGIES, topology), stateDir, ...options });
  }, FLEET_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    // SPILLWAY_KEEP_FLEET=1 leaves the fleet (and its logs) up for a look after a failure.
    if (process.env.SPILLWAY_KEEP_FLEET) return;
    keepLastLogs(stateDir, `e2e-${name}`);
    await fleetDown(stateDir);
  }, 90_000); // the stops (up to 30 s) and the fleet's own 60 s
  return {
    get state(): FleetState {
      if (!state) throw new Error('fleet not started');
      return state;
    },
    beforeDown(stop) {
      stops.push(stop);
    },
  };
}

/**
 * Copies the fleet's logs to `.fleet/last-logs/<name>` (replacing the previous run's), so a
 * failure seen only in a CI run can still be read after the fleet is gone.
 */
export function keepLastLogs(stateDir: string, name: string): void {
  const logs = join(stateDir, 'logs');
  const kept = join(DEFAULT_STATE_ROOT, 'last-logs', name);
  if (!existsSync(logs)) return;
  rmSync(kept, { recursive: true, force: true });
  cpSync(logs, kept, { recursive: true });
}
