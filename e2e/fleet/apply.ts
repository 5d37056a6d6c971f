/** Server-side apply of YAML manifest files, as `kubectl apply --server-side` would. */
import { readFileSync } from 'node:fs';
import {
  KubernetesObjectApi,
  PatchStrategy,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';

/**
 * Manifests as client-node's typed model: its serializer maps model field names back to wire
 * names, and a plain parsed object would lose every key the model names differently (a CRD's
 * enum, default and x-kubernetes-* schema keys).
 */
export function readManifests(path: string): KubernetesObject[] {
  return (loadAllYaml(readFileSync(path, 'utf8')) as (KubernetesObject | null)[]).filter(
    (o): o is KubernetesObject => o !== null && typeof o === 'object',
  );
}

export async function applyObjects(
  kc: KubeConfig,
  objects: KubernetesObject[],
  fieldManager = 'spillway-local-fleet',
): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    await api.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
  }
}

export async function applyManifestFile(kc: KubeConfig, path: string): Promise<void> {
  await applyObjects(kc, readManifests(path));
}
