/**
 * The hub's template watches against a real API server: a kind whose discovery fails because the
 * API server is down is `unknown` (its templates' absence means nothing), not "not served"; it is
 * watched once the API server is back; a kind the hub does not serve is `unserved`.
 */
import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { TemplateKinds } from '../../src/fleet/template-kinds.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { hub, kubeConfigFor, restartFleetProcess, stopFleetProcess } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { clients, deployment, ensureNamespace } from '../support/kube.js';

const fleet = useFleet('template-kinds', 'hub-only.yaml');
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };

describe('TemplateKinds', () => {
  it('a discovery failure leaves a kind unknown, and a later ensure watches it', async () => {
    const kc = kubeConfigFor(hub(fleet.state));
    const seen: KubernetesObject[] = [];
    const kinds = new TemplateKinds(kc, silentLogger(), (o) => seen.push(o));
    try {
      await stopFleetProcess(fleet.state, 'hub-apiserver');
      const failed = await kinds.ensure([DEPLOYMENT]);
      expect(kinds.state(DEPLOYMENT)).toBe('unknown');
      expect(kinds.retryable).toBe(true);
      expect(failed.get('apps/v1|Deployment')).toMatch(/^could not look Deployment in apps\/v1 up/);

      restartFleetProcess(fleet.state, 'hub-apiserver');
      const { apps, core } = clients(kc);
      await waitFor('hub API server back', 60_000, async () =>
        core.listNamespace().then(
          () => true,
          () => false,
        ),
      );
      await ensureNamespace(core, 'kinds');
      await apps.createNamespacedDeployment({
        namespace: 'kinds',
        body: deployment('web', 'kinds', 1, { cpu: '1' }),
      });
      expect((await kinds.ensure([DEPLOYMENT])).has('apps/v1|Deployment')).toBe(false);
      expect(kinds.state(DEPLOYMENT)).toBe('watched');
      expect(kinds.retryable).toBe(false);
      expect(kinds.get(DEPLOYMENT, 'kinds', 'web')).toBeDefined();

      const missing = { apiVersion: 'example.com/v1', kind: 'Nothing' };
      expect((await kinds.ensure([missing])).get('example.com/v1|Nothing')).toBe(
        'the hub serves no Nothing in example.com/v1',
      );
      expect(kinds.state(missing)).toBe('unserved');
    } finally {
      kinds.stop();
    }
  }, 120_000);
});
