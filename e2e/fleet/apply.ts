/** Server-side apply of YAML manifest files, as `kubectl apply --server-side` would. */
import { readFileSync } from 'node:fs';
import {
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export function readManifests(path: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJSON() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object');
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
