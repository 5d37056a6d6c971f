import { describe, expect, it } from '@jest/globals';
import { newControllerMetrics, newRegistry } from '../../../src/runtime/metrics.js';

describe('the controllers’ metrics registry', () => {
  it('exposes the standard process and Node.js metrics under their usual names', async () => {
    const registry = newRegistry();
    newControllerMetrics(registry);
    const text = await registry.metrics();
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'process_start_time_seconds',
      'process_open_fds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'spillway_reconcile_total',
    ])
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    expect(text).not.toContain('spillway_process_');
  });

  it('leaves them out when asked (one registry per process has them)', async () => {
    expect(await newRegistry(false).metrics()).not.toContain('process_cpu_seconds_total');
  });
});
