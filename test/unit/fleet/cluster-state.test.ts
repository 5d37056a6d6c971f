import { describe, expect, it } from '@jest/globals';
import { clusterState, type ClusterFacts } from '../../../src/fleet/cluster-state.js';

const facts: ClusterFacts = {
  name: 'ack',
  cur: 3,
  registered: true,
  ready: true,
  notReadySeconds: 0,
  canProvision: false,
  ecsProvision: false,
  replicas: 5,
  hasPods: true,
  spilloverMs: 60_000,
  requestFailed: false,
};
const capacity = {
  maxReplicas: 4,
  pending: { pending: 1, unschedulable: 1, unschedulableFor: 1 },
  podless: 1,
};

describe('clusterState: what the scheduler is told about a member', () => {
  it('room is the estimate less our own pods not placed yet; stuck counts old unschedulable and podless replicas', () => {
    expect(clusterState({ ...facts, capacity })).toMatchObject({ avail: 3, stuck: 2 });
  });
  it('without an estimate a kind with pods has no room, a kind without pods always fits', () => {
    expect(clusterState(facts)).toMatchObject({ avail: 0, stuck: 0 });
    expect(clusterState({ ...facts, hasPods: false })).toMatchObject({ avail: 5 });
  });
  it('no spill-over timeout: nothing is stuck', () => {
    expect(clusterState({ ...facts, capacity, spilloverMs: 0 }).stuck).toBe(0);
  });
  it('a provisioning cluster keeps its waiting replicas until its request is refused', () => {
    const provisioning = { ...facts, capacity, canProvision: true, ecsProvision: true };
    expect(clusterState(provisioning).stuck).toBe(0);
    expect(clusterState({ ...provisioning, requestFailed: true }).stuck).toBe(2);
  });
  it('an unregistered member has failed; ready replicas come from the copy, capped by its share', () => {
    expect(clusterState({ ...facts, registered: false }).failed).toBe(true);
    expect(clusterState({ ...facts, copyReady: 7 }).ready).toBe(3);
    expect(clusterState(facts).ready).toBeUndefined();
  });
});
