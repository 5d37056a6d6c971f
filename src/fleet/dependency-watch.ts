/**
 * propagateDeps: watches of the hub's ConfigMaps, Secrets, ServiceAccounts and
 * PersistentVolumeClaims, so an edit on the hub reaches the member copies at once. Started only
 * when some policy sets propagateDeps. A kind the controller may not list (Secrets are not in
 * the chart's default rights) is skipped with one log line; its copies then follow edits at the
 * templates' periodic resync.
 */
import {
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { WatchedCache } from '../runtime/informer.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import type { DependencyKind } from './dependencies.js';

const PLURALS: Record<DependencyKind, string> = {
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  ServiceAccount: 'serviceaccounts',
  PersistentVolumeClaim: 'persistentvolumeclaims',
};

export type DependencyChanged = (kind: DependencyKind, namespace: string, name: string) => void;

export class DependencyWatch {
  private readonly caches: WatchedCache<KubernetesObject>[] = [];
  private starting: Promise<void> | undefined;

  constructor(
    private readonly hub: KubeConfig,
    private readonly logger: Logger,
    private readonly onChange: DependencyChanged,
  ) {}

  /** Starts the watches once; later calls return at once. */
  ensure(): Promise<void> {
    this.starting ??= this.start();
    return this.starting;
  }

  private async start(): Promise<void> {
    const objects = KubernetesObjectApi.makeApiClient(this.hub);
    for (const [kind, plural] of Object.entries(PLURALS) as [DependencyKind, string][]) {
      const list = () =>
        objects.list('v1', kind) as Promise<KubernetesListObject<KubernetesObject>>;
      try {
        await objects.list(
          'v1',
          kind,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          1,
        );
      } catch (err) {
        this.logger.warn(
          'propagateDeps: cannot watch this kind on the hub; edits reach members at the next resync',
          {
            kind,
            error: errorMessage(err),
          },
        );
        continue;
      }
      const cache = new WatchedCache<KubernetesObject>({
        kubeConfig: this.hub,
        path: `/api/v1/${plural}`,
        list,
        logger: this.logger,
        // The templates resync already; these only carry edits.
        resyncMs: 24 * 3600_000,
      });
      cache.on((o, event) => {
        // The first list is no edit; the templates were enqueued on their own already.
        if (event === 'resync' || !cache.hasSynced) return;
        this.onChange(kind, o.metadata?.namespace ?? '', o.metadata?.name ?? '');
      });
      this.caches.push(cache);
      await cache.start();
    }
  }

  stop(): void {
    for (const c of this.caches) void c.stop();
  }
}
