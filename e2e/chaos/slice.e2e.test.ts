/**
 * A short, seeded slice of the chaos suite (`make chaos` runs all of it): a few workloads and
 * operations while the leading fleet controller is frozen past its lease (the other replica
 * takes over, and the deposed one sends no write once it resumes) and then while the network to
 * one member drops, resets and delays connections. Every invariant must hold after each round.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { DEFAULT_STATE_ROOT } from '../fleet/index.js';
import { formatReport, runChaos, violationCount } from './suite.js';

describe('chaos suite slice', () => {
  it('keeps every invariant through a leader pause and network faults', async () => {
    const report = await runChaos({
      seed: 7,
      workloads: 12,
      operations: 30,
      rounds: ['leader-pause', 'network'],
      outageSeconds: [30, 30],
      networkSeconds: [15, 15],
      killsPerRound: 1,
      resourcePolicyBurst: false,
      settleTimeoutMs: 180_000,
      stateDir: join(DEFAULT_STATE_ROOT, 'e2e-chaos-slice'),
      log: () => undefined,
    });
    const text = formatReport(report);
    console.log(text);
    expect(report.faults.map((f) => f.kind)).toEqual(['leader-pause', 'network']);
    expect(report.proxy.reset + report.proxy.dropped).toBeGreaterThan(0);
    expect(report.settleMs).toHaveLength(2);
    expect(violationCount(report) === 0 ? 'no violations' : text).toBe('no violations');
  }, 900_000);
});
