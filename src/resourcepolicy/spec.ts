/**
 * A ResourcePolicy read into the form decisions use: defaults applied (for objects that did not
 * pass through the API server's defaulting), durations and quantities parsed. What the schema
 * cannot catch comes back as errors (the policy is not acted on) or warnings (it is).
 */
import {
  RESERVED_SELECTOR_LABELS,
  RESOURCE_POLICY_DEFAULTS,
  WAIT_FOR_SCALING_LABEL,
  type PreemptPolicy,
  type ResourcePolicy,
  type ResourcePolicyUnit,
  type TryNextPolicy,
  type UnitResource,
} from '../api/resourcepolicy.js';
import { parseMilli } from '../util/quantity.js';
import { parseDurationMs } from './duration.js';
import { timeMs } from './types.js';

export interface Unit {
  readonly index: number;
  readonly resource: UnitResource;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly max?: number;
  /** Exact milli-units per resource. */
  readonly maxResources?: ReadonlyMap<string, bigint>;
  /** Without the wait-for-scaling label, which is never put on pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** Pods may wait here for nodes to be added (the label, or the deprecated elastic kind). */
  readonly waitForScaling: boolean;
  readonly virtual: boolean;
}

export interface Policy {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly createdMs: number;
  readonly selector: Readonly<Record<string, string>>;
  readonly units: readonly Unit[];
  readonly preemptPolicy: PreemptPolicy;
  readonly ignorePreviousPod: boolean;
  readonly ignoreTerminatingPod: boolean;
  readonly matchLabelKeys: readonly string[];
  readonly tryNext: TryNextPolicy;
  readonly timeoutMs: number;
}

export interface ReadPolicyResult {
  readonly policy?: Policy;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

function readUnit(u: ResourcePolicyUnit, index: number, errors: string[]): Unit {
  const waitLabel = u.podLabels?.[WAIT_FOR_SCALING_LABEL] === 'true';
  const podLabels = Object.fromEntries(
    Object.entries(u.podLabels ?? {}).filter(([k]) => k !== WAIT_FOR_SCALING_LABEL),
  );
  let maxResources: Map<string, bigint> | undefined;
  if (u.maxResources) {
    maxResources = new Map();
    for (const [name, q] of Object.entries(u.maxResources)) {
      try {
        const milli = parseMilli(q);
        // The schema rejects this too; a policy stored before that rule still must not act.
        if (milli < 0n)
          errors.push(`units[${index}].maxResources.${name}: must not be negative (${String(q)})`);
        else maxResources.set(name, milli);
      } catch {
        errors.push(`units[${index}].maxResources.${name}: invalid quantity ${String(q)}`);
      }
    }
  }
  return {
    index,
    resource: u.resource,
    nodeSelector: { ...(u.nodeSelector ?? {}) },
    ...(u.max !== undefined ? { max: u.max } : {}),
    ...(maxResources ? { maxResources } : {}),
    podLabels,
    podAnnotations: { ...(u.podAnnotations ?? {}) },
    waitForScaling: waitLabel || u.resource === 'elastic',
    virtual: u.resource === 'eci' || u.resource === 'acs',
  };
}

export function readPolicy(rp: ResourcePolicy): ReadPolicyResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const spec = rp.spec;
  const units = (spec.units ?? []).map((u, i) => readUnit(u, i, errors));
  if (units.length === 0) errors.push('units must list at least one unit');
  if ((spec.strategy ?? 'prefer') !== 'prefer')
    errors.push(`strategy ${String(spec.strategy)} is not supported: the only strategy is prefer`);
  for (const key of RESERVED_SELECTOR_LABELS) {
    if (spec.selector && key in spec.selector)
      errors.push(`selector must not use the system-reserved label ${key}`);
  }
  let timeoutMs = 15 * 60_000;
  const timeout = spec.whenTryNextUnits?.timeout ?? RESOURCE_POLICY_DEFAULTS.timeout;
  try {
    timeoutMs = parseDurationMs(timeout);
  } catch (err) {
    errors.push(`whenTryNextUnits.timeout: ${(err as Error).message}`);
  }
  const limited = units.some((u) => u.max !== undefined || u.maxResources !== undefined);
  const ignoreTerminatingPod =
    spec.ignoreTerminatingPod ?? RESOURCE_POLICY_DEFAULTS.ignoreTerminatingPod;
  const ignorePreviousPod = spec.ignorePreviousPod ?? RESOURCE_POLICY_DEFAULTS.ignorePreviousPod;
  const matchLabelKeys = spec.matchLabelKeys ?? [];
  if (!limited) {
    if (matchLabelKeys.length > 0) errors.push('matchLabelKeys must be used with max');
    if (ignorePreviousPod) errors.push('ignorePreviousPod must be used with max');
  }
  for (const u of units) {
    if (u.resource === 'elastic')
      warnings.push(
        `units[${u.index}]: resource elastic is deprecated; use resource ecs with podLabels ` +
          `${WAIT_FOR_SCALING_LABEL}: "true"`,
      );
    if (u.waitForScaling && u.max !== undefined)
      warnings.push(
        `units[${u.index}]: an auto-scaling unit with max may make the autoscaler add nodes ` +
          'beyond max; leave max unset on it',
      );
  }
  if (errors.length > 0) return { errors, warnings };
  const meta = rp.metadata;
  return {
    policy: {
      namespace: meta.namespace ?? 'default',
      name: meta.name ?? '',
      uid: meta.uid ?? '',
      generation: meta.generation ?? 0,
      createdMs: timeMs(meta.creationTimestamp),
      selector: { ...(spec.selector ?? {}) },
      units,
      preemptPolicy: spec.preemptPolicy ?? RESOURCE_POLICY_DEFAULTS.preemptPolicy,
      ignorePreviousPod,
      ignoreTerminatingPod,
      matchLabelKeys,
      tryNext: spec.whenTryNextUnits?.policy ?? RESOURCE_POLICY_DEFAULTS.whenTryNextUnitsPolicy,
      timeoutMs,
    },
    errors,
    warnings,
  };
}
