/** Leader election on a real API server's Lease: one leader at a time, fast hand-over on stop. */
import { describe, expect, it } from '@jest/globals';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { LeaderElector } from '../../src/runtime/leader.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { hub, kubeConfigFor } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';

const fleet = useFleet('leader', 'hub-only.yaml');

describe('LeaderElector', () => {
  it('elects exactly one leader and hands over when the leader stops', async () => {
    const kc = kubeConfigFor(hub(fleet.state));
    const events: string[] = [];
    const make = (id: string) =>
      new LeaderElector({
        kubeConfig: kc,
        namespace: 'default',
        name: 'spillway-test',
        identity: id,
        leaseDurationSeconds: 4,
        renewDeadlineSeconds: 3,
        retryPeriodSeconds: 0.5,
        logger: silentLogger(),
        onStartedLeading: () => events.push(`${id} leads`),
        onStoppedLeading: () => events.push(`${id} stops`),
      });
    const a = make('a');
    const b = make('b');
    a.start();
    await waitFor('a to lead', 10_000, async () => a.isLeader);
    b.start();
    await new Promise((r) => setTimeout(r, 2000));
    expect(b.isLeader).toBe(false); // a keeps renewing

    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'spillway-test', namespace: 'default' });
    expect(lease.spec?.holderIdentity).toBe('a');

    await a.stop();
    await waitFor('b to take over', 10_000, async () => b.isLeader);
    expect(a.isLeader).toBe(false);
    await b.stop();
    expect(events).toEqual(['a leads', 'b leads']);
  }, 60_000);
});
