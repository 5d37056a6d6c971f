/** Where the Go-built test tools live: the cache hack/build-tools.sh fills, keyed by version. */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function cacheDir(): string {
  return process.env.SPILLWAY_CACHE ?? join(homedir(), '.cache', 'spillway');
}

export function pinnedVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, 'hack', 'tools.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

export interface Tools {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  kubeVersion: string;
}

export function findTools(): Tools {
  const v = pinnedVersions();
  const kubeVersion = v.KUBE_VERSION ?? '';
  const kube = join(cacheDir(), 'bin', `kube-${kubeVersion}`);
  const tools: Tools = {
    etcd: join(kube, 'etcd'),
    kubeApiserver: join(kube, 'kube-apiserver'),
    kubeControllerManager: join(kube, 'kube-controller-manager'),
    kubeScheduler: join(kube, 'kube-scheduler'),
    kwok: join(cacheDir(), 'bin', `kwok-${v.KWOK_VERSION ?? ''}`, 'kwok'),
    kubeVersion,
  };
  const missing = Object.entries(tools).filter(([k, p]) => k !== 'kubeVersion' && !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `missing test tools (${missing.map(([k]) => k).join(', ')}): run hack/build-tools.sh first`,
    );
  }
  return tools;
}
