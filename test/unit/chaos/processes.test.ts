import { describe, expect, it } from '@jest/globals';
import { liveReplicas, type Replica } from '../../../e2e/chaos/processes.js';
import type { ProcessRecord } from '../../../e2e/fleet/processes.js';

function replica(name: string, killedAt?: number): Replica {
  const rec = { name, pid: 1, binary: 'node', args: [], log: `/nonexistent/${name}.log` };
  return {
    rec: rec as unknown as ProcessRecord,
    writeLog: '',
    startedAt: 0,
    ...(killedAt === undefined ? {} : { killedAt }),
  };
}

describe('chaos replicas', () => {
  it('does not count a killed leader that is not reaped yet as running', () => {
    // Its process still shows as running for a moment after SIGKILL: counted, it was found as
    // the lease holder's replica at once and every leader takeover measured 0 s.
    const killed = replica('fleet-controller-1', 1000);
    const standby = replica('fleet-controller-2');
    expect(liveReplicas([killed, standby], () => true)).toEqual([standby]);
  });

  it('does not count a replica whose process has exited', () => {
    const a = replica('fleet-controller-1');
    const b = replica('fleet-controller-2');
    expect(liveReplicas([a, b], (r) => r === b)).toEqual([b]);
  });
});
