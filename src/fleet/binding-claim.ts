/**
 * The first stage of a reconcile (pure): from the template, its binding and the policies, what
 * happens to the template at all: placed by a policy, released, its binding let go, or kept as
 * it is because nobody claims it while the policy that placed it still exists.
 */
import type { ConditionInput } from '../api/conditions.js';
import {
  ResourceBindingConditionReasons as R,
  type ResourceBinding,
  type ResourceBindingSpec,
} from '../api/fleet.js';
import type { AnyPropagationPolicy } from '../api/policy.js';
import type { TemplateObject } from './member-copy.js';
import { choosePolicy, type PolicyChoice } from './policy-match.js';
import type { TemplateKey } from './template-key.js';

export type Claim =
  /** The template is gone or being deleted: copies, binding and finalizer go (the release path). */
  | { kind: 'release'; template?: TemplateObject }
  /**
   * The binding is being deleted under a live template: it is only let go (copies kept, its
   * placement carried over), unless the whole namespace is going; then it is a release.
   */
  | { kind: 'bindingDeleted'; template: TemplateObject; binding: ResourceBinding }
  /**
   * No policy selects the template, but the one that placed it exists: copies stay as they are.
   * `announce` is the condition and Event to give, once (absent when already given).
   */
  | {
      kind: 'unclaimed';
      template: TemplateObject;
      binding: ResourceBinding;
      announce?: { condition: ConditionInput; message: string };
    }
  /** No policy selects the template and the one that placed it is gone: released, status cleared. */
  | { kind: 'releaseUnclaimed'; template: TemplateObject }
  | { kind: 'claim'; template: TemplateObject; choice: PolicyChoice };

function policyExists(
  ref: ResourceBindingSpec['policy'],
  policies: readonly AnyPropagationPolicy[],
): boolean {
  return policies.some(
    (p) =>
      p.kind === ref.kind &&
      p.metadata.name === ref.name &&
      (p.metadata.namespace ?? '') === (ref.namespace ?? ''),
  );
}

/**
 * A one-label edit must never be an outage: an unclaimed template keeps its copies, as in
 * Karmada, until a policy selects it again, the placing policy is deleted, or it is.
 */
function unclaimedAnnouncement(
  binding: ResourceBinding,
): { condition: ConditionInput; message: string } | undefined {
  const ref = binding.spec.policy;
  const current = binding.status?.conditions?.find((c) => c.type === 'Scheduled');
  if (current?.reason === R.Scheduled.Unclaimed) return undefined;
  const message = `no policy selects this template any more; its copies stay as they are until a policy selects it again, ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} is deleted, or the template is deleted`;
  return {
    message,
    condition: {
      type: 'Scheduled',
      status: 'False',
      reason: R.Scheduled.Unclaimed,
      message,
      ...(binding.metadata.generation !== undefined
        ? { observedGeneration: binding.metadata.generation }
        : {}),
    },
  };
}

export function decideClaim(
  key: TemplateKey,
  template: TemplateObject | undefined,
  binding: ResourceBinding | undefined,
  policies: readonly AnyPropagationPolicy[],
): Claim {
  if (!template) return { kind: 'release' };
  if (template.metadata.deletionTimestamp !== undefined) return { kind: 'release', template };
  if (binding?.metadata.deletionTimestamp) return { kind: 'bindingDeleted', template, binding };
  const choice = choosePolicy(
    {
      apiVersion: key.apiVersion,
      kind: key.kind,
      namespace: key.namespace,
      name: key.name,
      labels: template.metadata.labels ?? {},
    },
    policies,
  );
  if (choice) return { kind: 'claim', template, choice };
  if (binding && policyExists(binding.spec.policy, policies)) {
    const announce = unclaimedAnnouncement(binding);
    return { kind: 'unclaimed', template, binding, ...(announce ? { announce } : {}) };
  }
  return { kind: 'releaseUnclaimed', template };
}

/** The finalizer list with `finalizer` present or not; undefined when it already is so. */
export function finalizersAfter(
  finalizers: readonly string[] | undefined,
  finalizer: string,
  present: boolean,
): string[] | undefined {
  const list = finalizers ?? [];
  if (list.includes(finalizer) === present) return undefined;
  return present ? [...list, finalizer] : list.filter((f) => f !== finalizer);
}
