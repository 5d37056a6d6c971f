/**
 * What the real-node tests measure and check on a pod: restarts, creation to Ready, and the
 * resident memory of its containers' processes (the kubelet's cgroups, v1 or v2).
 * Test infrastructure, not product.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { rssBytes } from '../fleet/processes.js';

/** Restarts of every container of the pod, init containers included. */
export function podRestarts(p: V1Pod): number {
  return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
    .map((c) => c.restartCount)
    .reduce((a, b) => a + b, 0);
}

export interface PodFigures {
  pod: string;
  readySeconds: number;
  rssBytes: number;
}

export function podFigures(p: V1Pod): PodFigures {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  const readySeconds =
    (new Date(ready?.lastTransitionTime ?? 0).getTime() -
      new Date(p.metadata?.creationTimestamp ?? 0).getTime()) /
    1000;
  return { pod: p.metadata?.name ?? '?', readySeconds, rssBytes: podRss(p) };
}

/** The cgroup directories of the pod (`pod<uid>`, or `pod<uid with _>` under systemd). */
function podCgroups(uid: string): string[] {
  const roots = [
    '/sys/fs/cgroup/pids/kubepods',
    '/sys/fs/cgroup/kubepods',
    '/sys/fs/cgroup/kubepods.slice',
  ];
  const names = [`pod${uid}`, `pod${uid.replaceAll('-', '_')}`];
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 3 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) {
        if (names.some((n) => e.name === n || e.name.endsWith(`-${n}.slice`)))
          found.push(join(dir, e.name));
        else walk(join(dir, e.name), depth + 1);
      }
  };
  for (const r of roots) walk(r, 0);
  return found;
}

/** Resident memory of the pod's container processes (not its pause sandbox). */
function podRss(p: V1Pod): number {
  let total = 0;
  for (const pod of podCgroups(p.metadata?.uid ?? '?'))
    for (const c of readdirSync(pod, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      const procs = join(pod, c.name, 'cgroup.procs');
      if (!existsSync(procs)) continue;
      for (const pid of readFileSync(procs, 'utf8').split('\n').filter(Boolean)) {
        const cmdline = existsSync(`/proc/${pid}/cmdline`)
          ? readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          : '';
        if (!cmdline.includes('pause')) total += rssBytes(Number(pid));
      }
    }
  return total;
}
