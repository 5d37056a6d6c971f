/**
 * Watches of resource templates on the hub, one per (apiVersion, kind) that some policy names.
 * The resource's plural and scope come from API discovery, so any namespaced kind works, not
 * only the built-in ones.
 */
import {
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1APIResource,
} from '@kubernetes/client-node';
import { statusCode } from '../runtime/api-errors.js';
import { WatchedCache } from '../runtime/informer.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import { kindOf } from './kinds.js';

/** Exposes KubernetesObjectApi's cached discovery lookup. */
class Discovery extends KubernetesObjectApi {
  lookup(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }
}

export interface KindKey {
  apiVersion: string;
  kind: string;
}

/** How often every template is re-queued although nothing was seen to change. */
export const TEMPLATE_RESYNC_MS = 5 * 60_000;

export const kindKey = (k: KindKey): string => `${k.apiVersion}|${k.kind}`;

/** How long `ensure` waits for a kind's first list before it goes on without it. */
const FIRST_LIST_WAIT_MS = 10_000;
/** How soon a kind whose discovery failed in passing is looked up again. */
const KIND_RETRY_MS = 5000;

/** Waits for `p`, but no longer than FIRST_LIST_WAIT_MS. */
async function awhile(p: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const later = new Promise<void>((r) => (timer = setTimeout(r, FIRST_LIST_WAIT_MS)));
  await Promise.race([p, later]);
  clearTimeout(timer);
}

/**
 * What a template's absence from the caches means: `watched` (listed: it is gone), `unserved`
 * (the hub serves no such kind, so no such template exists), or `unknown` (not listed yet, or
 * discovery failed): nothing may be removed on its account.
 */
export type KindState = 'watched' | 'unserved' | 'unknown';

export class TemplateKinds {
  private readonly caches = new Map<string, WatchedCache<KubernetesObject>>();
  /** Each cache's first list, so a second caller waits for it too. */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly failed = new Map<string, string>();
  /** Kinds whose discovery failed for a reason other than "not served": looked up again. */
  private readonly unsure = new Map<string, KindKey>();
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly discovery: Discovery;
  private readonly objects: KubernetesObjectApi;

  constructor(
    private readonly hub: KubeConfig,
    private readonly logger: Logger,
    private readonly onTemplate: (
      obj: KubernetesObject,
      event: 'add' | 'update' | 'delete' | 'resync',
    ) => void,
    /** After each retry of failed lookups: `failures()` may say something else now. */
    private readonly onRetried: () => void = () => undefined,
  ) {
    this.discovery = hub.makeApiClient(Discovery);
    this.objects = KubernetesObjectApi.makeApiClient(hub);
  }

  /**
   * Starts a watch for each kind not watched yet and waits a while for its first list; returns
   * kinds that cannot be watched, with why. A discovery error other than 404 is not taken for
   * "not served": that kind stays `unknown`, and it is looked up again every 5 s (and by the
   * next call) until discovery answers. A list that
   * keeps failing (RBAC forbids it, say) is retried in the background and its kind stays
   * `unknown` meanwhile: waiting for it would stall every later policy change.
   */
  async ensure(kinds: readonly KindKey[]): Promise<Map<string, string>> {
    for (const k of kinds) await this.ensureOne(k);
    return this.failures();
  }

  /** The kinds that cannot be watched now, with why. */
  failures(): Map<string, string> {
    return new Map(this.failed);
  }

  /**
   * `state`, for a reader that may name a kind nobody asked for yet (a binding of a kind no
   * policy names): such a kind is looked up in the background. A kind that failed already is
   * left to the retry, so a reconcile of each of its templates adds no discovery call.
   */
  lookUp(k: KindKey): KindState {
    const key = kindKey(k);
    if (!this.failed.has(key) && !this.starting.has(key))
      void this.ensureOne(k).catch(() => undefined);
    return this.state(k);
  }

  /** How far the template's absence from the cache can be trusted (see KindState). */
  state(k: KindKey): KindState {
    const key = kindKey(k);
    if (this.caches.get(key)?.hasSynced) return 'watched';
    if (this.failed.has(key) && !this.unsure.has(key)) return 'unserved';
    return 'unknown';
  }

  /** Some kind's discovery failed for a passing reason and waits to be looked up again. */
  get retryable(): boolean {
    return this.unsure.size > 0;
  }

  private async ensureOne(k: KindKey): Promise<void> {
    const key = kindKey(k);
    const starting = this.starting.get(key);
    if (starting) return awhile(starting);
    let resource: V1APIResource | undefined;
    try {
      resource = await this.discovery.lookup(k.apiVersion, k.kind);
    } catch (err) {
      if (statusCode(err) !== 404) {
        this.failed.set(
          key,
          `could not look ${k.kind} in ${k.apiVersion} up: ${errorMessage(err)}`,
        );
        this.unsure.set(key, k);
        this.retryLater();
        return;
      }
    }
    this.unsure.delete(key);
    if (!resource) {
      this.failed.set(key, `the hub serves no ${k.kind} in ${k.apiVersion}`);
      return;
    }
    if (!resource.namespaced) {
      this.failed.set(key, `${k.kind} is cluster-scoped; only namespaced templates are propagated`);
      return;
    }
    // Another caller may have started it while this one was looking it up.
    const raced = this.starting.get(key);
    if (raced) return awhile(raced);
    this.failed.delete(key);
    const base = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
    const cache = new WatchedCache<KubernetesObject>({
      kubeConfig: this.hub,
      path: `${base}/${resource.name}`,
      list: () =>
        this.objects.list(k.apiVersion, k.kind) as Promise<KubernetesListObject<KubernetesObject>>,
      logger: this.logger,
      // A safety net only (every change is an event): each resync re-queues every template,
      // a no-op reconcile of thousands of them, so it is slow.
      resyncMs: TEMPLATE_RESYNC_MS,
      keepFieldSets: kindOf(k).fieldOwnership === true,
    });
    cache.on((obj, event) => {
      // Lists through KubernetesObjectApi omit apiVersion/kind on items; restore them.
      obj.apiVersion ??= k.apiVersion;
      obj.kind ??= k.kind;
      this.onTemplate(obj, event);
    });
    this.caches.set(key, cache);
    const started = cache.start().then(() => {
      this.logger.info('watching templates', {
        apiVersion: k.apiVersion,
        kind: k.kind,
        resource: resource.name,
      });
    });
    this.starting.set(key, started);
    await awhile(started);
  }

  private retryLater(): void {
    if (this.retry || this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.ensure([...this.unsure.values()]).then(this.onRetried, () => undefined);
    }, KIND_RETRY_MS);
  }

  get(k: KindKey, namespace: string, name: string): KubernetesObject | undefined {
    const obj = this.caches.get(kindKey(k))?.get(name, namespace);
    if (obj) {
      obj.apiVersion ??= k.apiVersion;
      obj.kind ??= k.kind;
    }
    return obj;
  }

  list(k: KindKey): KubernetesObject[] {
    return (this.caches.get(kindKey(k))?.list() ?? []).map((o) => ({
      ...o,
      apiVersion: o.apiVersion ?? k.apiVersion,
      kind: o.kind ?? k.kind,
    }));
  }

  get synced(): boolean {
    return [...this.caches.values()].every((c) => c.hasSynced);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    for (const c of this.caches.values()) void c.stop();
  }
}
