import { describe, expect, it } from '@jest/globals';
import { effectiveRequests, readResourceList } from '../../../src/estimator/requests.js';
import type { PodSpecInput } from '../../../src/estimator/types.js';
import { c } from './fixtures.js';

const milli = (spec: PodSpecInput) => Object.fromEntries(effectiveRequests(spec));

describe('effectiveRequests', () => {
  it('sums app containers', () => {
    const spec = { containers: [c({ cpu: '500m', memory: '1Gi' }), c({ cpu: '250m' })] };
    expect(milli(spec)).toEqual({ cpu: 750n, memory: 1073741824000n });
  });

  it('takes the larger of the app sum and the largest init container, per resource', () => {
    const spec = {
      containers: [c({ cpu: '500m', memory: '1Gi' }), c({ cpu: '500m' })],
      initContainers: [c({ cpu: '2', memory: '100Mi' }), c({ cpu: '100m', memory: '2Gi' })],
    };
    // cpu: max(1000, 2000) from the first init; memory: max(1Gi, 2Gi) from the second.
    expect(milli(spec)).toEqual({ cpu: 2000n, memory: 2n * 1073741824000n });
  });

  it('adds a sidecar (init restartPolicy Always) to the sum and to later init containers', () => {
    const spec = {
      containers: [c({ cpu: '1' })],
      initContainers: [
        c({ cpu: '1500m' }), // before the sidecar: alone, 1500
        c({ cpu: '200m' }, 'Always'), // sidecar: runs alongside everything after it
        c({ cpu: '1900m' }), // after the sidecar: 1900 + 200 = 2100
      ],
    };
    // app + sidecar = 1200; init peak = 2100.
    expect(milli(spec)).toEqual({ cpu: 2100n });
    const small = { ...spec, initContainers: spec.initContainers.slice(0, 2) };
    expect(milli(small)).toEqual({ cpu: 1500n }); // max(1000 + 200, 1500)
    const sidecarOnly = {
      containers: [c({ cpu: '1' })],
      initContainers: [c({ cpu: '1' }, 'Always')],
    };
    expect(milli(sidecarOnly)).toEqual({ cpu: 2000n });
  });

  it('adds overhead on top of everything', () => {
    const spec = {
      containers: [c({ cpu: '1' })],
      initContainers: [c({ cpu: '3' })],
      overhead: { cpu: '250m', memory: '120Mi' },
    };
    expect(milli(spec)).toEqual({ cpu: 3250n, memory: 120n * 1048576000n });
  });

  it('lets pod-level cpu and memory requests replace the container aggregate', () => {
    const spec = {
      containers: [c({ cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' })],
      resources: { requests: { cpu: '3', 'nvidia.com/gpu': '4' } },
      overhead: { cpu: '100m' },
    };
    // gpu is not a pod-level resource upstream, so the container's 1 stands.
    expect(milli(spec)).toEqual({ cpu: 3100n, memory: 1073741824000n, 'nvidia.com/gpu': 1000n });
  });

  it('keeps extended resources and drops pods and zero requests', () => {
    const spec = {
      containers: [c({ 'nvidia.com/gpu': '2', pods: '3', cpu: '0', memory: '1' })],
    };
    expect(milli(spec)).toEqual({ 'nvidia.com/gpu': 2000n, memory: 1000n });
  });

  it('is empty for a pod without requests or spec', () => {
    expect(milli({ containers: [{}] })).toEqual({});
    expect(effectiveRequests(undefined).size).toBe(0);
  });
});

describe('readResourceList', () => {
  it('skips quantities that do not parse or are negative, keeping the rest', () => {
    const list = readResourceList({ cpu: 'lots', memory: '-1Gi', pods: '110', x: undefined });
    expect(Object.fromEntries(list)).toEqual({ pods: 110000n });
  });
});
