/** Jest fixture: the fleet controller in this process for one test file (see useFleetController). */
import { join } from 'node:path';
import { beforeAll } from '@jest/globals';
import { runFleetController, type FleetController } from '../../src/fleet/controller.js';
import { fileLogger } from '../../src/runtime/logger.js';
import { hub, kubeConfigFor } from '../fleet/index.js';
import type { FleetFixture } from './fleet.js';
import { SYSTEM_NAMESPACE, installCrds, registerMembers } from './spillway.js';

/**
 * For a test file: CRDs and members registered on the fleet's hub, and the fleet controller
 * running in this process (logs in the fleet's logs/), stopped after the file's tests and
 * before the fleet goes down.
 */
export function useFleetController(
  fleet: FleetFixture,
  options: { leaderElection?: boolean; healthPort?: number } = {},
): { readonly healthPort: number | undefined } {
  let controller: FleetController | undefined;
  beforeAll(async () => {
    const kc = kubeConfigFor(hub(fleet.state));
    await installCrds(kc);
    await registerMembers(fleet.state);
    controller = await runFleetController({
      hub: kc,
      namespace: SYSTEM_NAMESPACE,
      leaderElection: options.leaderElection ?? true,
      logger: fileLogger(
        'fleet-controller',
        join(fleet.state.stateDir, 'logs', 'fleet-controller.log'),
      ),
      recheckMs: 1000,
      probeIntervalMs: 2000,
      ...(options.healthPort !== undefined ? { healthPort: options.healthPort } : {}),
    });
  }, 60_000);
  fleet.beforeDown(async () => {
    await controller?.stop();
  });
  return {
    /** The port of /metrics and the probes, with `healthPort: 0` (a free port). */
    get healthPort() {
      return controller?.healthPort;
    },
  };
}
