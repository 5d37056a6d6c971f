/**
 * A real Prometheus (the Debian package) for e2e tests: a generated configuration scraping
 * loopback targets every second, rule files, a free loopback port; stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../fleet/index.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Panel {
  title: string;
  targets: { expr: string }[];
}

/**
 * Every panel query of both charts' Grafana dashboards, with the `$job` variable as Grafana
 * fills it for "All".
 */
export function chartDashboardQueries(): { panel: string; expr: string }[] {
  return [
    'spillway-hub/dashboards/spillway-fleet.json',
    'spillway-member/dashboards/spillway-resource-policy.json',
  ].flatMap((file) => {
    const d = JSON.parse(readFileSync(join(REPO_ROOT, 'charts', file), 'utf8')) as {
      panels: Panel[];
    };
    return d.panels.flatMap((p) =>
      p.targets.map((t) => ({ panel: p.title, expr: t.expr.replaceAll('$job', '.+') })),
    );
  });
}

function scrapeConfig(job: string, target: number | string | string[]): object {
  const targets =
    typeof target === 'number'
      ? [`127.0.0.1:${target}`]
      : Array.isArray(target)
        ? target
        : [target];
  return { job_name: job, static_configs: [{ targets }] };
}

export interface PromQueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

export class Prometheus {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  /**
   * Starts Prometheus scraping job name -> 127.0.0.1:port or `host:port` targets (e.g. the
   * pod addresses behind a Service of the local fleet's real node), with the given rule groups.
   */
  static async start(
    jobs: Record<string, number | string | string[]>,
    ruleGroups: unknown[],
  ): Promise<Prometheus> {
    if (!existsSync(PROMETHEUS_BIN))
      throw new Error(`${PROMETHEUS_BIN} missing: apt-get install prometheus (see .ci/run)`);
    const dir = mkdtempSync(join(tmpdir(), 'spillway-prometheus-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups }));
    writeFileSync(
      join(dir, 'prometheus.yaml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(dir, 'rules.yaml')],
        scrape_configs: Object.entries(jobs).map(([job, target]) => scrapeConfig(job, target)),
      }),
    );
    const port = await freePort();
    const child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${join(dir, 'prometheus.yaml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const prom = new Prometheus(child, dir, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      const ok = await fetch(`${prom.url}/-/ready`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return prom;
      if (Date.now() > deadline) throw new Error(`prometheus not ready: ${stderr}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async get<T>(path: string): Promise<T> {
    const r = await fetch(`${this.url}${path}`);
    return (await r.json()) as T;
  }

  query(expr: string): Promise<PromQueryResult> {
    return this.get<PromQueryResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.pid !== undefined) {
      const exited = new Promise((r) => this.child.once('exit', r));
      process.kill(this.child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
