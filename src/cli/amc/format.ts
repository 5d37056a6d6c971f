/**
 * `kubectl amc` tables: the columns of `kubectl get` with CLUSTER and CLUSTER_ALIAS after NAME,
 * as the managed fleet's multi-cluster view prints them. Pure formatting, no I/O.
 */

export interface PodRow {
  namespace?: string;
  name: string;
  cluster: string;
  alias: string;
  readyContainers: number;
  containers: number;
  status: string;
  restarts: number;
  createdMs: number;
  ip?: string;
  node?: string;
  nominatedNode?: string;
  readinessGates?: string;
  adopted: boolean;
}

export interface NodeRow {
  name: string;
  cluster: string;
  alias: string;
  status: string;
  roles: string;
  createdMs: number;
  version: string;
  internalIp?: string;
  adopted: boolean;
}

/** kubectl's age: 42s, 5m3s, 18m, 3h14m, 18h, 2d3h, 400d. */
export function age(createdMs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - createdMs) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  return `${d}d`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
      .join('')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** With `allNamespaces` (-A) a NAMESPACE column comes first, as in `kubectl get -A`. */
export function podTable(
  rows: PodRow[],
  wide: boolean,
  nowMs: number,
  allNamespaces = false,
): string {
  const header = ['NAME', 'CLUSTER', 'CLUSTER_ALIAS', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (allNamespaces) header.unshift('NAMESPACE');
  if (wide) header.push('IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES', 'ADOPTION');
  return table(
    header,
    rows.map((r) => {
      const cells = [
        r.name,
        r.cluster,
        r.alias,
        `${r.readyContainers}/${r.containers}`,
        r.status,
        String(r.restarts),
        age(r.createdMs, nowMs),
      ];
      if (allNamespaces) cells.unshift(r.namespace ?? '');
      if (wide)
        cells.push(
          r.ip ?? '<none>',
          r.node ?? '<none>',
          r.nominatedNode ?? '<none>',
          r.readinessGates ?? '<none>',
          r.adopted ? 'Y' : 'N',
        );
      return cells;
    }),
  );
}

export function nodeTable(rows: NodeRow[], wide: boolean, nowMs: number): string {
  const header = ['NAME', 'CLUSTER', 'CLUSTER_ALIAS', 'STATUS', 'ROLES', 'AGE', 'VERSION'];
  if (wide) header.push('INTERNAL-IP');
  header.push('ADOPTION');
  return table(
    header,
    rows.map((r) => {
      const cells = [
        r.name,
        r.cluster,
        r.alias,
        r.status,
        r.roles,
        age(r.createdMs, nowMs),
        r.version,
      ];
      if (wide) cells.push(r.internalIp ?? '<none>');
      cells.push(r.adopted ? 'Y' : 'N');
      return cells;
    }),
  );
}

/** Sort as the seed shows: by cluster alias, then namespace (with -A), then name. */
export function byClusterThenName<T extends { alias: string; name: string; namespace?: string }>(
  a: T,
  b: T,
): number {
  return (
    a.alias.localeCompare(b.alias) ||
    (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
    a.name.localeCompare(b.name)
  );
}
