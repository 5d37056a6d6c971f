/**
 * What the override rules did, as conditions (pure): the binding's `OverridesApplied` from one
 * reconcile's outcomes, and each override policy's status from the outcomes of every template
 * (kept in memory per template; a restarted controller reconciles every template once, which
 * fills it again).
 */
import { setStatusConditions, type ConditionInput } from '../api/conditions.js';
import {
  ResourceBindingConditionReasons as R,
  ResourceBindingConditionTypes,
} from '../api/fleet.js';
import type { Condition } from '../api/meta.js';
import { OverrideConditionReasons as O, type OverridePolicyStatus } from '../api/override.js';
import { failureText, type OverrideFailure } from './override-copy.js';
import { parseTemplateKey } from './template-key.js';

export const OVERRIDES_CONDITION = ResourceBindingConditionTypes.OverridesApplied;

/** The override result for one member copy. */
export interface MemberOverride {
  cluster: string;
  /** Policies whose rules were applied, in order. */
  applied: readonly string[];
  failure?: OverrideFailure;
}

const MAX_LISTED = 5;

function listed(items: readonly string[]): string {
  const more = items.length - MAX_LISTED;
  return items.slice(0, MAX_LISTED).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/** The binding's condition; undefined when no override policy applies to any copy. */
export function overridesCondition(
  outcomes: readonly MemberOverride[],
): Omit<ConditionInput, 'type'> | undefined {
  if (outcomes.every((o) => o.applied.length === 0 && !o.failure)) return undefined;
  const failed = outcomes.filter((o) => o.failure);
  if (failed.length > 0)
    return {
      status: 'False',
      reason: R.OverridesApplied.OverrideFailed,
      message: `${listed(
        failed.map((o) => `${o.cluster}: ${failureText(o.failure as OverrideFailure)}`),
      )}; the copy there is left as it was until the policy is fixed`,
    };
  return {
    status: 'True',
    reason: R.OverridesApplied.Applied,
    message: outcomes
      .filter((o) => o.applied.length > 0)
      .map((o) => `${o.cluster}: ${o.applied.join(', ')}`)
      .join('; '),
  };
}

export class OverrideTracker {
  /** template key -> the outcome per member copy of its last reconcile. */
  private readonly byTemplate = new Map<string, readonly MemberOverride[]>();

  /** Records a template's outcomes; true when they differ from the last ones. */
  record(templateKey: string, outcomes: readonly MemberOverride[]): boolean {
    const before = JSON.stringify(this.byTemplate.get(templateKey) ?? []);
    if (outcomes.length === 0) this.byTemplate.delete(templateKey);
    else this.byTemplate.set(templateKey, outcomes);
    return before !== JSON.stringify(outcomes);
  }

  forget(templateKey: string): boolean {
    return this.byTemplate.delete(templateKey);
  }

  /** The status of the policy `label` names (override-match.ts overridePolicyLabel). */
  statusOf(
    label: string,
    previous: readonly Condition[] | undefined,
    generation: number | undefined,
    now: Date,
  ): OverridePolicyStatus {
    let copies = 0;
    const failures: string[] = [];
    for (const [key, outcomes] of [...this.byTemplate].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const k = parseTemplateKey(key);
      const template = `${k.kind} ${k.namespace ? `${k.namespace}/` : ''}${k.name}`;
      for (const o of outcomes) {
        if (o.applied.includes(label)) copies++;
        if (o.failure?.policy === label)
          failures.push(
            `${template} in ${o.cluster}: overrideRules[${o.failure.rule}]: ${o.failure.message}`,
          );
      }
    }
    const gen = generation !== undefined ? { observedGeneration: generation } : {};
    const applied: ConditionInput =
      failures.length > 0
        ? {
            type: 'Applied',
            status: 'False',
            reason: O.Applied.OverrideFailed,
            message: `${listed(failures)}; those copies are left as they were`,
          }
        : {
            type: 'Applied',
            status: 'True',
            reason: O.Applied.Applied,
            message: `applied to ${copies} member cop${copies === 1 ? 'y' : 'ies'}`,
          };
    return {
      ...gen,
      appliedCopies: copies,
      conditions: setStatusConditions(previous, [{ ...applied, ...gen }], now),
    };
  }
}
