/**
 * Taints and tolerations as kube-scheduler's TaintToleration filter sees them: every NoSchedule
 * and NoExecute taint must be tolerated; PreferNoSchedule only affects scoring, so it is
 * ignored. A NoExecute toleration with tolerationSeconds still tolerates for scheduling.
 */
import type { TaintInput, TolerationInput } from './types.js';

/** Taint effects that keep a pod off a node. */
export function isBlockingEffect(effect: string): boolean {
  return effect === 'NoSchedule' || effect === 'NoExecute';
}

/** v1.Toleration.ToleratesTaint: an empty key with Exists tolerates every taint. */
export function toleratesTaint(t: TolerationInput, taint: TaintInput): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false; // an operator we do not know tolerates nothing
  }
}

/** The first blocking taint no toleration tolerates, or undefined when the pod may go there. */
export function untoleratedTaint(
  taints: readonly TaintInput[],
  tolerations: readonly TolerationInput[] | undefined,
): TaintInput | undefined {
  for (const taint of taints) {
    if (!isBlockingEffect(taint.effect)) continue;
    if (!tolerations?.some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

/** The taint kube-scheduler's NodeUnschedulable filter checks a cordoned node against. */
export const UNSCHEDULABLE_TAINT: TaintInput = {
  key: 'node.kubernetes.io/unschedulable',
  effect: 'NoSchedule',
};

export function formatTaint(t: TaintInput): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}
