/**
 * A work queue with the semantics of client-go's: a key is queued at most once, a key is never
 * processed by two workers at once (an add during processing re-queues it after), failures
 * are retried with per-key exponential backoff, and a reconcile may ask to run again later.
 *
 * Keys have two priorities, as in controller-runtime's priority queue: a sweep over many keys
 * (a periodic resync, every template after a member change) adds them 'low', so that a change
 * to one object, added 'high', does not wait behind thousands of no-op reconciles. A key added
 * again with a higher priority moves up; each list stays first in, first out.
 */

/** The longest delay setTimeout honours (2^31 - 1 ms); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ReconcileResult {
  /** Run this key again after so many milliseconds (periodic checks, timeouts). */
  requeueAfterMs?: number;
}

export type Reconciler<K> = (key: K) => Promise<ReconcileResult | undefined>;

export type Priority = 'high' | 'low';

/** A place in one of the lists; `live` false once the key moved up or was taken. */
interface Entry<K> {
  key: K;
  priority: Priority;
  live: boolean;
}

export interface WorkQueueOptions {
  /** First retry delay; doubles per consecutive failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onDepth?: (depth: number) => void;
  /**
   * What a thrown error means (default 'error'): 'drop' ends the key's processing without a
   * retry (a retry cannot succeed, and a later event brings the key back if needed);
   * 'conflict' and 'error' retry with backoff.
   */
  classify?: (err: unknown) => 'drop' | 'conflict' | 'error';
  onResult?: (
    result: 'success' | 'error' | 'conflict' | 'dropped' | 'requeue',
    seconds: number,
    err: unknown,
    key: string,
  ) => void;
  onRetry?: (key: string, delayMs: number) => void;
}

export class WorkQueue<K extends string = string> {
  private readonly lists: Record<Priority, Entry<K>[]> = { high: [], low: [] };
  private readonly queued = new Map<K, Entry<K>>();
  private readonly processing = new Set<K>();
  /** Keys added while processing, with the highest priority they were added with. */
  private readonly dirty = new Map<K, Priority>();
  private readonly failures = new Map<K, number>();
  private readonly timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private waiters: (() => void)[] = [];
  private stopped = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 50;
    this.maxDelayMs = opts.maxDelayMs ?? 30_000;
  }

  get depth(): number {
    return this.queued.size;
  }

  add(key: K, priority: Priority = 'high'): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      if (this.dirty.get(key) !== 'high') this.dirty.set(key, priority);
      return;
    }
    const queued = this.queued.get(key);
    if (queued && (queued.priority === 'high' || priority === 'low')) return;
    if (queued) queued.live = false; // moves up: its low place is skipped when reached
    const entry: Entry<K> = { key, priority, live: true };
    this.queued.set(key, entry);
    this.lists[priority].push(entry);
    this.opts.onDepth?.(this.queued.size);
    if (!queued) this.waiters.shift()?.();
  }

  /** Adds the key after `ms`; an earlier pending add for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    this.arm(key, at);
  }

  /**
   * A timer for `at`. setTimeout takes at most MAX_TIMER_MS (about 24.8 days; a longer delay
   * overflows and fires after 1 ms), so a far-off key waits in steps and is re-armed.
   */
  private arm(key: K, at: number): void {
    const timer = setTimeout(
      () => {
        if (this.stopped) return;
        if (Date.now() < at) return this.arm(key, at);
        this.timers.delete(key);
        this.add(key);
      },
      Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS),
    );
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Re-queues a failed key with exponential backoff. */
  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
    this.opts.onRetry?.(key, delay);
    this.addAfter(key, delay);
  }

  /** Clears a key's failure count after it succeeded. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  private async next(): Promise<K | undefined> {
    while (!this.stopped && this.queued.size === 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.stopped) return undefined;
    const entry = this.take('high') ?? (this.take('low') as Entry<K>);
    this.queued.delete(entry.key);
    this.processing.add(entry.key);
    this.opts.onDepth?.(this.queued.size);
    return entry.key;
  }

  /** The first live entry of a list, skipping the places of keys that moved up. */
  private take(priority: Priority): Entry<K> | undefined {
    const list = this.lists[priority];
    for (let e = list.shift(); e; e = list.shift()) if (e.live) return e;
    return undefined;
  }

  private done(key: K): void {
    this.processing.delete(key);
    const again = this.dirty.get(key);
    if (again === undefined) return;
    this.dirty.delete(key);
    this.add(key, again);
  }

  /** Runs `workers` loops until shutdown; resolves when they have all stopped. */
  async run(reconcile: Reconciler<K>, workers = 1): Promise<void> {
    const loop = async () => {
      for (;;) {
        const key = await this.next();
        if (key === undefined) return;
        const start = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
        try {
          const result = await reconcile(key);
          this.forget(key);
          if (result?.requeueAfterMs !== undefined) {
            this.opts.onResult?.('requeue', seconds(), undefined, key);
            this.addAfter(key, result.requeueAfterMs);
          } else {
            this.opts.onResult?.('success', seconds(), undefined, key);
          }
        } catch (err) {
          const kind = this.opts.classify?.(err) ?? 'error';
          if (kind === 'drop') {
            this.forget(key);
            this.opts.onResult?.('dropped', seconds(), err, key);
          } else {
            this.opts.onResult?.(kind, seconds(), err, key);
            this.addRateLimited(key);
          }
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }

  shutdown(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}
