/**
 * The binding reconciler's narrow I/O interface (its port): every read and write one reconcile
 * makes, as plain data. `reconcile-io.ts` implements it with the hub and member clients; the
 * unit tests implement it with a fake that records the calls. Types only, no I/O here.
 */
import type { ResourceBinding, ResourceBindingStatus } from '../api/fleet.js';
import type { AnyOverridePolicy } from '../api/override.js';
import type { AnyPropagationPolicy } from '../api/policy.js';
import type { Logger } from '../runtime/logger.js';
import type { ObjectMeta } from './applied-cache.js';
import type { DependencyReport } from './dependencies.js';
import type { LiveCopy, PodTemplateLike } from './kinds.js';
import type { TemplateObject } from './member-copy.js';
import type { PendingCount } from './pending-pods.js';
import type { MemberInfo } from './placement.js';
import type {
  ExistingRequest,
  ProvisioningAsk,
  RequestAction,
  RequestState,
} from './provisioning.js';
import type { TemplateKey } from './template-key.js';
import type { KindState } from './template-kinds.js';
import type { LabelSelector } from '../api/meta.js';

/** A member object as the API server or the member's watch gives it. */
export type LiveObject = LiveCopy & {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta & { name?: string; namespace?: string };
};

/** A member's ProvisioningRequest for one binding, as read. */
export interface MemberRequestView extends ExistingRequest {
  uid: string;
  state: RequestState;
}

/** What one reconcile needs to know of one member, read from its caches (no API call). */
export interface MemberView {
  name: string;
  /** A MemberCluster of that name is known and not being deleted. */
  registered: boolean;
  /** A client exists for the member (its kubeconfig Secret could be read). */
  connected: boolean;
  /** The last probe found its API server Ready. */
  reachable: boolean;
  /** Probed Ready but its node, pod or copy caches have not listed yet (or never probed). */
  cachesFilling: boolean;
  notReadySeconds: number;
  /** MemberCluster `spec.provisioning.enabled`. */
  canProvision: boolean;
  /** The member serves ProvisioningRequests. */
  provisioningSupported: boolean;
  provisioningClass: string;
  /** Room for the pod template and the workload's pending pods; only when the caches are full. */
  capacity?: { maxReplicas: number; pending: PendingCount };
  /** Spillway's copy of the template there, as the member's watch of copies sees it. */
  copy?: LiveObject;
}

/** What the member views are measured against (a kind with pods only). */
export interface Measure {
  podTemplate: PodTemplateLike;
  selector: LabelSelector;
  spilloverMs: number;
  nowMs: number;
}

export type CopyOutcome = { result?: LiveObject } | 'conflict' | 'unchanged';

export type EventType = 'Normal' | 'Warning';

export interface ReconcilePort {
  // Hub reads (caches; the binding as it is now: from the API server, or from the cache when
  // that holds the version this process last wrote or read).
  template(key: TemplateKey): TemplateObject | undefined;
  /**
   * Whether a template missing from `template()` is really gone; a kind nobody asked for yet
   * is looked up without waiting for it (template-kinds.ts).
   */
  templateKind(key: TemplateKey): KindState;
  policies(): AnyPropagationPolicy[];
  overridePolicies(): AnyOverridePolicy[];
  readBinding(namespace: string, name: string): Promise<ResourceBinding | undefined>;
  namespaceTerminating(namespace: string): Promise<boolean>;

  // Member caches.
  members(): MemberInfo[];
  /** From now on every member watches its copies of this kind (status, stale copies). */
  watchCopies(key: TemplateKey): void;
  copyOf(member: string, key: TemplateKey): LiveObject | undefined;
  memberView(name: string, key: TemplateKey, nowMs: number, measure?: Measure): MemberView;
  /**
   * The template's replicas now placed per member (none: forget them), so other templates'
   * member views count that room as taken until the member's scheduler has bound the pods or
   * found no node for them (reserved-room.ts). Called right after scheduling, before any await.
   */
  reserve(
    key: TemplateKey,
    targets: readonly { name: string; replicas?: number }[],
    measure?: Measure,
  ): void;

  // Hub writes.
  /** Merge-patches the finalizers, guarded by resourceVersion; a 404 is nothing to do. */
  patchFinalizers(
    obj: { apiVersion: string; kind: string; metadata: TemplateObject['metadata'] },
    finalizers: string[],
  ): Promise<void>;
  /** Server-side applies the binding. */
  applyBinding(body: {
    apiVersion: string;
    kind: string;
    metadata: Record<string, unknown>;
  }): Promise<ResourceBinding>;
  deleteBinding(namespace: string, name: string): Promise<void>;
  patchBindingStatus(
    namespace: string,
    name: string,
    status: Partial<ResourceBindingStatus>,
  ): Promise<void>;
  /** Merge-patches the hub template's status (null values remove fields). */
  patchTemplateStatus(
    key: TemplateKey,
    plural: string,
    status: Record<string, unknown>,
  ): Promise<void>;
  /** Sets (or with undefined removes) the placement annotation on the template. */
  annotatePlacement(template: TemplateObject, text: string | undefined): Promise<void>;
  record(template: TemplateObject, type: EventType, reason: string, message: string): Promise<void>;

  // Member writes.
  /**
   * Server-side applies a copy unless the member has a foreign object of that name, or its
   * object is still what the same apply gave last time (`unchanged`). `watched` stands for a read.
   */
  applyCopy(
    member: string,
    copy: TemplateObject,
    template: TemplateObject,
    unchanged: (existing: LiveObject) => boolean,
    watched?: LiveObject,
  ): Promise<CopyOutcome>;
  /**
   * Deletes our copy (and the binding's ProvisioningRequests) in one member; true when a copy
   * was deleted. Throws when the member is unreachable.
   */
  removeCopy(member: string, key: TemplateKey): Promise<boolean>;
  readRequest(
    member: string,
    namespace: string,
    bindingName: string,
  ): Promise<MemberRequestView | undefined>;
  syncRequest(
    member: string,
    ask: ProvisioningAsk,
    existing: MemberRequestView | undefined,
  ): Promise<RequestAction>;
  syncDependencies(
    binding: ResourceBinding,
    template: TemplateObject,
    targets: readonly string[],
    enabled: boolean,
    log: Logger,
  ): Promise<DependencyReport>;
  /** Withdraws the binding's dependency copies; false while some member still holds one. */
  releaseDependencies(binding: ResourceBinding, log: Logger): Promise<boolean>;
}
