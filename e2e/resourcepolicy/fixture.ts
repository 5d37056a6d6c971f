/** Jest fixture: the CRD and the controller for the tests of one file (see useController). */
import { afterAll, beforeAll } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import type { FleetFixture } from '../support/fleet.js';
import type { ResourcePolicyController } from '../../src/resourcepolicy/main.js';
import { installCrd, memberConfig, startController } from './support.js';

export interface ControllerEnv {
  readonly kubeconfig: string;
  readonly core: CoreV1Api;
  /** The running controller's /metrics text, as Prometheus would scrape it. */
  metrics(): Promise<string>;
}

/**
 * For a test file: the CRD installed in the fleet's member and the controller running in this
 * process for the file's tests, stopped after them.
 */
export function useController(fleet: FleetFixture): ControllerEnv {
  let controller: ResourcePolicyController | undefined;
  let env: Omit<ControllerEnv, 'metrics'> | undefined;
  beforeAll(async () => {
    const { kc, path } = memberConfig(fleet.state);
    await installCrd(kc);
    controller = await startController(kc);
    env = { kubeconfig: path, core: kc.makeApiClient(CoreV1Api) };
  }, 120_000);
  afterAll(async () => {
    await controller?.stop();
  }, 60_000);
  return {
    get kubeconfig(): string {
      if (!env) throw new Error('controller not started');
      return env.kubeconfig;
    },
    get core(): CoreV1Api {
      if (!env) throw new Error('controller not started');
      return env.core;
    },
    metrics: async () => {
      if (!controller?.healthPort) throw new Error('controller not started');
      const res = await fetch(`http://127.0.0.1:${controller.healthPort}/metrics`);
      return res.text();
    },
  };
}
