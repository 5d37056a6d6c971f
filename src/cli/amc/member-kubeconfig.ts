/**
 * A member cluster's kubeconfig as the fleet controller uses it: the Secret its MemberCluster
 * names on the hub. Shared by the plugin's commands that read members directly.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_KUBECONFIG_KEY, type MemberCluster } from '../../api/fleet.js';

export async function memberKubeConfig(hubCore: CoreV1Api, mc: MemberCluster): Promise<KubeConfig> {
  const ref = mc.spec.kubeconfigSecretRef;
  const secret = await hubCore.readNamespacedSecret({ name: ref.name, namespace: ref.namespace });
  const kc = new KubeConfig();
  kc.loadFromString(
    Buffer.from(secret.data?.[ref.key ?? DEFAULT_KUBECONFIG_KEY] ?? '', 'base64').toString('utf8'),
  );
  return kc;
}
