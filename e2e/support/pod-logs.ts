/**
 * Keeps the logs of every container in a namespace while a test runs, including those of pods
 * an upgrade or a fault replaces: the kubelet drops a deleted pod's logs, so a failure seen only
 * in CI could not otherwise be read afterwards.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, Log, type KubeConfig } from '@kubernetes/client-node';

export interface PodLogFollower {
  stop(): Promise<void>;
}

/**
 * Every `intervalMs`, lists the namespace's pods and follows each running container instance
 * not yet followed (a restart is a new instance) into `<dir>/<pod>_<container>.log`.
 */
export function followPodLogs(
  kc: KubeConfig,
  namespace: string,
  dir: string,
  intervalMs = 1000,
): PodLogFollower {
  mkdirSync(dir, { recursive: true });
  const core = kc.makeApiClient(CoreV1Api);
  const log = new Log(kc);
  const followed = new Set<string>();
  const open: { abort: AbortController | undefined; file: WriteStream }[] = [];
  let stopped = false;

  async function poll(): Promise<void> {
    const pods = await core.listNamespacedPod({ namespace }).catch(() => undefined);
    for (const pod of pods?.items ?? []) {
      const name = pod.metadata?.name ?? '?';
      for (const c of pod.status?.containerStatuses ?? []) {
        const key = `${pod.metadata?.uid ?? name}/${c.name}/${c.restartCount}`;
        if (!c.state?.running || followed.has(key) || stopped) continue;
        followed.add(key);
        const file = createWriteStream(join(dir, `${name}_${c.name}.log`), { flags: 'a' });
        file.write(`--- ${new Date().toISOString()} following ${key}\n`);
        const entry: (typeof open)[number] = { abort: undefined, file };
        open.push(entry);
        entry.abort = await log
          .log(namespace, name, c.name, file, { follow: true, timestamps: true })
          .catch((err: unknown) => {
            file.write(`--- could not follow: ${String(err)}\n`);
            return undefined;
          });
      }
    }
  }

  let pending = Promise.resolve();
  const timer = setInterval(() => {
    pending = pending.then(poll);
  }, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await pending;
      for (const { abort, file } of open) {
        abort?.abort();
        file.end();
      }
    },
  };
}
