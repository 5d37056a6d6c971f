/**
 * A watched cache of one kind: client-node's list+watch informer (which re-lists on 410 Gone),
 * restarted with backoff after any other watch error, with a periodic resync that reports every
 * cached object again so level-based reconcilers catch up on anything they missed. Objects are
 * kept without their managedFields' field sets (cached-object.ts) unless asked otherwise.
 */
import {
  makeInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { dropFieldSets } from './cached-object.js';
import { errorMessage, type Logger } from './logger.js';

export type EventHandler<T> = (obj: T, event: 'add' | 'update' | 'delete' | 'resync') => void;

export interface WatchedCacheOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** API path of the collection, e.g. /apis/apps/v1/deployments. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  resyncMs?: number;
  /**
   * Keep managedFields whole, field sets included: for a reader of field ownership. Otherwise
   * they are dropped as each object arrives (most of a cached object's memory).
   */
  keepFieldSets?: boolean;
  logger: Logger;
}

export class WatchedCache<T extends KubernetesObject> {
  private readonly informer;
  private readonly handlers: EventHandler<T>[] = [];
  private synced = false;
  private stopped = false;
  private failures = 0;
  private lastErrorMs = 0;
  private resync: NodeJS.Timeout | undefined;
  /** Set while start() waits for the first list; the error it saw, if any. */
  private starting = false;
  private startError: unknown;

  constructor(private readonly opts: WatchedCacheOptions<T>) {
    this.informer = makeInformer<T>(opts.kubeConfig, opts.path, opts.list, opts.labelSelector);
    // The informer stores the very object it hands to these callbacks: trimmed here, before
    // anyone sees it, it is trimmed in the cache too.
    const keep = (o: T): T => {
      if (!opts.keepFieldSets) dropFieldSets(o);
      return o;
    };
    this.informer.on('add', (o) => this.emit(keep(o), 'add'));
    this.informer.on('update', (o) => this.emit(keep(o), 'update'));
    this.informer.on('delete', (o) => this.emit(o, 'delete'));
    this.informer.on('error', (err) => {
      if (this.stopped) return;
      // client-node's start() resolves even when its list failed (it only reports the error
      // here): start() must see it, or an empty cache would pass for a listed one.
      if (this.starting) {
        this.startError = err;
        return;
      }
      const delay = this.backOff();
      opts.logger.warn('watch failed; restarting', {
        path: opts.path,
        error: errorMessage(err),
        retryInMs: delay,
      });
      setTimeout(() => {
        if (!this.stopped) this.informer.start().catch(() => undefined);
      }, delay).unref();
    });
  }

  /**
   * The wait before the next try: doubling from 0.5 s up to 30 s. The informer reports neither a
   * successful re-list nor a healthy watch, so a minute without errors is what counts as
   * recovered and starts the back-off afresh.
   */
  private backOff(): number {
    const now = Date.now();
    if (now - this.lastErrorMs > 60_000) this.failures = 0;
    this.lastErrorMs = now;
    return Math.min(30_000, 500 * 2 ** this.failures++);
  }

  on(handler: EventHandler<T>): void {
    this.handlers.push(handler);
  }

  private emit(obj: T, event: 'add' | 'update' | 'delete' | 'resync'): void {
    for (const h of this.handlers) h(obj, event);
  }

  /** Resolves once the first list has filled the cache; retries it until then. */
  async start(): Promise<void> {
    this.starting = true;
    try {
      for (;;) {
        if (this.stopped) return;
        this.startError = undefined;
        await this.informer.start().catch((err: unknown) => (this.startError ??= err));
        if (this.startError === undefined) break;
        const delay = this.backOff();
        this.opts.logger.warn('initial list failed; retrying', {
          path: this.opts.path,
          error: errorMessage(this.startError),
          retryInMs: delay,
        });
        await new Promise((r) => setTimeout(r, delay));
      }
    } finally {
      this.starting = false;
    }
    if (this.stopped) return;
    this.synced = true;
    const every = this.opts.resyncMs ?? 5 * 60_000;
    this.resync = setInterval(() => {
      for (const o of this.informer.list()) this.emit(o, 'resync');
    }, every);
    this.resync.unref();
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    await this.informer.stop();
  }
}
