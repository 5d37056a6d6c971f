/**
 * Workloads applied at once do not count the same free room twice: the first member has room for
 * exactly 24 replicas of 2 CPUs (three 16-CPU nodes), and 32 one-replica workloads arrive
 * together. Their pods take seconds to appear in the member's caches, so each binding must see
 * what the others placed there meanwhile: 24 go to the first member, the other 8 spill to the
 * second at once, and none waits for the spill-over timeout in a member that is already full.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { hub, kubeConfigFor, member } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';
import { useFleet } from '../support/fleet.js';
import { useFleetController } from '../support/controller-fixture.js';
import { clients, deployment } from '../support/kube.js';
import { kubectl, readBinding, tieredPolicy } from '../support/spillway.js';

const fleet = useFleet('concurrent-room', 'demo.yaml', { provisioner: false });
const NS = 'together';
const K = 32;
const ROOM = 24;

const idc = () => member(fleet.state, 'cluster-idc-demo');
const bj = () => member(fleet.state, 'cluster-bj-demo');
const hubKc = () => hub(fleet.state).kubeconfigPath;

interface Binding {
  spec?: { clusters?: { name: string; replicas?: number }[] };
}

/** Replicas the bindings place in each member now (bindings not written yet count nothing). */
async function placedByMember(): Promise<{ placed: Map<string, number>; bound: number }> {
  const placed = new Map<string, number>();
  let bound = 0;
  await Promise.all(
    Array.from({ length: K }, async (_, i) => {
      const b = await readBinding<Binding>(
        kubeConfigFor(hub(fleet.state)),
        NS,
        `w-${i}-deployment`,
      ).catch(() => undefined);
      const clusters = b?.spec?.clusters ?? [];
      if (clusters.length > 0) bound++;
      for (const c of clusters) placed.set(c.name, (placed.get(c.name) ?? 0) + (c.replicas ?? 0));
    }),
  );
  return { placed, bound };
}

async function readyIn(m: ReturnType<typeof idc>): Promise<number> {
  const list = await clients(kubeConfigFor(m)).apps.listNamespacedDeployment({ namespace: NS });
  return list.items.reduce((s, d) => s + (d.status?.readyReplicas ?? 0), 0);
}

useFleetController(fleet);
beforeAll(() => {
  kubectl(hubKc(), ['create', 'ns', NS]);
});

describe('concurrent bindings and a member’s free room', () => {
  it('places no more replicas in a member than fit when many workloads arrive at once', async () => {
    kubectl(
      hubKc(),
      ['apply', '-f', '-'],
      tieredPolicy({
        name: 'spill',
        namespace: NS,
        groups: [
          ['idc', [idc().name]],
          ['cloud', [bj().name]],
        ],
        selector: { kind: 'Deployment' },
      }),
    );
    const hubApps = clients(kubeConfigFor(hub(fleet.state))).apps;
    await Promise.all(
      Array.from({ length: K }, (_, i) =>
        hubApps.createNamespacedDeployment({
          namespace: NS,
          body: deployment(`w-${i}`, NS, 1, { cpu: '2' }),
        }),
      ),
    );

    // Watched from the first placement on: the first member never holds more than fits.
    let mostInIdc = 0;
    await waitFor(
      `${K} replicas placed and Ready: ${ROOM} in idc, the rest in bj`,
      240_000,
      async () => {
        const { placed, bound } = await placedByMember();
        mostInIdc = Math.max(mostInIdc, placed.get(idc().name) ?? 0);
        if (mostInIdc > ROOM) return true; // over-placed: fail now, below, not after a timeout
        if (bound < K) return false;
        const [inIdc, inBj] = [await readyIn(idc()), await readyIn(bj())];
        console.log(`placed ${JSON.stringify([...placed])}, ready ${inIdc} + ${inBj}`);
        return inIdc === ROOM && inBj === K - ROOM;
      },
    );
    console.log(`most replicas placed in idc at once: ${mostInIdc} (room ${ROOM})`);
    expect(mostInIdc).toBe(ROOM);
    const { placed } = await placedByMember();
    expect(placed.get(idc().name)).toBe(ROOM);
    expect(placed.get(bj().name)).toBe(K - ROOM);
  }, 300_000);
});
