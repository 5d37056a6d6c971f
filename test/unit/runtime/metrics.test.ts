import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { silentLogger } from '../../../src/runtime/logger.js';
import {
  meteredQueueOptions,
  newControllerMetrics,
  newRegistry,
} from '../../../src/runtime/metrics.js';

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

describe('the work queue options every controller uses', () => {
  const opts = meteredQueueOptions(newControllerMetrics(newRegistry()), 'fleet', silentLogger());
  it('drops a reconcile refused because its namespace is being deleted, retries the rest', () => {
    const refused = (code: number, message: string) =>
      new ApiException(code, 'x', { reason: 'r', message }, {});
    expect(
      opts.classify?.(
        refused(
          403,
          'unable to create new content in namespace shop because it is being terminated',
        ),
      ),
    ).toBe('drop');
    expect(opts.classify?.(refused(409, 'the object has been modified'))).toBe('conflict');
    expect(opts.classify?.(refused(403, 'RBAC: denied'))).toBe('error');
    expect(opts.classify?.(new Error('socket hang up'))).toBe('error');
  });
});
