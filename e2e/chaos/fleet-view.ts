/**
 * Reads the fleet into the invariant checker's snapshot: hub templates and bindings of the chaos
 * namespace, and from each member Spillway's objects, the pods of the namespace and the
 * ReplicaSets that own them. The fleet's API servers share one etcd, so every member list after
 * the first is read at the first one's resourceVersion (resourceVersionMatch=Exact): the pods of
 * all members are then one moment, and a workload moving between members cannot be counted twice.
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import type { ResourceBinding } from '../../src/api/fleet.js';
import {
  BINDING_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
} from '../../src/fleet/ownership.js';
import type { BindingView, CopyView, FleetSnapshot, PodView, TemplateView } from './invariants.js';

export interface MemberView {
  /** Cluster ID (the binding's cluster name). */
  name: string;
  kubeConfig: KubeConfig;
}

const MANAGED = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

function imageOf(d: V1Deployment): string {
  return d.spec?.template.spec?.containers[0]?.image ?? '';
}

export async function readHub(
  hub: KubeConfig,
  namespace: string,
): Promise<Pick<FleetSnapshot, 'templates' | 'bindings'>> {
  const apps = hub.makeApiClient(AppsV1Api);
  const custom = hub.makeApiClient(CustomObjectsApi);
  const templates: TemplateView[] = (await apps.listNamespacedDeployment({ namespace })).items
    .filter((d) => !d.metadata?.deletionTimestamp)
    .map((d) => ({
      namespace,
      name: d.metadata?.name ?? '',
      replicas: d.spec?.replicas ?? 1,
      image: imageOf(d),
    }));
  const list = (await custom.listNamespacedCustomObject({
    group: 'fleet.spillway.dev',
    version: 'v1alpha1',
    plural: 'resourcebindings',
    namespace,
  })) as { items: ResourceBinding[] };
  const bindings: BindingView[] = list.items.map((b) => ({
    namespace,
    name: b.metadata.name ?? '',
    resourceName: b.spec.resource.name,
    replicas: b.spec.replicas ?? 0,
    clusters: (b.spec.clusters ?? []).map((c) => ({ name: c.name, replicas: c.replicas ?? 0 })),
  }));
  return { templates, bindings };
}

interface ListOptions {
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

/** Members whose API server does not answer are left out (`unreachable` names them). */
export async function readMembers(
  members: readonly MemberView[],
  namespace: string,
): Promise<Pick<FleetSnapshot, 'copies' | 'pods'> & { unreachable: string[] }> {
  const copies: CopyView[] = [];
  const pods: PodView[] = [];
  const unreachable: string[] = [];
  let at: ListOptions = {};
  for (const m of members) {
    const apps = m.kubeConfig.makeApiClient(AppsV1Api);
    const core = m.kubeConfig.makeApiClient(CoreV1Api);
    let deployments: V1Deployment[];
    let sets: V1ReplicaSet[];
    let podList: V1Pod[];
    try {
      const d = await apps.listDeploymentForAllNamespaces({ labelSelector: MANAGED, ...at });
      if (!at.resourceVersion && d.metadata?.resourceVersion)
        at = { resourceVersion: d.metadata.resourceVersion, resourceVersionMatch: 'Exact' };
      deployments = d.items;
      sets = (await apps.listNamespacedReplicaSet({ namespace, ...at })).items;
      podList = (await core.listNamespacedPod({ namespace, ...at })).items;
      const services = (await core.listServiceForAllNamespaces({ labelSelector: MANAGED, ...at }))
        .items;
      const configMaps = (
        await core.listConfigMapForAllNamespaces({ labelSelector: MANAGED, ...at })
      ).items;
      const others: [
        string,
        { metadata?: { namespace?: string; name?: string; uid?: string } }[],
      ][] = [
        ['Service', services],
        ['ConfigMap', configMaps],
      ];
      for (const [kind, items] of others)
        for (const o of items)
          copies.push({
            cluster: m.name,
            kind,
            namespace: o.metadata?.namespace ?? '',
            name: o.metadata?.name ?? '',
            uid: o.metadata?.uid ?? '',
          });
    } catch {
      unreachable.push(m.name);
      continue;
    }
    for (const d of deployments) {
      if (d.metadata?.deletionTimestamp) continue;
      const binding = d.metadata?.annotations?.[BINDING_ANNOTATION];
      copies.push({
        cluster: m.name,
        kind: 'Deployment',
        namespace: d.metadata?.namespace ?? '',
        name: d.metadata?.name ?? '',
        replicas: d.spec?.replicas ?? 1,
        image: imageOf(d),
        uid: d.metadata?.uid ?? '',
        ...(binding !== undefined ? { binding } : {}),
      });
    }
    const ownerOfSet = new Map(
      sets.map((s) => [
        s.metadata?.uid ?? '',
        s.metadata?.ownerReferences?.find((o) => o.controller)?.uid,
      ]),
    );
    for (const p of podList) {
      const app = p.metadata?.labels?.app;
      if (!app) continue;
      const owner = p.metadata?.ownerReferences?.find((o) => o.controller);
      const set = owner?.kind === 'ReplicaSet' ? owner.uid : undefined;
      const deploymentUid = set === undefined ? undefined : ownerOfSet.get(set);
      pods.push({
        cluster: m.name,
        namespace,
        app,
        ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        terminating:
          Boolean(p.metadata?.deletionTimestamp) ||
          p.status?.phase === 'Succeeded' ||
          p.status?.phase === 'Failed',
        ...(deploymentUid !== undefined ? { deploymentUid } : {}),
        ...(set !== undefined && !ownerOfSet.has(set) ? { replicaSetGone: true } : {}),
      });
    }
  }
  return { copies, pods, unreachable };
}

export async function readFleet(
  hub: KubeConfig,
  members: readonly MemberView[],
  namespace: string,
): Promise<FleetSnapshot & { unreachable: string[] }> {
  return { ...(await readHub(hub, namespace)), ...(await readMembers(members, namespace)) };
}
