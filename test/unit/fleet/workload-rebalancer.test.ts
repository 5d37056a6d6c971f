import { describe, expect, it } from '@jest/globals';
import type { WorkloadRebalancer, WorkloadReference } from '../../../src/api/fleet.js';
import { manualAfter, manualRequest } from '../../../src/fleet/rebalance-binding.js';
import type { RebalanceDecision } from '../../../src/fleet/rebalance.js';
import { planRebalancer, type BindingRequestView } from '../../../src/fleet/workload-rebalancer.js';

const web: WorkloadReference = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
};
const api: WorkloadReference = { ...web, name: 'api' };
const NOW = Date.parse('2026-01-01T00:00:00Z');
const REQUEST = 'now/u1';

function rebalancer(over: Partial<WorkloadRebalancer> = {}): WorkloadRebalancer {
  return {
    apiVersion: 'fleet.spillway.dev/v1alpha1',
    kind: 'WorkloadRebalancer',
    metadata: { name: 'now', uid: 'u1', generation: 1 },
    spec: { workloads: [web] },
    ...over,
  };
}

const bindings =
  (m: Record<string, BindingRequestView>) =>
  (w: WorkloadReference): BindingRequestView | undefined =>
    m[w.name];

describe('planRebalancer', () => {
  it('asks each named binding once and reports it Running', () => {
    const plan = planRebalancer(rebalancer(), bindings({ web: {} }), NOW);
    expect(plan.request).toBe(REQUEST);
    expect(plan.ask).toEqual([web]);
    expect(plan.status.observedWorkloads?.[0]?.result).toBe('Running');
    expect(plan.status.finishTime).toBeUndefined();
    // Asked already: not asked again.
    const again = planRebalancer(rebalancer(), bindings({ web: { annotation: REQUEST } }), NOW);
    expect(again.ask).toEqual([]);
  });

  it('fails a workload without a binding, as Karmada does (ReferencedBindingNotFound)', () => {
    const plan = planRebalancer(
      rebalancer({ spec: { workloads: [web, api] } }),
      bindings({ web: {} }),
      NOW,
    );
    expect(
      plan.status.observedWorkloads?.map((o) => [o.workload.name, o.result, o.reason]),
    ).toEqual([
      ['web', 'Running', undefined],
      ['api', 'Failed', 'ReferencedBindingNotFound'],
    ]);
  });

  it('reports what the binding served, and finishes when every workload has a result', () => {
    const ok = planRebalancer(
      rebalancer(),
      bindings({ web: { annotation: REQUEST, manual: { request: REQUEST, phase: 'Succeeded' } } }),
      NOW,
    );
    expect(ok.status.observedWorkloads?.[0]?.result).toBe('Successful');
    expect(ok.status.finishTime).toBe('2026-01-01T00:00:00Z');
    const aborted = planRebalancer(
      rebalancer(),
      bindings({
        web: {
          annotation: REQUEST,
          manual: { request: REQUEST, phase: 'Failed', message: 'member idc is not Ready' },
        },
      }),
      NOW,
    );
    expect(aborted.status.observedWorkloads?.[0]).toMatchObject({
      result: 'Failed',
      reason: 'MoveAborted',
      message: 'member idc is not Ready',
    });
  });

  it('keeps a final result even when the binding moves on to another request', () => {
    const done = rebalancer({
      status: {
        observedWorkloads: [{ workload: web, result: 'Successful' }],
        finishTime: '2026-01-01T00:00:00Z',
      },
    });
    const plan = planRebalancer(done, bindings({ web: { annotation: 'later/u2' } }), NOW + 1000);
    expect(plan.ask).toEqual([]);
    expect(plan.status.observedWorkloads?.[0]?.result).toBe('Successful');
  });

  it('reports Superseded when a newer request replaced its own before it finished', () => {
    const running = rebalancer({
      status: { observedWorkloads: [{ workload: web, result: 'Running' }] },
    });
    const plan = planRebalancer(running, bindings({ web: { annotation: 'later/u2' } }), NOW);
    expect(plan.ask).toEqual([]);
    expect(plan.status.observedWorkloads?.[0]?.reason).toBe('Superseded');
  });

  it('deletes itself ttlSecondsAfterFinished after finishing', () => {
    const done = rebalancer({
      spec: { workloads: [web], ttlSecondsAfterFinished: 60 },
      status: {
        observedWorkloads: [{ workload: web, result: 'Successful' }],
        finishTime: '2026-01-01T00:00:00Z',
      },
    });
    const early = planRebalancer(done, bindings({}), NOW + 10_000);
    expect(early.remove).toBe(false);
    expect(early.requeueMs).toBe(50_000);
    expect(planRebalancer(done, bindings({}), NOW + 60_000).remove).toBe(true);
  });
});

describe('the manual request in the binding', () => {
  const decision = (step: RebalanceDecision['step']): RebalanceDecision => ({
    step,
    counts: new Map(),
    message: step,
  });

  it('serves a new annotation value once, and goes on with one still Running', () => {
    expect(manualRequest(REQUEST, undefined)).toEqual({
      manual: { request: REQUEST, phase: 'Running' },
      serving: REQUEST,
    });
    const running = { request: REQUEST, phase: 'Running' as const };
    expect(manualRequest(REQUEST, running).serving).toBe(REQUEST);
    const served = { request: REQUEST, phase: 'Succeeded' as const };
    expect(manualRequest(REQUEST, served)).toEqual({ manual: served });
  });

  it('succeeds once balanced, fails on an abort, and stays Running during a move', () => {
    const running = { request: REQUEST, phase: 'Running' as const };
    expect(manualAfter(running, decision('balanced'))?.phase).toBe('Succeeded');
    expect(manualAfter(running, decision('aborted'))?.phase).toBe('Failed');
    expect(manualAfter(running, decision('moving'))?.phase).toBe('Running');
    expect(manualAfter(running, decision('completed'))?.phase).toBe('Running');
  });
});
