/**
 * The sync stage's decisions (pure): for each member, the copy to apply (the template, this
 * member's share, the override rules for that member, the provisioning annotations), or why
 * nothing is written there; the stale copies to remove; and the ProvisioningRequest to ask of
 * each member for replicas that wait for nodes. `member-sync.ts` carries them out.
 */
import { DEFAULT_PROVISIONING_CLASS, bindingName, type TargetCluster } from '../api/fleet.js';
import type { AnyOverridePolicy } from '../api/override.js';
import type { ScheduleResult } from '../scheduler/index.js';
import { podTemplateOf, shareFields } from './kinds.js';
import { memberCopy, type TemplateObject } from './member-copy.js';
import { overrideCopy, failureText as overrideFailureText } from './override-copy.js';
import { overrideSteps } from './override-match.js';
import type { MemberOverride } from './override-status.js';
import type { MemberInfo } from './placement.js';
import { consumeAnnotations, type ProvisioningAsk } from './provisioning.js';
import type { MemberRequestView, MemberView } from './reconcile-port.js';
import type { Workload } from './schedule-plan.js';
import type { TemplateKey } from './template-key.js';

export type MemberAction =
  /** Apply this copy (`waiting`: replicas of this member's share that wait for capacity). */
  | { type: 'apply'; cluster: string; copy: TemplateObject; waiting: number }
  /** Nothing can be written: the member does not answer. */
  | { type: 'unreachable'; cluster: string; waiting: number }
  /** An override rule failed: the copy there is left as it was (a half-overridden one is worse). */
  | { type: 'leave'; cluster: string; waiting: number; message: string }
  /** The copy could not even be rendered. */
  | { type: 'fail'; cluster: string; message: string }
  /** A copy where the result puts none: removed. */
  | { type: 'remove'; cluster: string };

export interface MemberPlanInput {
  key: TemplateKey;
  template: TemplateObject;
  workload: Workload;
  result: ScheduleResult;
  targets: readonly TargetCluster[];
  views: ReadonlyMap<string, MemberView>;
  /** Registered members (name and labels), what override rules select on. */
  members: readonly MemberInfo[];
  overridePolicies: readonly AnyOverridePolicy[];
  /** Members holding a copy now (schedule-plan.ts clustersWithCopies). */
  withCopies: readonly string[];
}

export interface MemberPlan {
  /** One per target, in target order, then the removals. */
  actions: MemberAction[];
  /** What the override rules did to each reachable target's copy, by cluster name. */
  overrides: MemberOverride[];
}

/** Adds annotations to the pod template of a copy (kinds without one are left alone). */
function addPodAnnotations(copy: TemplateObject, annotations: Record<string, string>): void {
  const tpl = copy.spec?.template as
    { metadata?: { annotations?: Record<string, string> } } | undefined;
  if (!tpl) return;
  tpl.metadata = { ...tpl.metadata, annotations: { ...tpl.metadata?.annotations, ...annotations } };
}

export function planMembers(i: MemberPlanInput): MemberPlan {
  const { key, template, workload: w } = i;
  const bName = bindingName(key.name, key.kind);
  // Duplicated copies are whole: only a Divided template splits fields such as completions.
  const shares =
    w.placement.scheduling.type === 'Divided'
      ? shareFields(
          template,
          i.targets.map((t) => ({ cluster: t.name, replicas: t.replicas ?? 0 })),
        )
      : new Map<string, Record<string, unknown>>();
  const templateRef = {
    apiVersion: key.apiVersion,
    kind: key.kind,
    namespace: key.namespace,
    name: key.name,
    labels: template.metadata.labels ?? {},
  };
  const overrides: MemberOverride[] = [];
  const actions = i.targets.map((t): MemberAction => {
    const view = i.views.get(t.name);
    const waiting = i.result.clusters.find((c) => c.cluster === t.name)?.waiting ?? 0;
    if (!view?.connected || !view.reachable)
      return { type: 'unreachable', cluster: t.name, waiting };
    try {
      // Overrides change this member's copy only; the template itself is never touched.
      const rendered = overrideCopy(
        memberCopy(
          template,
          `${key.namespace}/${bName}`,
          w.withReplicas ? (t.replicas ?? 0) : undefined,
          shares.get(t.name),
        ),
        overrideSteps(
          templateRef,
          i.members.find((m) => m.name === t.name) ?? { name: t.name, labels: {} },
          i.overridePolicies,
        ),
      );
      overrides.push({
        cluster: t.name,
        applied: rendered.applied,
        ...(rendered.failure ? { failure: rendered.failure } : {}),
      });
      if (!rendered.copy)
        return {
          type: 'leave',
          cluster: t.name,
          waiting,
          message: `override failed, copy left as it was: ${overrideFailureText(rendered.failure)}`,
        };
      const copy = rendered.copy;
      if (w.ecsProvision && view.canProvision && view.provisioningSupported)
        addPodAnnotations(copy, consumeAnnotations(bName, view.provisioningClass));
      return { type: 'apply', cluster: t.name, copy, waiting };
    } catch (err) {
      return {
        type: 'fail',
        cluster: t.name,
        message: err instanceof Error ? err.message : String(err),
      };
    }
  });
  const keep = new Set(i.targets.map((t) => t.name));
  for (const name of i.withCopies)
    if (!keep.has(name)) actions.push({ type: 'remove', cluster: name });
  overrides.sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  return { actions, overrides };
}

export interface ProvisioningStep {
  cluster: string;
  ask: ProvisioningAsk;
  /** The request was read this reconcile (requests); otherwise it is read before the sync. */
  known: boolean;
}

/**
 * Each member's ProvisioningRequest for this binding, brought to the replicas waiting there:
 * only members that serve the API, and only where something is or was asked.
 */
export function provisioningSteps(
  key: TemplateKey,
  template: TemplateObject,
  ecsProvision: boolean,
  result: ScheduleResult,
  views: ReadonlyMap<string, MemberView>,
  requests: ReadonlyMap<string, MemberRequestView | undefined>,
): ProvisioningStep[] {
  const pod = podTemplateOf(template);
  const bName = bindingName(key.name, key.kind);
  const steps: ProvisioningStep[] = [];
  for (const entry of result.clusters) {
    const v = views.get(entry.cluster);
    if (!v?.connected || !v.reachable || !v.provisioningSupported) continue;
    const signal = result.provision.find((p) => p.cluster === entry.cluster);
    const count = ecsProvision && pod?.spec ? (signal?.replicas ?? 0) : 0;
    // Nothing asked before and nothing to ask now: no request can exist.
    if (count === 0 && !requests.has(entry.cluster)) continue;
    steps.push({
      cluster: entry.cluster,
      known: requests.has(entry.cluster),
      ask: {
        namespace: key.namespace,
        bindingName: bName,
        podSpec: pod?.spec ?? {},
        podLabels: pod?.metadata?.labels ?? {},
        count,
        className: v.provisioningClass || DEFAULT_PROVISIONING_CLASS,
      },
    });
  }
  return steps;
}
