/**
 * List+watch without a cache of whole objects: the consumer gets a full snapshot after every
 * (re-)list and each watch event, and keeps only what it needs (e.g. the estimator's per-pod
 * request vector). Re-lists on 410 Gone, resumes the watch from the last resourceVersion after
 * a normal close, and backs off after errors. Lists are paged so 100k pods never sit in one
 * response.
 */
import {
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { errorMessage, type Logger } from './logger.js';

export type StreamEvent = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListWatchStreamOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  list: (continueToken: string | undefined) => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /** The consumer replaces its state with this snapshot. */
  onSnapshot: (items: T[]) => void;
  onEvent: (type: StreamEvent, obj: T) => void;
  logger: Logger;
}

export class ListWatchStream<T extends KubernetesObject> {
  private stopped = false;
  private abort: AbortController | undefined;
  private synced = false;
  private firstSync: Promise<void>;
  private resolveFirst: () => void = () => undefined;

  constructor(private readonly opts: ListWatchStreamOptions<T>) {
    this.firstSync = new Promise((r) => (this.resolveFirst = r));
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts the loop; resolves after the first snapshot was delivered. */
  start(): Promise<void> {
    void this.loop();
    return this.firstSync;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async listAll(): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let token: string | undefined;
    let rv = '';
    do {
      const page = await this.opts.list(token);
      items.push(...page.items);
      rv = page.metadata?.resourceVersion ?? rv;
      token = page.metadata?._continue || undefined;
    } while (token);
    return { items, resourceVersion: rv };
  }

  /**
   * Lists everything and hands the snapshot over; returns the version to watch from. A method
   * of its own so the listed objects are not held by the loop's frame while it watches (a
   * member's 1000 nodes are about 8 MiB).
   */
  private async relist(): Promise<string> {
    const { items, resourceVersion } = await this.listAll();
    this.opts.onSnapshot(items);
    return resourceVersion;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        let rv = await this.relist();
        if (!this.synced) {
          this.synced = true;
          this.resolveFirst();
        }
        failures = 0;
        // Watch until the server says the version is too old (410), then re-list.
        for (;;) {
          if (this.stopped) return;
          const outcome = await this.watchOnce(rv, (next) => (rv = next));
          if (outcome === 'gone') break;
          if (outcome instanceof Error) throw outcome;
        }
      } catch (err) {
        if (this.stopped) return;
        const delay = Math.min(30_000, 500 * 2 ** failures++);
        this.opts.logger.warn('list/watch failed; retrying', {
          path: this.opts.path,
          error: errorMessage(err),
          retryInMs: delay,
        });
        // unref: a stopped stream's back-off must not keep the process alive.
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private watchOnce(
    resourceVersion: string,
    setRv: (rv: string) => void,
  ): Promise<'closed' | 'gone' | Error> {
    return new Promise((resolve) => {
      let gone = false;
      const params: Record<string, string | boolean> = {
        resourceVersion,
        allowWatchBookmarks: true,
      };
      if (this.opts.labelSelector) params.labelSelector = this.opts.labelSelector;
      new Watch(this.opts.kubeConfig)
        .watch(
          this.opts.path,
          params,
          (phase: string, obj: T & { code?: number }) => {
            if (phase === 'ERROR') {
              if (obj.code === 410) gone = true;
              this.abort?.abort();
              return;
            }
            const rv = obj.metadata?.resourceVersion;
            if (rv) setRv(rv);
            if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED')
              this.opts.onEvent(phase, obj);
          },
          (err: unknown) => {
            if (gone || (err as { statusCode?: number } | null)?.statusCode === 410)
              resolve('gone');
            else if (err && !this.stopped && (err as { name?: string }).name !== 'AbortError')
              resolve(new Error(errorMessage(err)));
            else resolve('closed');
          },
        )
        .then((ac) => (this.abort = ac))
        .catch((err: unknown) => resolve(new Error(errorMessage(err))));
    });
  }
}
