/** Small helpers the local-fleet benchmarks share: quantiles, bounded parallelism, polling. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { AppsV1Api, V1Deployment } from '@kubernetes/client-node';
import { REPO_ROOT } from '../e2e/fleet/index.js';

/**
 * Compiles src/ (tsconfig.build.json, as the image is built) into `outDir` and returns the path
 * of its `spillway.js`: a bench that reports the controller's memory runs what users run, not
 * the TypeScript source through tsx, whose loader adds about 90 MiB of resident memory.
 */
export function compileController(outDir: string): string {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  return join(outDir, 'src', 'cli', 'spillway.js');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The q-quantile of xs (nearest rank); NaN for no samples. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

/** fn(0) .. fn(n - 1), at most `limit` at a time. */
export async function inParallel(
  n: number,
  limit: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** ms from `start` until `observe` returns `want`, polling every 5 ms; throws after 60 s. */
export async function timeUntil(
  start: number,
  want: number,
  observe: () => Promise<number>,
): Promise<number> {
  for (;;) {
    if ((await observe()) === want) return performance.now() - start;
    if (performance.now() - start > 60_000) throw new Error(`not ${want} after 60 s`);
    await sleep(5);
  }
}

/** Every Deployment of a namespace, in pages of 500. */
export async function listDeployments(apps: AppsV1Api, namespace: string): Promise<V1Deployment[]> {
  const out: V1Deployment[] = [];
  let token: string | undefined;
  do {
    const page = await apps.listNamespacedDeployment({
      namespace,
      limit: 500,
      ...(token ? { _continue: token } : {}),
    });
    out.push(...page.items);
    token = page.metadata?._continue || undefined;
  } while (token);
  return out;
}

/** How many workloads of a namespace have at least one Ready replica, over all members. */
export async function readyWorkloads(members: AppsV1Api[], namespace: string): Promise<number> {
  const ready = new Map<string, number>();
  for (const apps of members)
    for (const d of await listDeployments(apps, namespace)) {
      const name = d.metadata?.name ?? '';
      ready.set(name, (ready.get(name) ?? 0) + (d.status?.readyReplicas ?? 0));
    }
  let done = 0;
  for (const r of ready.values()) if (r >= 1) done++;
  return done;
}

/** What `kubectl scale` sends: a patch of the Deployment's scale subresource. */
export async function scaleDeployment(
  apps: AppsV1Api,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await apps.patchNamespacedDeploymentScale({
    name,
    namespace,
    body: [{ op: 'replace', path: '/spec/replicas', value: replicas }],
  });
}

/** The replicas a Deployment of that name asks for, summed over the members that hold it. */
export async function memberReplicas(apps: AppsV1Api[], ns: string, name: string): Promise<number> {
  const all = await Promise.all(
    apps.map((a) =>
      a.readNamespacedDeployment({ name, namespace: ns }).then(
        (d) => d.spec?.replicas ?? 0,
        () => 0,
      ),
    ),
  );
  return all.reduce((s, x) => s + x, 0);
}
