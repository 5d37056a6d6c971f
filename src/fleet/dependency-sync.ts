/**
 * propagateDeps, the I/O part: copies the hub objects a workload's pod template references to
 * the members that hold its replicas, and withdraws them where it no longer runs. Each copy
 * carries one required-by label per binding that needs it (see dependencies.ts); a binding
 * only ever adds or removes its own label, and deletes the copy when no label is left. The
 * binding remembers in an annotation which members may hold its labels, so a binding without
 * dependencies costs no member call.
 */
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { FLEET_GROUP, FLEET_VERSION, type ResourceBinding } from '../api/fleet.js';
import { objectApi } from '../runtime/connections.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import {
  DEPENDENCIES_ANNOTATION,
  DEPENDENCY_KINDS,
  dependenciesOf,
  dependencyCopy,
  dependencyDiffers,
  isServiceAccountToken,
  requiredByKeys,
  requiredByLabel,
  withoutRequiredBy,
  type DependencyKind,
  type DependencyReport,
  type MemberObject,
} from './dependencies.js';
import type { TemplateObject } from './member-copy.js';
import type { MemberRegistry } from './member-registry.js';
import { BINDING_ANNOTATION, isManagedCopy, ownershipOf } from './ownership.js';
import { statusCode } from '../runtime/api-errors.js';
import type { BindingVersions } from './binding-versions.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Its own field manager: these replaces are no part of a template copy's server-side apply. */
const FIELD_MANAGER = 'spillway-dependencies';
/** Concurrent writers (two bindings sharing a ConfigMap) make a replace fail with 409; retry. */
const ATTEMPTS = 4;

const ref = (kind: DependencyKind, name: string, namespace: string) => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace },
});

function recordedClusters(binding: ResourceBinding | undefined): Set<string> {
  const raw = binding?.metadata.annotations?.[DEPENDENCIES_ANNOTATION] ?? '';
  return new Set(raw.split(',').filter((c) => c !== ''));
}

export class DependencySyncer {
  private readonly hubObjects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;

  constructor(
    hub: KubeConfig,
    private readonly members: MemberRegistry,
    /** Told the version each binding write returned (binding-versions.ts). */
    private readonly versions?: BindingVersions,
  ) {
    this.hubObjects = KubernetesObjectApi.makeApiClient(hub);
    this.custom = hub.makeApiClient(CustomObjectsApi);
  }

  /**
   * Brings the dependencies of `template` to exactly the `targets` (members holding replicas)
   * and withdraws this binding's claim everywhere else. `enabled` false withdraws everywhere.
   */
  async sync(
    binding: ResourceBinding,
    template: TemplateObject,
    targets: readonly string[],
    enabled: boolean,
    log: Logger,
  ): Promise<DependencyReport> {
    const namespace = binding.metadata.namespace ?? '';
    const bName = binding.metadata.name ?? '';
    const report: DependencyReport = { refs: [], missing: [], problems: [], pending: false };
    const recorded = recordedClusters(binding);
    const label = requiredByLabel(bName);

    const wanted = new Map<string, MemberObject>();
    if (enabled) {
      report.refs = dependenciesOf(template);
      for (const r of report.refs) {
        try {
          const obj = (await this.hubObjects.read(ref(r.kind, r.name, namespace))) as MemberObject;
          if (r.kind === 'Secret' && isServiceAccountToken(obj))
            report.problems.push(
              `Secret ${r.name} is a service account token; each member makes its own`,
            );
          else wanted.set(`${r.kind}/${r.name}`, obj);
        } catch (err) {
          if (statusCode(err) === 404) {
            if (!r.optional) report.missing.push(`${r.kind} ${r.name}`);
          } else {
            report.problems.push(
              `cannot read ${r.kind} ${r.name} on the hub: ${errorMessage(err)}`,
            );
            report.pending = true;
          }
        }
      }
    }
    const keep = new Set(wanted.size > 0 ? targets : []);

    // Remember a member before writing there: a crash in between must not orphan a copy.
    const toWrite = [...keep].filter((c) => this.members.get(c)?.connection?.probeResult.ready);
    const next = new Set([...recorded, ...toWrite]);
    if (next.size !== recorded.size) await this.record(namespace, bName, next);

    for (const cluster of keep) {
      const conn = this.members.get(cluster)?.connection;
      if (!conn?.probeResult.ready) {
        report.problems.push(`${cluster}: member not reachable`);
        report.pending = true;
        continue;
      }
      const api = objectApi(conn.kubeConfig);
      for (const [key, hubObj] of wanted) {
        const kind = key.split('/')[0] as DependencyKind;
        try {
          const outcome = await this.upsert(api, kind, hubObj, label);
          if (outcome === 'conflict')
            report.problems.push(
              `${cluster}: a ${kind} ${namespace}/${hubObj.metadata?.name ?? ''} that Spillway did not create exists; left as it is`,
            );
        } catch (err) {
          report.problems.push(`${cluster}: ${key}: ${errorMessage(err)}`);
          report.pending = true;
          log.warn('could not propagate dependency', {
            member: cluster,
            dependency: key,
            error: errorMessage(err),
          });
        }
      }
    }

    // Withdraw: every member that may hold our label, except what is still wanted there.
    const released = new Set<string>();
    for (const cluster of next) {
      const keepHere = keep.has(cluster) ? new Set(wanted.keys()) : new Set<string>();
      const done = await this.releaseIn(cluster, namespace, label.key, keepHere, log);
      if (!done) report.pending = true;
      else if (keepHere.size === 0) released.add(cluster);
    }
    const left = new Set([...next].filter((c) => !released.has(c)));
    if (left.size !== next.size) await this.record(namespace, bName, left);
    return report;
  }

  /** Withdraws the binding's claim from every member that may hold it; true when done. */
  async release(
    binding: ResourceBinding | undefined,
    namespace: string,
    bName: string,
    log: Logger,
  ): Promise<boolean> {
    // Without the binding's record, look everywhere reachable.
    const clusters = binding
      ? recordedClusters(binding)
      : new Set(this.members.infos().map((m) => m.name));
    let done = true;
    const key = requiredByLabel(bName).key;
    const left = new Set<string>();
    for (const c of clusters) {
      if (await this.releaseIn(c, namespace, key, new Set(), log)) continue;
      done = false;
      left.add(c);
    }
    if (binding && clusters.size > 0)
      await this.record(namespace, bName, left).catch(() => undefined);
    return done;
  }

  /** Creates or updates one dependency copy; a foreign object is reported, never written. */
  private async upsert(
    api: KubernetesObjectApi,
    kind: DependencyKind,
    hubObj: MemberObject,
    label: { key: string; value: string },
  ): Promise<'written' | 'unchanged' | 'conflict'> {
    const namespace = hubObj.metadata?.namespace ?? '';
    const name = hubObj.metadata?.name ?? '';
    for (let attempt = 1; ; attempt++) {
      let existing: MemberObject | undefined;
      try {
        existing = (await api.read(ref(kind, name, namespace))) as MemberObject;
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
      // The hub object may carry fleet.spillway.dev/adopt-existing to take a member's over.
      if (ownershipOf(existing, hubObj) === 'foreign') return 'conflict';
      const desired = dependencyCopy(kind, hubObj, existing, label);
      try {
        if (!existing) {
          await ensureNamespace(api, namespace);
          await api.create(desired as KubernetesObject, undefined, undefined, FIELD_MANAGER);
          return 'written';
        }
        if (!dependencyDiffers(kind, existing, desired)) return 'unchanged';
        // A replace with the read resourceVersion: a concurrent writer makes it fail, not lose.
        await api.replace(desired as KubernetesObject, undefined, undefined, FIELD_MANAGER);
        return 'written';
      } catch (err) {
        if ((statusCode(err) === 409 || statusCode(err) === 404) && attempt < ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** Removes our label from this binding's copies in one member, except `keep`; true when done. */
  private async releaseIn(
    cluster: string,
    namespace: string,
    labelKey: string,
    keep: Set<string>,
    log: Logger,
  ): Promise<boolean> {
    const conn = this.members.get(cluster)?.connection;
    // A member no longer registered holds nothing we can reach; forget it.
    if (!conn) return !this.members.get(cluster);
    if (!conn.probeResult.ready) return false;
    const api = objectApi(conn.kubeConfig);
    let done = true;
    for (const kind of DEPENDENCY_KINDS) {
      try {
        const list = await api.list(
          'v1',
          kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelKey,
        );
        for (const item of list.items as MemberObject[]) {
          const name = item.metadata?.name ?? '';
          if (keep.has(`${kind}/${name}`)) continue;
          await this.withdraw(api, kind, namespace, name, labelKey);
          log.info('withdrew dependency', { member: cluster, dependency: `${kind}/${name}` });
        }
      } catch (err) {
        done = false;
        log.warn('could not withdraw dependencies', {
          member: cluster,
          kind,
          error: errorMessage(err),
        });
      }
    }
    return done;
  }

  /** Drops our label; deletes the copy when no binding (and no template of its own) needs it. */
  private async withdraw(
    api: KubernetesObjectApi,
    kind: DependencyKind,
    namespace: string,
    name: string,
    labelKey: string,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = (await api.read(ref(kind, name, namespace))) as MemberObject;
        if (!isManagedCopy(existing) || !existing.metadata?.labels?.[labelKey]) return;
        const others = requiredByKeys(existing.metadata.labels).filter((k) => k !== labelKey);
        if (others.length === 0 && !existing.metadata.annotations?.[BINDING_ANNOTATION]) {
          // Precondition: a binding that adds its label meanwhile makes the delete fail.
          await api.delete(
            ref(kind, name, namespace),
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            {
              preconditions: { resourceVersion: existing.metadata.resourceVersion },
            },
          );
        } else {
          await api.replace(
            withoutRequiredBy(existing, labelKey) as KubernetesObject,
            undefined,
            undefined,
            FIELD_MANAGER,
          );
        }
        return;
      } catch (err) {
        if (statusCode(err) === 404) return;
        if (statusCode(err) === 409 && attempt < ATTEMPTS) continue;
        throw err;
      }
    }
  }

  private async record(namespace: string, bName: string, clusters: Set<string>): Promise<void> {
    const value = [...clusters].sort().join(',');
    await this.custom
      .patchNamespacedCustomObject(
        {
          group: FLEET_GROUP,
          version: FLEET_VERSION,
          plural: 'resourcebindings',
          namespace,
          name: bName,
          body: { metadata: { annotations: { [DEPENDENCIES_ANNOTATION]: value || null } } },
          fieldManager: FIELD_MANAGER,
        },
        mergePatch,
      )
      .then((written) => this.versions?.saw(namespace, bName, written as ResourceBinding))
      .catch((err: unknown) => {
        if (statusCode(err) !== 404) throw err;
      });
  }
}

/**
 * A template's own copy that dependencies still need (a policy selects the ConfigMap itself and
 * propagateDeps brings it along for a workload): the template lets go of it instead of deleting
 * it. True when the copy was kept.
 */
export async function keepIfRequired(
  api: KubernetesObjectApi,
  existing: MemberObject,
): Promise<boolean> {
  if (requiredByKeys(existing.metadata?.labels).length === 0) return false;
  const annotations = Object.fromEntries(
    Object.entries(existing.metadata?.annotations ?? {}).filter(([k]) => k !== BINDING_ANNOTATION),
  );
  const metadata = { ...(existing.metadata ?? {}), annotations };
  delete metadata.managedFields;
  await api.replace(
    { ...existing, metadata } as KubernetesObject,
    undefined,
    undefined,
    FIELD_MANAGER,
  );
  return true;
}

/** Creates the namespace in a member when it is missing (a concurrent create is fine). */
export async function ensureNamespace(api: KubernetesObjectApi, namespace: string): Promise<void> {
  try {
    await api.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
    await api
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })
      .catch((e: unknown) => {
        if (statusCode(e) !== 409) throw e;
      });
  }
}
