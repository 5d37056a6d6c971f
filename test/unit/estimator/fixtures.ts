/** Small builders for node, pod and template objects shaped like the informer's. */
import type {
  ContainerInput,
  NodeInput,
  PodInput,
  PodSpecInput,
  PodTemplateInput,
  TaintInput,
} from '../../../src/estimator/types.js';

export interface NodeOptions {
  labels?: Record<string, string>;
  allocatable?: Record<string, string>;
  taints?: TaintInput[];
  ready?: boolean;
  unschedulable?: boolean;
}

export const DEFAULT_ALLOCATABLE = { cpu: '4', memory: '16Gi', pods: '110' };

export function node(name: string, o: NodeOptions = {}): NodeInput {
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: { unschedulable: o.unschedulable ?? false, taints: o.taints ?? [] },
    status: {
      allocatable: o.allocatable ?? DEFAULT_ALLOCATABLE,
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: o.ready === false ? 'False' : 'True' },
      ],
    },
  };
}

/** A container requesting `requests`. */
export function c(requests: Record<string, string> = {}, restartPolicy?: string): ContainerInput {
  return { resources: { requests }, ...(restartPolicy ? { restartPolicy } : {}) };
}

export interface PodOptions {
  node?: string;
  phase?: string;
  terminating?: boolean;
  spec?: Partial<PodSpecInput>;
}

export function pod(uid: string, requests: Record<string, string>, o: PodOptions = {}): PodInput {
  return {
    metadata: {
      uid,
      namespace: 'default',
      name: `pod-${uid}`,
      ...(o.terminating ? { deletionTimestamp: new Date(0) } : {}),
    },
    spec: { containers: [c(requests)], ...(o.node ? { nodeName: o.node } : {}), ...o.spec },
    status: { phase: o.phase ?? 'Running' },
  };
}

export function template(
  requests: Record<string, string>,
  spec: Partial<PodSpecInput> = {},
): PodTemplateInput {
  return { spec: { containers: [c(requests)], ...spec } };
}
