/**
 * A fake of the binding reconciler's port (src/fleet/reconcile-port.ts), not of an API server:
 * it keeps the objects the reconciler reads and writes in memory and records every write call,
 * so a test asserts what a reconcile decided to write. Members act like kind Ready at once: an
 * applied copy reports all its replicas ready and its latest generation seen, as their watch
 * would show it.
 */
import type { ResourceBinding, ResourceBindingStatus } from '../../../src/api/fleet.js';
import type { AnyOverridePolicy } from '../../../src/api/override.js';
import type { AnyPropagationPolicy } from '../../../src/api/policy.js';
import type { DependencyReport } from '../../../src/fleet/dependencies.js';
import type { TemplateObject } from '../../../src/fleet/member-copy.js';
import type { MemberInfo } from '../../../src/fleet/placement.js';
import type { ProvisioningAsk, RequestAction } from '../../../src/fleet/provisioning.js';
import type {
  CopyOutcome,
  EventType,
  LiveObject,
  Measure,
  MemberRequestView,
  MemberView,
  ReconcilePort,
} from '../../../src/fleet/reconcile-port.js';
import type { TemplateKey } from '../../../src/fleet/template-key.js';
import type { KindState } from '../../../src/fleet/template-kinds.js';

export type Call =
  | { op: 'patchFinalizers'; name: string; finalizers: string[] }
  | { op: 'applyBinding'; clusters: { name: string; replicas?: number }[] }
  | { op: 'deleteBinding'; name: string }
  | { op: 'patchBindingStatus'; status: Partial<ResourceBindingStatus> }
  | { op: 'patchTemplateStatus'; status: Record<string, unknown> }
  | { op: 'annotatePlacement'; text: string | undefined }
  | { op: 'record'; type: EventType; reason: string; message: string }
  | { op: 'applyCopy'; member: string; replicas?: number; copy: TemplateObject }
  | { op: 'removeCopy'; member: string }
  | { op: 'syncRequest'; member: string; count: number }
  | { op: 'syncDependencies'; targets: string[] };

export interface FakeMember {
  name: string;
  labels?: Record<string, string>;
  ready: boolean;
  /** Replicas of the workload the member's nodes hold in total. */
  capacity: number;
  /** Its copies' pods start but are not Ready yet (default: Ready at once). */
  slowPods?: boolean;
  /** The workload's pods its scheduler has not bound to a node yet (default 0). */
  unbound?: number;
  /** The member serves ProvisioningRequests (so waiting replicas make the reconcile read one). */
  provisioningSupported?: boolean;
}

type Json = Record<string, unknown>;

/** RFC 7386 merge patch: null removes a field, objects merge, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Json) }
      : {};
  for (const [k, v] of Object.entries(patch as Json))
    out[k] = v === null ? undefined : mergePatch(out[k], v);
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

const clone = <T>(v: T): T => structuredClone(v);

/** A Ready member with filled caches and nothing else known; `extra` changes any of it. */
export function memberView(name: string, extra: Partial<MemberView> = {}): MemberView {
  return {
    name,
    registered: true,
    connected: true,
    reachable: true,
    cachesFilling: false,
    notReadySeconds: 0,
    canProvision: false,
    provisioningSupported: false,
    provisioningClass: 'check-capacity.autoscaling.x-k8s.io',
    ...extra,
  };
}

export class RecordingPort implements ReconcilePort {
  readonly calls: Call[] = [];
  templates = new Map<string, TemplateObject>();
  bindings = new Map<string, ResourceBinding>();
  propagationPolicies: AnyPropagationPolicy[] = [];
  overrides: AnyOverridePolicy[] = [];
  /** What the hub's caches know of every template's kind (template-kinds.ts). */
  kindState: KindState = 'watched';
  memberMap = new Map<string, FakeMember>();
  /** Member name -> object name -> the copy there. */
  copies = new Map<string, Map<string, LiveObject>>();
  private uids = 0;

  /** The write calls recorded since the last `take()`, then forgets them. */
  take(): Call[] {
    return this.calls.splice(0);
  }

  addMember(m: FakeMember): void {
    this.memberMap.set(m.name, m);
    this.copies.set(m.name, new Map());
  }

  putTemplate(t: TemplateObject): void {
    const old = this.templates.get(`${t.metadata.namespace}/${t.metadata.name}`);
    this.templates.set(`${t.metadata.namespace}/${t.metadata.name}`, {
      ...clone(t),
      metadata: {
        ...clone(t.metadata),
        uid: old?.metadata.uid ?? `uid-${++this.uids}`,
        resourceVersion: String(++this.uids),
        finalizers: old?.metadata.finalizers ?? [],
        annotations: { ...old?.metadata.annotations, ...t.metadata.annotations },
      },
    });
  }

  // Reads.
  template(key: TemplateKey): TemplateObject | undefined {
    const t = this.templates.get(`${key.namespace}/${key.name}`);
    return t ? clone(t) : undefined;
  }
  templateKind(): KindState {
    return this.kindState;
  }
  policies(): AnyPropagationPolicy[] {
    return this.propagationPolicies;
  }
  overridePolicies(): AnyOverridePolicy[] {
    return this.overrides;
  }
  readBinding(namespace: string, name: string): Promise<ResourceBinding | undefined> {
    const b = this.bindings.get(`${namespace}/${name}`);
    return Promise.resolve(b ? clone(b) : undefined);
  }
  namespaceTerminating(): Promise<boolean> {
    return Promise.resolve(false);
  }
  members(): MemberInfo[] {
    return [...this.memberMap.values()].map((m) => ({ name: m.name, labels: m.labels ?? {} }));
  }

  // Member caches.
  watchCopies(): void {}
  copyOf(member: string, key: TemplateKey): LiveObject | undefined {
    const c = this.copies.get(member)?.get(key.name);
    return c ? clone(c) : undefined;
  }
  /** Room bookkeeping in memory, not a write: the member views above are given as they are. */
  reserve(): void {}

  memberView(name: string, key: TemplateKey, _nowMs: number, measure?: Measure): MemberView {
    const m = this.memberMap.get(name);
    const copy = this.copyOf(name, key);
    const placed = ((copy as { spec?: { replicas?: number } } | undefined)?.spec?.replicas ??
      0) as number;
    return memberView(name, {
      registered: m !== undefined,
      connected: m !== undefined,
      reachable: m?.ready === true,
      notReadySeconds: m && !m.ready ? 10 : 0,
      provisioningSupported: m?.provisioningSupported === true,
      ...(m?.ready && measure
        ? {
            capacity: {
              maxReplicas: Math.max(0, m.capacity - placed),
              pending: { pending: m.unbound ?? 0, unschedulable: 0, unschedulableFor: 0 },
            },
          }
        : {}),
      ...(copy ? { copy } : {}),
    });
  }

  // Hub writes.
  patchFinalizers(
    obj: { apiVersion: string; kind: string; metadata: TemplateObject['metadata'] },
    finalizers: string[],
  ): Promise<void> {
    this.calls.push({ op: 'patchFinalizers', name: obj.metadata.name ?? '', finalizers });
    const k = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const t = obj.kind === 'ResourceBinding' ? this.bindings.get(k) : this.templates.get(k);
    if (t) {
      t.metadata.finalizers = [...finalizers];
      t.metadata.resourceVersion = String(++this.uids); // as an API server does on any write
    }
    return Promise.resolve();
  }
  applyBinding(body: {
    apiVersion: string;
    kind: string;
    metadata: Record<string, unknown>;
  }): Promise<ResourceBinding> {
    const b = clone(body) as unknown as ResourceBinding;
    this.calls.push({
      op: 'applyBinding',
      clusters: (b.spec.clusters ?? []).map((c) => ({
        name: c.name,
        ...(c.replicas !== undefined ? { replicas: c.replicas } : {}),
      })),
    });
    const k = `${b.metadata.namespace}/${b.metadata.name}`;
    const old = this.bindings.get(k);
    const changed = JSON.stringify(old?.spec) !== JSON.stringify(b.spec);
    const stored: ResourceBinding = {
      ...b,
      metadata: {
        ...b.metadata,
        uid: old?.metadata.uid ?? `uid-${++this.uids}`,
        generation: (old?.metadata.generation ?? 0) + (changed ? 1 : 0),
      },
      ...(old?.status ? { status: old.status } : {}),
    };
    this.bindings.set(k, stored);
    return Promise.resolve(clone(stored));
  }
  deleteBinding(namespace: string, name: string): Promise<void> {
    this.calls.push({ op: 'deleteBinding', name });
    this.bindings.delete(`${namespace}/${name}`);
    return Promise.resolve();
  }
  patchBindingStatus(
    namespace: string,
    name: string,
    status: Partial<ResourceBindingStatus>,
  ): Promise<void> {
    this.calls.push({ op: 'patchBindingStatus', status: clone(status) });
    const b = this.bindings.get(`${namespace}/${name}`);
    if (b) b.status = mergePatch(b.status, clone(status)) as ResourceBindingStatus;
    return Promise.resolve();
  }
  patchTemplateStatus(key: TemplateKey, _plural: string, status: Json): Promise<void> {
    this.calls.push({ op: 'patchTemplateStatus', status: clone(status) });
    const t = this.templates.get(`${key.namespace}/${key.name}`);
    if (t) {
      t.status = mergePatch(t.status, clone(status));
      t.metadata.resourceVersion = String(++this.uids);
    }
    return Promise.resolve();
  }
  annotatePlacement(template: TemplateObject, text: string | undefined): Promise<void> {
    this.calls.push({ op: 'annotatePlacement', text });
    const t = this.templates.get(`${template.metadata.namespace}/${template.metadata.name}`);
    if (t) {
      const annotations = { ...t.metadata.annotations };
      if (text === undefined) delete annotations['fleet.spillway.dev/placement'];
      else annotations['fleet.spillway.dev/placement'] = text;
      t.metadata.annotations = annotations;
      t.metadata.resourceVersion = String(++this.uids);
    }
    return Promise.resolve();
  }
  record(_t: TemplateObject, type: EventType, reason: string, message: string): Promise<void> {
    this.calls.push({ op: 'record', type, reason, message });
    return Promise.resolve();
  }

  // Member writes.
  applyCopy(
    member: string,
    copy: TemplateObject,
    _template: TemplateObject,
    unchanged: (existing: LiveObject) => boolean,
    watched?: LiveObject,
  ): Promise<CopyOutcome> {
    const m = this.memberMap.get(member);
    if (!m?.ready) return Promise.reject(new Error(`member ${member} is not reachable`));
    const objects = this.copies.get(member) ?? new Map<string, LiveObject>();
    const existing = watched ?? objects.get(copy.metadata.name ?? '');
    if (existing && unchanged(existing)) return Promise.resolve('unchanged');
    const replicas = (copy.spec as { replicas?: number } | undefined)?.replicas;
    this.calls.push({
      op: 'applyCopy',
      member,
      ...(replicas !== undefined ? { replicas } : {}),
      copy: clone(copy),
    });
    const old = objects.get(copy.metadata.name ?? '');
    const changed = JSON.stringify((old as { spec?: unknown })?.spec) !== JSON.stringify(copy.spec);
    const generation = (old?.metadata?.generation ?? 0) + (changed ? 1 : 0);
    const n = replicas ?? 1;
    const live: LiveObject = {
      ...(clone(copy) as LiveObject),
      metadata: {
        ...(clone(copy.metadata) as LiveObject['metadata']),
        uid: old?.metadata?.uid ?? `uid-${++this.uids}`,
        generation,
      },
      // The member's controller at once: every replica updated, ready and available (unless
      // the member's pods are slow to start).
      status: {
        observedGeneration: generation,
        replicas: n,
        updatedReplicas: n,
        readyReplicas: m.slowPods ? 0 : n,
        availableReplicas: m.slowPods ? 0 : n,
      },
    };
    objects.set(copy.metadata.name ?? '', live);
    this.copies.set(member, objects);
    return Promise.resolve({ result: clone(live) });
  }
  removeCopy(member: string, key: TemplateKey): Promise<boolean> {
    const m = this.memberMap.get(member);
    if (m && !m.ready) return Promise.reject(new Error(`member ${member} is not reachable`));
    this.calls.push({ op: 'removeCopy', member });
    return Promise.resolve(this.copies.get(member)?.delete(key.name) ?? false);
  }
  /** Runs while a ProvisioningRequest read is in flight: what other reconciles do meanwhile. */
  duringReadRequest: (() => void) | undefined;
  readRequest(): Promise<MemberRequestView | undefined> {
    this.duringReadRequest?.();
    return Promise.resolve(undefined);
  }
  syncRequest(
    member: string,
    ask: ProvisioningAsk,
    existing: MemberRequestView | undefined,
  ): Promise<RequestAction> {
    this.calls.push({ op: 'syncRequest', member, count: ask.count });
    return Promise.resolve(ask.count > 0 ? (existing ? 'none' : 'create') : 'none');
  }
  syncDependencies(
    _binding: ResourceBinding,
    _template: TemplateObject,
    targets: readonly string[],
    enabled: boolean,
  ): Promise<DependencyReport> {
    // Without propagateDeps the real syncer has nothing to write: only an enabled sync counts.
    if (enabled) this.calls.push({ op: 'syncDependencies', targets: [...targets] });
    return Promise.resolve({ refs: [], missing: [], problems: [], pending: false });
  }
  releaseDependencies(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
