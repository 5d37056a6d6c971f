/**
 * The image `make image` built from the Dockerfile (buildah): what a container runtime runs
 * (user, workdir, entrypoint), what is in it, and that both controllers start from it against
 * real API servers. Run by `make e2e-real` (it needs `make image`; part of `make test` as root).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { hub, kubeConfigFor } from '../fleet/index.js';
import { stopProcess, type ProcessRecord } from '../fleet/processes.js';
import { freePorts } from '../fleet/ports.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { clients, ensureNamespace } from '../support/kube.js';
import { SYSTEM_NAMESPACE, installCrds } from '../support/spillway.js';
import {
  IMAGE,
  imageConfig,
  newContainer,
  removeContainer,
  runIn,
  startEntrypoint,
} from './buildah.js';

const fleet = useFleet('image', 'hub-only.yaml');

describe(`the image ${IMAGE}`, () => {
  const box = `spillway-image-e2e-${process.pid}`;
  beforeAll(() => {
    newContainer(box);
  });
  afterAll(() => {
    removeContainer(box);
  });

  it('runs as the numeric non-root user from /app with the spillway entrypoint', () => {
    const cfg = imageConfig();
    expect(cfg.User).toBe('65532:65532');
    expect(cfg.WorkingDir).toBe('/app');
    expect(cfg.Entrypoint).toEqual(['node', 'dist/src/cli/spillway.js']);
    expect(cfg.Env).toContain('NODE_ENV=production');
    const id = runIn(box, ['id', '-u']);
    expect(id.stdout.trim()).toBe('65532');
  });

  it('`spillway --help` prints the commands and exits 0', () => {
    const r = runIn(box, [...(imageConfig().Entrypoint ?? []), '--help']);
    expect(r.status).toBe(0);
    for (const cmd of ['fleet-controller', 'resource-policy-controller', 'register-member'])
      expect(r.stdout).toContain(cmd);
  });

  it('holds the compiled JavaScript and production dependencies only, read-only to its user', () => {
    const ls = runIn(box, ['ls', '-A', '/app']);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'dist',
      'node_modules',
      'package.json',
    ]);
    // A dev dependency (jest) is pruned; a runtime one (@kubernetes/client-node) is there.
    expect(runIn(box, ['test', '-e', '/app/node_modules/jest']).status).not.toBe(0);
    expect(runIn(box, ['test', '-d', '/app/node_modules/@kubernetes/client-node']).status).toBe(0);
    expect(runIn(box, ['test', '-w', '/app']).status).not.toBe(0);
    expect(runIn(box, ['openssl', 'version']).status).toBe(0);
  });
});

describe('both controllers from the image against a real API server', () => {
  const running: { rec: ProcessRecord; box: string }[] = [];
  // The kubeconfig as a pod gets it: readable by the image's user 65532 (the fleet's own copy
  // is root's, mode 0600).
  const mountDir = mkdtempSync(join(tmpdir(), 'spillway-image-e2e-'));
  afterAll(async () => {
    for (const r of running) {
      await stopProcess(r.rec);
      removeContainer(r.box);
    }
    rmSync(mountDir, { recursive: true, force: true });
  }, 60_000);

  it('start, report ready and take their leases', async () => {
    const kc = kubeConfigFor(hub(fleet.state));
    await installCrds(kc);
    await ensureNamespace(clients(kc).core, SYSTEM_NAMESPACE);
    const kubeconfig = join(mountDir, 'hub.yaml');
    chmodSync(mountDir, 0o755);
    copyFileSync(hub(fleet.state).kubeconfigPath, kubeconfig);
    chmodSync(kubeconfig, 0o444);
    const [fleetHealth, rpHealth, rpWebhook] = await freePorts(3);
    const logs = join(fleet.state.stateDir, 'logs');
    const common = ['--kubeconfig', kubeconfig, '--namespace', SYSTEM_NAMESPACE];
    for (const [name, args] of [
      ['fleet-controller', ['fleet-controller', ...common, '--health-port', `${fleetHealth}`]],
      [
        'resource-policy-controller',
        [
          'resource-policy-controller',
          ...common,
          '--health-port',
          `${rpHealth}`,
          '--webhook-port',
          `${rpWebhook}`,
          '--webhook-url',
          `https://127.0.0.1:${rpWebhook}/mutate`,
        ],
      ],
    ] as const) {
      const box = `spillway-${name}-e2e-${process.pid}`;
      newContainer(box);
      running.push({
        rec: startEntrypoint(box, [...args], [kubeconfig], join(logs, `${name}.log`)),
        box,
      });
    }

    for (const port of [fleetHealth, rpHealth])
      await waitFor(`controller on :${port} ready`, 60_000, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return res?.status === 200;
      });
    const leases = kc.makeApiClient(CoordinationV1Api);
    for (const name of ['spillway-fleet-controller', 'spillway-resource-policy-controller'])
      await waitFor(`lease ${name} held`, 30_000, async () => {
        const lease = await leases
          .readNamespacedLease({ name, namespace: SYSTEM_NAMESPACE })
          .catch(() => undefined);
        return Boolean(lease?.spec?.holderIdentity);
      });
    // The webhook's certificate was made in the container (openssl, a temporary directory
    // on a read-only /app) and its CA registered with the API server.
    const hooks = await kc
      .makeApiClient(AdmissionregistrationV1Api)
      .listMutatingWebhookConfiguration();
    const ours = hooks.items.flatMap((h) => h.webhooks ?? []);
    expect(ours.some((w) => w.clientConfig.url === `https://127.0.0.1:${rpWebhook}/mutate`)).toBe(
      true,
    );
    expect(ours.every((w) => (w.clientConfig.caBundle ?? '').length > 0)).toBe(true);
  }, 180_000);
});
