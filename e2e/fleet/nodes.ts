/**
 * kwok node objects for a topology's node pools. kwok manages every node that carries the
 * `kwok.x-k8s.io/node: fake` annotation: it keeps them Ready and runs their pods without
 * containers. Shared by fleet start-up and the simulated provisioner.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { NodePool } from './topology.js';

export const POOL_LABEL = 'spillway.dev/local-fleet-pool';
export const ELASTIC_LABEL = 'spillway.dev/local-fleet-elastic';
export const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';

/** The virtual-kubelet taint serverless node pools carry (pods must tolerate it). */
export const VIRTUAL_NODE_TAINT = {
  key: 'virtual-kubelet.io/provider',
  value: 'alibabacloud',
  effect: 'NoSchedule',
} as const;

export function nodeManifest(pool: NodePool, name: string, kubeletVersion: string): V1Node {
  const virtual = pool.virtual !== undefined;
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    type: virtual ? 'virtual-kubelet' : 'kwok',
    [POOL_LABEL]: pool.name,
    ...pool.labels,
  };
  if (pool.elastic) labels[ELASTIC_LABEL] = 'true';
  if (virtual) labels['alibabacloud.com/virtual-node-type'] = pool.virtual ?? '';
  const taints = pool.taints.map((t) => ({ ...t }));
  if (virtual) taints.push({ ...VIRTUAL_NODE_TAINT });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels,
      annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: taints.length > 0 ? { taints } : {},
    status: {
      allocatable: { ...pool.capacity },
      capacity: { ...pool.capacity },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion,
        kubeProxyVersion: '',
        bootID: '',
        containerRuntimeVersion: 'kwok',
        kernelVersion: '',
        machineID: '',
        osImage: 'kwok',
        systemUUID: '',
      },
    },
  };
}

/** Names of a pool's fixed nodes: `<pool>-0`, `<pool>-1`, ... */
export function fixedNodeNames(pool: NodePool): string[] {
  return Array.from({ length: pool.count }, (_, i) => `${pool.name}-${i}`);
}
