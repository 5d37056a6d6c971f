/**
 * The namespace label that makes pod creation in a namespace with ResourcePolicies depend on
 * the webhook (see webhook-config.ts). The decision is pure; the leader applies it.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type V1Namespace,
} from '@kubernetes/client-node';
import { NAMESPACE_LABEL, NAMESPACE_LABEL_VALUE } from './constants.js';

/** The merge patch that brings the label in line with whether the namespace has policies. */
export function namespaceLabelPatch(
  labels: Readonly<Record<string, string>> | undefined,
  hasPolicies: boolean,
): { metadata: { labels: Record<string, string | null> } } | undefined {
  const current = labels?.[NAMESPACE_LABEL];
  if (hasPolicies && current !== NAMESPACE_LABEL_VALUE)
    return { metadata: { labels: { [NAMESPACE_LABEL]: NAMESPACE_LABEL_VALUE } } };
  if (!hasPolicies && current !== undefined)
    return { metadata: { labels: { [NAMESPACE_LABEL]: null } } };
  return undefined;
}

/** Whether the namespace's label already agrees with its policies. */
export function namespaceLabelInLine(ns: V1Namespace, hasPolicies: boolean): boolean {
  return namespaceLabelPatch(ns.metadata?.labels, hasPolicies) === undefined;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Patches the label when it disagrees; a namespace that is gone needs nothing. Returns whether
 * it wrote.
 */
export async function syncNamespaceLabel(
  core: CoreV1Api,
  ns: V1Namespace | undefined,
  hasPolicies: boolean,
): Promise<boolean> {
  const name = ns?.metadata?.name;
  if (!ns || !name) return false;
  const body = namespaceLabelPatch(ns.metadata?.labels, hasPolicies);
  if (!body) return false;
  try {
    await core.patchNamespace({ name, body }, mergePatch);
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}
