/**
 * Caches started while the hub API server is down, as when a controller starts during a
 * `helm upgrade` that also rolls the hub's API server. An empty cache must never pass for a
 * listed one: the reconciler would read "no policy" or "no template" and remove copies.
 * - WatchedCache: start() resolves only once a list succeeded, with the objects in it.
 * - TemplateKinds: a kind whose discovery fails is `unknown`, not "not served"; it is looked
 *   up again by itself and watched once the API server answers; a kind the hub does not serve
 *   is `unserved`; a kind whose list is forbidden stays `unknown`, and ensure goes on without it.
 */
import { describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { TemplateKinds } from '../../src/fleet/template-kinds.js';
import { WatchedCache } from '../../src/runtime/informer.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { hub, kubeConfigFor, restartFleetProcess, stopFleetProcess } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { serviceAccountConfig } from '../charts/support.js';
import { clients, deployment, ensureNamespace } from '../support/kube.js';

const fleet = useFleet('first-list', 'hub-only.yaml');
const NS = 'first-list';
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };

async function hubBack(): Promise<void> {
  restartFleetProcess(fleet.state, 'hub-apiserver');
  const { core } = clients(kubeConfigFor(hub(fleet.state)));
  await waitFor('hub API server back', 60_000, async () =>
    core.listNamespace().then(
      () => true,
      () => false,
    ),
  );
}

describe('the first list, with the hub API server down', () => {
  it('WatchedCache.start waits for a list that succeeds, and holds what it listed', async () => {
    const kc = kubeConfigFor(hub(fleet.state));
    const { core } = clients(kc);
    await ensureNamespace(core, NS);
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'listed' }, data: { a: '1' } },
    });
    const api = kc.makeApiClient(CoreV1Api);
    const cache = new WatchedCache<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${NS}/configmaps`,
      list: () => api.listNamespacedConfigMap({ namespace: NS }),
      logger: silentLogger(),
    });
    try {
      await stopFleetProcess(fleet.state, 'hub-apiserver');
      let started = false;
      const starting = cache.start().then(() => (started = true));
      await new Promise((r) => setTimeout(r, 2500));
      expect(started).toBe(false);
      expect(cache.hasSynced).toBe(false);

      await hubBack();
      await starting;
      expect(cache.hasSynced).toBe(true);
      expect(cache.get('listed', NS)?.data).toEqual({ a: '1' });
    } finally {
      await cache.stop();
    }
  }, 120_000);

  it('TemplateKinds: a discovery failure leaves a kind unknown, and the retry watches it', async () => {
    const kc = kubeConfigFor(hub(fleet.state));
    const seen: KubernetesObject[] = [];
    const kinds = new TemplateKinds(kc, silentLogger(), (o) => seen.push(o));
    try {
      await stopFleetProcess(fleet.state, 'hub-apiserver');
      const failed = await kinds.ensure([DEPLOYMENT]);
      expect(kinds.state(DEPLOYMENT)).toBe('unknown');
      expect(kinds.retryable).toBe(true);
      expect(failed.get('apps/v1|Deployment')).toMatch(/^could not look Deployment in apps\/v1 up/);

      await hubBack();
      await clients(kc).apps.createNamespacedDeployment({
        namespace: NS,
        body: deployment('web', NS, 1, { cpu: '1' }),
      });
      // Nobody calls ensure again: TemplateKinds looks the kind up again by itself.
      await waitFor(
        'Deployment watched after the retry',
        30_000,
        async () => kinds.state(DEPLOYMENT) === 'watched',
      );
      expect((await kinds.ensure([DEPLOYMENT])).has('apps/v1|Deployment')).toBe(false);
      expect(kinds.state(DEPLOYMENT)).toBe('watched');
      expect(kinds.retryable).toBe(false);
      expect(kinds.get(DEPLOYMENT, NS, 'web')).toBeDefined();

      const missing = { apiVersion: 'example.com/v1', kind: 'Nothing' };
      expect((await kinds.ensure([missing])).get('example.com/v1|Nothing')).toBe(
        'the hub serves no Nothing in example.com/v1',
      );
      expect(kinds.state(missing)).toBe('unserved');
    } finally {
      kinds.stop();
    }
  }, 120_000);

  it('TemplateKinds: a kind whose list is forbidden stays unknown, and ensure returns', async () => {
    const admin = kubeConfigFor(hub(fleet.state));
    await clients(admin).core.createNamespacedServiceAccount({
      namespace: NS,
      body: { metadata: { name: 'no-rights' } },
    });
    // Discovery is open to every authenticated user; listing Deployments is not.
    const kinds = new TemplateKinds(
      await serviceAccountConfig(admin, NS, 'no-rights'),
      silentLogger(),
      () => {},
    );
    try {
      const failed = await kinds.ensure([DEPLOYMENT]);
      expect(failed.has('apps/v1|Deployment')).toBe(false);
      expect(kinds.state(DEPLOYMENT)).toBe('unknown');
      expect(kinds.synced).toBe(false);
      expect(kinds.get(DEPLOYMENT, NS, 'web')).toBeUndefined();
    } finally {
      kinds.stop();
    }
  }, 60_000);
});
