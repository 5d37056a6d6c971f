/**
 * The fleet controller's side of override policies (I/O): a policy change re-enqueues the bound
 * templates the policy selects now and those it selected before the change (so removed rules
 * are taken back from the copies), and each policy's status is written from what the reconciles
 * report (override-status.ts), only when it changes.
 */
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { AnyOverridePolicy, OverrideKind } from '../api/override.js';
import { POLICY_GROUP, POLICY_VERSION } from '../api/policy.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import { affectedTemplates, overridePolicyLabel } from './override-match.js';
import { OverrideTracker, type MemberOverride } from './override-status.js';
import type { TemplateRef } from './policy-match.js';
import { statusPatchChanges } from './status-change.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Reconciles report in bursts; one status pass per half second is enough. */
const STATUS_DEBOUNCE_MS = 500;

export interface OverrideWatchDeps {
  hub: KubeConfig;
  logger: Logger;
  policies: () => AnyOverridePolicy[];
  /** Every bound template (only those have copies to override). */
  templates: () => TemplateRef[];
  enqueue: (t: TemplateRef) => void;
}

export class OverrideWatch {
  private readonly tracker = new OverrideTracker();
  private readonly custom: CustomObjectsApi;
  /** The last spec seen per policy uid, to find what a change or deletion stops selecting. */
  private readonly seen = new Map<string, AnyOverridePolicy>();
  private timer: NodeJS.Timeout | undefined;
  /** Only the leader, which runs the reconciles, knows the outcomes and writes statuses. */
  private active = false;

  constructor(private readonly deps: OverrideWatchDeps) {
    this.custom = deps.hub.makeApiClient(CustomObjectsApi);
  }

  policies(): AnyOverridePolicy[] {
    return this.deps.policies();
  }

  observed(templateKey: string, outcomes: readonly MemberOverride[]): void {
    if (this.tracker.record(templateKey, outcomes)) this.statusChanged();
  }

  onPolicyEvent(
    policy: AnyOverridePolicy,
    kind: OverrideKind,
    event: 'add' | 'update' | 'delete' | 'resync',
  ): void {
    if (event === 'resync') return;
    const p = { ...policy, kind } as AnyOverridePolicy;
    const uid = p.metadata.uid ?? overridePolicyLabel(p);
    const before = this.seen.get(uid);
    // Our own status writes change no generation and select nothing new.
    if (event === 'update' && before?.metadata.generation === p.metadata.generation) return;
    if (event === 'delete') this.seen.delete(uid);
    else this.seen.set(uid, p);
    for (const t of affectedTemplates(this.deps.templates(), p, before)) this.deps.enqueue(t);
    this.statusChanged();
  }

  /** Called when this replica starts reconciling. */
  start(): void {
    this.active = true;
  }

  stop(): void {
    this.active = false;
    clearTimeout(this.timer);
  }

  private statusChanged(): void {
    if (!this.active) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.writeStatuses().catch((err: unknown) =>
        this.deps.logger.warn('override policy status update failed', {
          error: errorMessage(err),
        }),
      );
    }, STATUS_DEBOUNCE_MS);
  }

  private async writeStatuses(): Promise<void> {
    const now = new Date();
    for (const p of this.deps.policies()) {
      if (p.metadata.deletionTimestamp) continue;
      const status = this.tracker.statusOf(
        overridePolicyLabel(p),
        p.status?.conditions,
        p.metadata.generation,
        now,
      );
      if (!statusPatchChanges(p.status, status)) continue;
      const common = {
        group: POLICY_GROUP,
        version: POLICY_VERSION,
        name: p.metadata.name ?? '',
        body: { status },
      };
      const call =
        p.kind === 'OverridePolicy'
          ? this.custom.patchNamespacedCustomObjectStatus(
              { ...common, plural: 'overridepolicies', namespace: p.metadata.namespace ?? '' },
              mergePatch,
            )
          : this.custom.patchClusterCustomObjectStatus(
              { ...common, plural: 'clusteroverridepolicies' },
              mergePatch,
            );
      await call.catch((err: unknown) =>
        this.deps.logger.warn('could not write override policy status', {
          policy: overridePolicyLabel(p),
          error: errorMessage(err),
        }),
      );
    }
  }
}
