/**
 * Prometheus metrics (prom-client). Each controller registers its standard set on a registry
 * the health server exposes at /metrics; names follow controller-runtime's conventions.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { classifyError } from './api-errors.js';
import { errorMessage, type Logger } from './logger.js';
import type { WorkQueueOptions } from './workqueue.js';

/**
 * A registry with prom-client's default metrics under their standard names (`process_*`,
 * `nodejs_*`), unprefixed like every other Prometheus client's, so stock process dashboards
 * and alerts (`process_resident_memory_bytes`, `process_cpu_seconds_total`) work unchanged.
 */
export function newRegistry(withProcessMetrics = true): Registry {
  const registry = new Registry();
  if (withProcessMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

export interface ControllerMetrics {
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  queueDepth: Gauge<'controller'>;
  queueRetries: Counter<'controller'>;
}

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The reconcile and work-queue metrics every controller has, labelled by controller name. */
export function newControllerMetrics(registry: Registry): ControllerMetrics {
  const registers = [registry];
  return {
    reconcileTotal: getOrCreate(
      registry,
      'spillway_reconcile_total',
      () =>
        new Counter({
          name: 'spillway_reconcile_total',
          help: 'Reconciles by controller and result (success, error, requeue).',
          labelNames: ['controller', 'result'],
          registers,
        }),
    ),
    reconcileErrors: getOrCreate(
      registry,
      'spillway_reconcile_errors_total',
      () =>
        new Counter({
          name: 'spillway_reconcile_errors_total',
          help: 'Reconciles that returned an error.',
          labelNames: ['controller'],
          registers,
        }),
    ),
    reconcileDuration: getOrCreate(
      registry,
      'spillway_reconcile_duration_seconds',
      () =>
        new Histogram({
          name: 'spillway_reconcile_duration_seconds',
          help: 'Time spent in one reconcile.',
          labelNames: ['controller'],
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    queueDepth: getOrCreate(
      registry,
      'spillway_workqueue_depth',
      () =>
        new Gauge({
          name: 'spillway_workqueue_depth',
          help: 'Keys waiting in the work queue.',
          labelNames: ['controller'],
          registers,
        }),
    ),
    queueRetries: getOrCreate(
      registry,
      'spillway_workqueue_retries_total',
      () =>
        new Counter({
          name: 'spillway_workqueue_retries_total',
          help: 'Keys re-queued after a failed reconcile.',
          labelNames: ['controller'],
          registers,
        }),
    ),
  };
}

/** Work-queue hooks that keep a controller's standard metrics and log failed reconciles. */
export function meteredQueueOptions(
  metrics: ControllerMetrics,
  controller: string,
  logger: Logger,
): WorkQueueOptions {
  return {
    onDepth: (d) => metrics.queueDepth.set({ controller }, d),
    onRetry: () => metrics.queueRetries.inc({ controller }),
    // Errors are told apart once, here (api-errors.ts), for every reconcile of every controller.
    classify: (err) => {
      const c = classifyError(err);
      return c === 'namespaceTerminating' ? 'drop' : c === 'conflict' ? 'conflict' : 'error';
    },
    onResult: (result, seconds, err, key) => {
      metrics.reconcileTotal.inc({ controller, result });
      metrics.reconcileDuration.observe({ controller }, seconds);
      if (result === 'error') {
        metrics.reconcileErrors.inc({ controller });
        logger.warn('reconcile failed; will retry', { key, error: errorMessage(err) });
      } else if (result === 'conflict') {
        logger.debug('reconcile met a newer write; will retry', { key, error: errorMessage(err) });
      } else if (result === 'dropped') {
        logger.debug('namespace being deleted: nothing more to make there', {
          key,
          error: errorMessage(err),
        });
      }
    },
  };
}
