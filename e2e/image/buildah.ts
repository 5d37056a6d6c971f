/**
 * The image `make image` built (hack/build-image.sh), read and run through buildah with the
 * script's own storage under $SPILLWAY_CACHE/image. Test infrastructure, not product.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../fleet/index.js';
import { startProcess, type ProcessRecord } from '../fleet/processes.js';

const CACHE = process.env.SPILLWAY_CACHE ?? join(homedir(), '.cache', 'spillway');
const STORE = join(CACHE, 'image');
const version = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** The reference `make image` tags (hack/build-image.sh's defaults). */
export const IMAGE = `${process.env.SPILLWAY_IMAGE ?? 'ghcr.io/spillway-dev/spillway'}:${version}`;

/** The OCI archive `make image` writes (for `ctr images import`). */
export function imageArchive(): string {
  return join(STORE, `spillway-${version}.oci.tar`);
}

/**
 * Builds the image again from the Dockerfile (hack/build-image.sh, cached layers) as
 * `<repository>:<tag>`, stamped with `buildId` so its image ID differs from every other build;
 * returns the OCI archive.
 */
export function rebuildImage(tag: string, buildId: string): { image: string; archive: string } {
  execFileSync('bash', [join(REPO_ROOT, 'hack', 'build-image.sh'), tag], {
    env: { ...process.env, SPILLWAY_IMAGE_BUILD_ID: buildId },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return {
    image: `${IMAGE.slice(0, IMAGE.lastIndexOf(':'))}:${tag}`,
    archive: join(STORE, `spillway-${tag}.oci.tar`),
  };
}

const STORAGE_FLAGS = [
  '--root',
  join(STORE, 'storage'),
  '--runroot',
  join(STORE, 'run'),
  '--storage-driver',
  'overlay',
];

function buildah(args: string[]): string {
  return execFileSync('buildah', [...STORAGE_FLAGS, ...args], { encoding: 'utf8' });
}

/** The image's OCI config: what a container runtime runs. */
export interface ImageConfig {
  User?: string;
  WorkingDir?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
}

export function imageConfig(image = IMAGE): ImageConfig {
  const out = JSON.parse(buildah(['inspect', '--type', 'image', image])) as {
    OCIv1: { config?: ImageConfig };
  };
  return out.OCIv1.config ?? {};
}

/** A working container of the image (its rootfs, with the image's user, workdir, entrypoint). */
export function newContainer(name: string, image = IMAGE): string {
  spawnSync('buildah', [...STORAGE_FLAGS, 'rm', name], { stdio: 'ignore' }); // an old run's
  return buildah(['from', '--pull=never', '--name', name, image]).trim();
}

/** Runs argv in the container (as the image's user, in its workdir); never throws. */
export function runIn(
  container: string,
  argv: string[],
): { status: number | null; stdout: string; stderr: string } {
  // No network: buildah's default would make a CNI bridge and iptables chains on the machine.
  const r = spawnSync(
    'buildah',
    [...STORAGE_FLAGS, 'run', '--network', 'none', container, '--', ...argv],
    {
      encoding: 'utf8',
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The image's entrypoint with `args`, as a long-running process on the host network (so it
 * reaches the local fleet's loopback API servers), with `mounts` (host path, read-only).
 * Stopping the buildah process kills the container.
 */
export function startEntrypoint(
  container: string,
  args: string[],
  mounts: string[],
  log: string,
): ProcessRecord {
  const cfg = imageConfig();
  const volumes = mounts.flatMap((m) => ['-v', `${m}:${m}:ro`]);
  const argv = [...(cfg.Entrypoint ?? []), ...args];
  return startProcess(
    container,
    'buildah',
    [...STORAGE_FLAGS, 'run', '--network', 'host', ...volumes, container, '--', ...argv],
    log,
    container,
  );
}

/** Removes the container and the mounts containers/storage leaves behind. */
export function removeContainer(container: string): void {
  spawnSync('buildah', [...STORAGE_FLAGS, 'rm', container], { stdio: 'ignore' });
  spawnSync('buildah', [...STORAGE_FLAGS, 'umount', '--all'], { stdio: 'ignore' });
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${STORE}/`))
    .sort()
    .reverse();
  for (const m of mounts) spawnSync('umount', [m], { stdio: 'ignore' });
}
