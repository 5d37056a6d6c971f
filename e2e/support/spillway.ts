/**
 * Setting up Spillway on a local fleet for e2e tests and the demo: CRDs on the hub, member
 * registration (kubeconfig Secret + MemberCluster), and the controller started in-process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { applyManifestFile } from '../fleet/apply.js';
import { REPO_ROOT, hub, kubeConfigFor, members, type FleetState } from '../fleet/index.js';
import { waitFor } from '../fleet/readiness.js';

export const SYSTEM_NAMESPACE = 'spillway-system';
const CRD_DIR = join(REPO_ROOT, 'config', 'crds');

export async function installCrds(kc: KubeConfig): Promise<void> {
  for (const f of readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    await applyManifestFile(kc, join(CRD_DIR, f));
  const custom = kc.makeApiClient(CustomObjectsApi);
  await waitFor('CRDs served', 30_000, async () => {
    await custom.listClusterCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'memberclusters',
    });
    await custom.listClusterCustomObject({
      group: 'policy.one.alibabacloud.com',
      version: 'v1alpha1',
      plural: 'propagationpolicies',
    });
    return true;
  });
}

/** Registers every member of the fleet on its hub, as the operations guide describes. */
export async function registerMembers(state: FleetState): Promise<void> {
  const kc = kubeConfigFor(hub(state));
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core
    .createNamespace({ body: { metadata: { name: SYSTEM_NAMESPACE } } })
    .catch(() => undefined);
  for (const m of members(state)) {
    const spec = state.topology.members.find((t) => t.id === m.name);
    const secret = `member-${m.name}`;
    await core
      .createNamespacedSecret({
        namespace: SYSTEM_NAMESPACE,
        body: {
          metadata: { name: secret },
          stringData: { kubeconfig: readFileSync(m.kubeconfigPath, 'utf8') },
        },
      })
      .catch(() => undefined);
    await custom.createClusterCustomObject({
      group: 'fleet.spillway.dev',
      version: 'v1alpha1',
      plural: 'memberclusters',
      body: {
        apiVersion: 'fleet.spillway.dev/v1alpha1',
        kind: 'MemberCluster',
        metadata: { name: m.name, labels: spec?.labels ?? {} },
        spec: {
          alias: m.alias,
          kubeconfigSecretRef: { namespace: SYSTEM_NAMESPACE, name: secret },
          provisioning: { enabled: spec?.provisioning ?? false },
        },
      },
    });
  }
}

/** kubectl against one cluster of the fleet, as a user would type it. */
export function kubectl(kubeconfig: string, args: string[], input?: string): string {
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** The seed's demo-pp.yaml with its cluster ID placeholders filled in. */
export function seedPolicy(idcId: string, ackId: string): string {
  return readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'seed', 'demo-pp.yaml'), 'utf8')
    .replaceAll('${registered cluster ID}', idcId)
    .replaceAll('${ACK Cluster ID}', ackId);
}

export const SEED_DEMO = join(REPO_ROOT, 'test', 'fixtures', 'seed', 'demo.yaml');
