/**
 * WorkloadRebalancer writes (I/O): asks the bindings a rebalancer names (an annotation the
 * binding reconciler serves once), writes the rebalancer's status, and deletes it after its
 * ttlSecondsAfterFinished. What to do is decided by workload-rebalancer.ts.
 */
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import {
  FLEET_GROUP,
  FLEET_VERSION,
  bindingName,
  type ResourceBinding,
  type WorkloadRebalancer,
  type WorkloadReference,
} from '../api/fleet.js';
import { statusCode } from '../runtime/api-errors.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import type { BindingVersions } from './binding-versions.js';
import { REBALANCE_REQUEST_ANNOTATION } from './rebalance-binding.js';
import { statusPatchChanges } from './status-change.js';
import { planRebalancer } from './workload-rebalancer.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class RebalancerSync {
  private readonly custom: CustomObjectsApi;

  constructor(
    hub: KubeConfig,
    private readonly logger: Logger,
    /** Queues the template whose binding was just asked. */
    private readonly enqueue: (w: WorkloadReference) => void,
    /** Told the version each binding write returned (binding-versions.ts). */
    private readonly versions?: BindingVersions,
  ) {
    this.custom = hub.makeApiClient(CustomObjectsApi);
  }

  /** One pass over every rebalancer; returns when to look again for a TTL, if ever. */
  async sync(
    rebalancers: readonly WorkloadRebalancer[],
    bindingOf: (namespace: string, name: string) => ResourceBinding | undefined,
    nowMs: number,
  ): Promise<number | undefined> {
    let next: number | undefined;
    for (const r of rebalancers) {
      if (r.metadata.deletionTimestamp) continue;
      const plan = planRebalancer(
        r,
        (w) => {
          const b = bindingOf(w.namespace, bindingName(w.name, w.kind));
          if (!b || b.metadata.deletionTimestamp) return undefined;
          const annotation = b.metadata.annotations?.[REBALANCE_REQUEST_ANNOTATION];
          return {
            ...(annotation !== undefined ? { annotation } : {}),
            ...(b.spec.rebalancing?.manual ? { manual: b.spec.rebalancing.manual } : {}),
          };
        },
        nowMs,
      );
      try {
        for (const w of plan.ask) {
          const written = await this.custom.patchNamespacedCustomObject(
            {
              group: FLEET_GROUP,
              version: FLEET_VERSION,
              plural: 'resourcebindings',
              namespace: w.namespace,
              name: bindingName(w.name, w.kind),
              body: { metadata: { annotations: { [REBALANCE_REQUEST_ANNOTATION]: plan.request } } },
            },
            mergePatch,
          );
          this.versions?.saw(w.namespace, bindingName(w.name, w.kind), written as ResourceBinding);
          this.logger.info('rebalance requested', {
            rebalancer: r.metadata.name,
            workload: `${w.kind}/${w.namespace}/${w.name}`,
          });
          this.enqueue(w);
        }
        if (plan.remove) {
          await this.custom
            .deleteClusterCustomObject({
              group: FLEET_GROUP,
              version: FLEET_VERSION,
              plural: 'workloadrebalancers',
              name: r.metadata.name ?? '',
            })
            .catch((err: unknown) => {
              if (statusCode(err) !== 404) throw err;
            });
          continue;
        }
        if (statusPatchChanges(r.status, plan.status))
          await this.custom.patchClusterCustomObjectStatus(
            {
              group: FLEET_GROUP,
              version: FLEET_VERSION,
              plural: 'workloadrebalancers',
              name: r.metadata.name ?? '',
              body: { status: plan.status },
            },
            mergePatch,
          );
      } catch (err) {
        this.logger.warn('could not sync WorkloadRebalancer', {
          rebalancer: r.metadata.name,
          error: errorMessage(err),
        });
        next = Math.min(next ?? Infinity, 2000);
      }
      if (plan.requeueMs !== undefined) next = Math.min(next ?? Infinity, plan.requeueMs);
    }
    return next;
  }
}
