/**
 * The binding reconciler's port (reconcile-port.ts) over the real clients: the hub API server,
 * the hub's caches, and each member's connection (its caches and client). Each method is one
 * read or write with its API errors told apart here: a 404 that means "nothing to do" is
 * swallowed, everything else reaches the caller.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import {
  DEFAULT_PROVISIONING_CLASS,
  FLEET_GROUP,
  FLEET_VERSION,
  bindingName,
  type ResourceBinding,
  type ResourceBindingStatus,
} from '../api/fleet.js';
import type { AnyOverridePolicy } from '../api/override.js';
import type { AnyPropagationPolicy } from '../api/policy.js';
import type { PodTemplateInput } from '../estimator/index.js';
import { statusCode } from '../runtime/api-errors.js';
import { objectApi } from '../runtime/connections.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Logger } from '../runtime/logger.js';
import { applyAsSoleOwner, takeOver, takeOverUnfinished } from './adoption.js';
import type { DependencyReport, MemberObject } from './dependencies.js';
import { DependencySyncer, ensureNamespace, keepIfRequired } from './dependency-sync.js';
import { keepImmutable } from './kinds.js';
import type { TemplateObject } from './member-copy.js';
import type { MemberRegistry } from './member-registry.js';
import type { MemberInfo } from './placement.js';
import { FIELD_MANAGER, PLACEMENT_ANNOTATION, isManagedCopy, ownershipOf } from './ownership.js';
import type { ProvisioningAsk, RequestAction } from './provisioning.js';
import { deleteRequests, readRequest, syncRequest } from './provisioning-sync.js';
import type {
  CopyOutcome,
  EventType,
  LiveObject,
  Measure,
  MemberRequestView,
  MemberView,
  ReconcilePort,
} from './reconcile-port.js';
import { BindingVersions } from './binding-versions.js';
import { ReservedRoom } from './reserved-room.js';
import { formatTemplateKey, type TemplateKey } from './template-key.js';
import type { KindState, TemplateKinds } from './template-kinds.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface KubePortDeps {
  hub: KubeConfig;
  recorder: EventRecorder;
  members: MemberRegistry;
  templates: TemplateKinds;
  policies: () => AnyPropagationPolicy[];
  overridePolicies?: () => AnyOverridePolicy[];
  /** The hub's watch cache of bindings: read instead of the API server while it is current. */
  cachedBinding?: (namespace: string, name: string) => ResourceBinding | undefined;
  /** Versions of bindings written or read, shared with every other writer of bindings. */
  bindingVersions?: BindingVersions;
}

export class KubeReconcilePort implements ReconcilePort {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly dependencies: DependencySyncer;
  /**
   * Namespaces seen to exist, per member: a new copy in a namespace already used there needs
   * no read of it. Forgotten when a copy write there fails, so a namespace deleted in the
   * member is created again by the next attempt.
   */
  private readonly namespaces = new Map<string, Set<string>>();
  /** Room placed in members whose pods are not bound yet (reserved-room.ts). */
  private readonly room = new ReservedRoom();
  private readonly versions: BindingVersions;

  constructor(private readonly deps: KubePortDeps) {
    this.core = deps.hub.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(deps.hub);
    this.custom = deps.hub.makeApiClient(CustomObjectsApi);
    this.versions = deps.bindingVersions ?? new BindingVersions();
    this.dependencies = new DependencySyncer(deps.hub, deps.members, this.versions);
  }

  template(key: TemplateKey): TemplateObject | undefined {
    return this.deps.templates.get(key, key.namespace, key.name) as TemplateObject | undefined;
  }

  templateKind(key: TemplateKey): KindState {
    return this.deps.templates.lookUp(key);
  }

  policies(): AnyPropagationPolicy[] {
    return this.deps.policies();
  }

  overridePolicies(): AnyOverridePolicy[] {
    return this.deps.overridePolicies?.() ?? [];
  }

  async readBinding(namespace: string, name: string): Promise<ResourceBinding | undefined> {
    // The cache's object is the version this process last wrote or read: the same as a read
    // (binding-versions.ts). A copy, since the reconcile's objects are its own.
    const cached = this.deps.cachedBinding?.(namespace, name);
    if (cached && this.versions.current(namespace, name, cached)) return structuredClone(cached);
    try {
      const read = (await this.custom.getNamespacedCustomObject({
        group: FLEET_GROUP,
        version: FLEET_VERSION,
        plural: 'resourcebindings',
        namespace,
        name,
      })) as ResourceBinding;
      this.versions.saw(namespace, name, read);
      return read;
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
      this.versions.saw(namespace, name, undefined);
      return undefined;
    }
  }

  async namespaceTerminating(namespace: string): Promise<boolean> {
    try {
      const ns = await this.core.readNamespace({ name: namespace });
      return ns.metadata?.deletionTimestamp !== undefined;
    } catch (err) {
      if (statusCode(err) === 404) return true;
      throw err;
    }
  }

  members(): MemberInfo[] {
    return this.deps.members.infos();
  }

  watchCopies(key: TemplateKey): void {
    for (const m of this.deps.members.infos())
      this.deps.members.get(m.name)?.connection?.watchCopies(key);
  }

  copyOf(member: string, key: TemplateKey): LiveObject | undefined {
    return this.deps.members.get(member)?.connection?.copyOf(key, key.name, key.namespace);
  }

  reserve(
    key: TemplateKey,
    targets: readonly { name: string; replicas?: number }[],
    measure?: Measure,
  ): void {
    if (!measure) this.room.forget(formatTemplateKey(key));
    else
      this.room.placed(
        formatTemplateKey(key),
        targets,
        measure.podTemplate as PodTemplateInput,
        key.namespace,
        measure.selector,
        measure.nowMs,
      );
  }

  memberView(name: string, key: TemplateKey, nowMs: number, measure?: Measure): MemberView {
    const m = this.deps.members.get(name);
    const c = m?.connection;
    const ready = c?.probeResult.ready === true;
    const copy = c?.copyOf(key, key.name, key.namespace);
    return {
      name,
      registered: m !== undefined && m.spec.metadata.deletionTimestamp === undefined,
      connected: c !== undefined,
      reachable: ready,
      cachesFilling:
        c !== undefined && (!c.probed || (ready && (!c.synced || !c.copiesSynced(key)))),
      notReadySeconds: c ? c.notReadySeconds(nowMs) : 0,
      canProvision: m?.spec.spec.provisioning?.enabled === true,
      provisioningSupported: c?.probeResult.provisioningRequestSupported === true,
      provisioningClass:
        m?.spec.spec.provisioning?.provisioningClassName ?? DEFAULT_PROVISIONING_CLASS,
      ...(c?.synced === true && ready && measure
        ? {
            capacity: {
              maxReplicas: this.room.free(
                name,
                c,
                formatTemplateKey(key),
                measure.podTemplate as PodTemplateInput,
                measure.nowMs,
              ),
              pending: c.pending.count(
                key.namespace,
                measure.selector,
                measure.spilloverMs,
                measure.nowMs,
              ),
            },
          }
        : {}),
      ...(copy ? { copy } : {}),
    };
  }

  async patchFinalizers(
    obj: { apiVersion: string; kind: string; metadata: TemplateObject['metadata'] },
    finalizers: string[],
  ): Promise<void> {
    try {
      const written = await this.objects.patch(
        {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          metadata: {
            name: obj.metadata.name,
            namespace: obj.metadata.namespace,
            resourceVersion: obj.metadata.resourceVersion as string,
            finalizers,
          },
        },
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      );
      if (obj.kind === 'ResourceBinding')
        this.versions.saw(obj.metadata.namespace ?? '', obj.metadata.name ?? '', written);
    } catch (err) {
      // Gone already: nothing left to hold or release.
      if (statusCode(err) !== 404) throw err;
    }
  }

  async applyBinding(body: {
    apiVersion: string;
    kind: string;
    metadata: Record<string, unknown>;
  }): Promise<ResourceBinding> {
    const written = (await this.objects.patch(
      body as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    )) as unknown as ResourceBinding;
    this.versions.saw(written.metadata.namespace ?? '', written.metadata.name ?? '', written);
    return written;
  }

  async deleteBinding(namespace: string, name: string): Promise<void> {
    await this.custom
      .deleteNamespacedCustomObject({
        group: FLEET_GROUP,
        version: FLEET_VERSION,
        plural: 'resourcebindings',
        namespace,
        name,
      })
      .catch((err: unknown) => {
        if (statusCode(err) !== 404) throw err;
      });
    // Gone or going: the next reconcile reads it.
    this.versions.saw(namespace, name, undefined);
  }

  async patchBindingStatus(
    namespace: string,
    name: string,
    status: Partial<ResourceBindingStatus>,
  ): Promise<void> {
    const written = await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: FLEET_GROUP,
        version: FLEET_VERSION,
        plural: 'resourcebindings',
        namespace,
        name,
        body: { status },
      },
      mergePatch,
    );
    this.versions.saw(namespace, name, written as ResourceBinding);
  }

  async patchTemplateStatus(
    key: TemplateKey,
    plural: string,
    status: Record<string, unknown>,
  ): Promise<void> {
    const [group = '', version = ''] = key.apiVersion.split('/');
    await this.custom.patchNamespacedCustomObjectStatus(
      { group, version, plural, namespace: key.namespace, name: key.name, body: { status } },
      mergePatch,
    );
  }

  async annotatePlacement(template: TemplateObject, text: string | undefined): Promise<void> {
    await this.objects.patch(
      {
        apiVersion: template.apiVersion,
        kind: template.kind,
        metadata: {
          name: template.metadata.name,
          namespace: template.metadata.namespace,
          // null removes the key in a merge patch.
          annotations: { [PLACEMENT_ANNOTATION]: text ?? null } as Record<string, string>,
        },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  }

  async record(t: TemplateObject, type: EventType, reason: string, message: string): Promise<void> {
    await this.deps.recorder.record(
      {
        apiVersion: t.apiVersion,
        kind: t.kind,
        namespace: t.metadata.namespace ?? '',
        name: t.metadata.name ?? '',
        uid: t.metadata.uid as string,
      },
      type,
      reason,
      message,
    );
  }

  private kubeConfigOf(member: string): KubeConfig {
    const conn = this.deps.members.get(member)?.connection;
    if (!conn) throw new Error(`member ${member} has no connection`);
    return conn.kubeConfig;
  }

  async applyCopy(
    member: string,
    copy: TemplateObject,
    template: TemplateObject,
    unchanged: (existing: LiveObject) => boolean,
    watched?: LiveObject,
  ): Promise<CopyOutcome> {
    const api = objectApi(this.kubeConfigOf(member));
    const header = {
      apiVersion: copy.apiVersion,
      kind: copy.kind,
      metadata: { name: copy.metadata.name ?? '', namespace: copy.metadata.namespace ?? '' },
    };
    let existing = watched as KubernetesObject | undefined;
    const namespace = copy.metadata.namespace;
    const known = this.namespaces.get(member) ?? new Set<string>();
    this.namespaces.set(member, known);
    if (!existing) {
      try {
        existing = await api.read(header);
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
        if (namespace && !known.has(namespace)) await ensureNamespace(api, namespace);
      }
    }
    if (namespace) known.add(namespace);
    try {
      return await this.writeCopy(api, copy, template, unchanged, existing);
    } catch (err) {
      if (namespace) known.delete(namespace);
      throw err;
    }
  }

  private async writeCopy(
    api: KubernetesObjectApi,
    copy: TemplateObject,
    template: TemplateObject,
    unchanged: (existing: LiveObject) => boolean,
    existing: KubernetesObject | undefined,
  ): Promise<CopyOutcome> {
    const own = ownershipOf(
      existing as { metadata?: { labels?: Record<string, string> } } | undefined,
      template,
    );
    if (own === 'foreign') return 'conflict';
    if (own === 'ours' && existing && unchanged(existing as LiveObject)) return 'unchanged';
    keepImmutable(copy, existing as { spec?: Record<string, unknown> } | undefined);
    if (own === 'adoptable' && existing) {
      // Once: the member object becomes the copy, not a merge with what was there.
      await takeOver(api, existing, copy);
      return {};
    }
    if (existing && takeOverUnfinished(existing)) {
      await applyAsSoleOwner(api, copy);
      return {};
    }
    const result = await api.patch(
      copy as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    return { result: result as LiveObject };
  }

  async removeCopy(member: string, key: TemplateKey): Promise<boolean> {
    const conn = this.deps.members.get(member)?.connection;
    if (!conn) return false;
    if (!conn.probeResult.ready) throw new Error(`member ${member} is not reachable`);
    const api = objectApi(conn.kubeConfig);
    const header = {
      apiVersion: key.apiVersion,
      kind: key.kind,
      metadata: { name: key.name, namespace: key.namespace },
    };
    let removed = false;
    try {
      const existing = await api.read(header);
      // An object we did not create is never touched.
      if (!isManagedCopy(existing as { metadata?: { labels?: Record<string, string> } }))
        return false;
      // Still a propagated dependency of some workload there: kept, only our mark goes.
      if (await keepIfRequired(api, existing as MemberObject)) return false;
      await api.delete(header);
      removed = true;
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    await deleteRequests(conn.kubeConfig, key.namespace, bindingName(key.name, key.kind));
    return removed;
  }

  readRequest(
    member: string,
    namespace: string,
    name: string,
  ): Promise<MemberRequestView | undefined> {
    return readRequest(this.kubeConfigOf(member), namespace, name);
  }

  syncRequest(
    member: string,
    ask: ProvisioningAsk,
    existing: MemberRequestView | undefined,
  ): Promise<RequestAction> {
    return syncRequest(this.kubeConfigOf(member), ask, existing);
  }

  syncDependencies(
    binding: ResourceBinding,
    template: TemplateObject,
    targets: readonly string[],
    enabled: boolean,
    log: Logger,
  ): Promise<DependencyReport> {
    return this.dependencies.sync(binding, template, targets, enabled, log);
  }

  releaseDependencies(binding: ResourceBinding, log: Logger): Promise<boolean> {
    return this.dependencies.release(
      binding,
      binding.metadata.namespace ?? '',
      binding.metadata.name ?? '',
      log,
    );
  }
}
