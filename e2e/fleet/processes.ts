/**
 * Long-running fleet processes: started detached (they outlive `make fleet-up`), output to a
 * log file, pid to a file. Stopping goes by the recorded pid, and only after checking that the
 * pid still runs the binary we started, so a recycled pid never kills someone else's process.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';

export interface ProcessRecord {
  name: string;
  pid: number;
  /** An argument the process's command line must contain (its binary or script path). */
  match: string;
  log: string;
  /** How it was started, so a test can start it again after stopping it. */
  binary: string;
  args: string[];
}

export function startProcess(
  name: string,
  binary: string,
  args: string[],
  log: string,
  match: string = binary,
  env: NodeJS.ProcessEnv = process.env,
): ProcessRecord {
  const fd = openSync(log, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`${name}: could not start ${binary}`);
  return { name, pid: child.pid, match, log, binary, args };
}

/** True when pid is alive and still runs what we started (checked through /proc/<pid>/cmdline). */
export function isRunning(rec: Pick<ProcessRecord, 'pid' | 'match'>): boolean {
  const cmdline = `/proc/${rec.pid}/cmdline`;
  if (!existsSync(cmdline)) return false;
  try {
    const argv = readFileSync(cmdline, 'utf8').split('\0');
    const stat = readFileSync(`/proc/${rec.pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false; // a zombie has exited already
    return argv.some((a) => a === rec.match);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(rec: ProcessRecord, graceMs = 10_000): Promise<void> {
  if (!isRunning(rec)) return;
  try {
    process.kill(rec.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(rec) && Date.now() < deadline) await sleep(100);
  if (isRunning(rec)) {
    try {
      process.kill(rec.pid, 'SIGKILL');
    } catch {
      return;
    }
    while (isRunning(rec)) await sleep(50);
  }
}

/** Resident set size of a process in bytes (0 if it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}
