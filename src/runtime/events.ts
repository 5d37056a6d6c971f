/**
 * Kubernetes Events for decisions a user would ask about ("why did 2 replicas go to the
 * cloud?"). Repeats of the same reason and message on the same object bump the count of one
 * Event instead of creating new ones, as client-go's recorder does.
 */
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { namespaceTerminating } from './api-errors.js';
import { errorMessage, type Logger } from './logger.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly recent = new Map<string, { name: string; namespace: string; count: number }>();

  constructor(
    kc: KubeConfig,
    private readonly component: string,
    private readonly logger: Logger,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async record(
    obj: InvolvedObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const namespace = obj.namespace || 'default';
    const key = `${obj.kind}/${namespace}/${obj.name}/${reason}/${message}`;
    const now = new Date();
    try {
      const seen = this.recent.get(key);
      if (seen) {
        seen.count++;
        // One merge patch of the two fields a repeat changes (a read and a replace before).
        await this.core.patchNamespacedEvent(
          {
            name: seen.name,
            namespace,
            body: { count: seen.count, lastTimestamp: now.toISOString() },
          },
          mergePatch,
        );
        return;
      }
      const name = `${obj.name}.${randomBytes(8).toString('hex')}`;
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            namespace: obj.namespace,
            name: obj.name,
            uid: obj.uid,
          },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: this.component },
          reportingComponent: this.component,
        },
      });
      if (this.recent.size > 5000) this.recent.clear(); // bounded memory; a repeat then starts a new Event
      this.recent.set(key, { name, namespace, count: 1 });
    } catch (err) {
      this.recent.delete(key);
      // Its namespace is being deleted: the object goes with it, and so would the Event.
      if (namespaceTerminating(err)) return;
      this.logger.warn('could not record event', {
        reason,
        object: `${obj.kind}/${namespace}/${obj.name}`,
        error: errorMessage(err),
      });
    }
  }
}
