/** Kubeconfig files for the fleet's clusters: one per cluster plus one with every context. */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigEntry {
  /** Context, cluster and user name in the file. */
  name: string;
  server: string;
}

export function renderKubeconfig(
  entries: KubeconfigEntry[],
  caCertPath: string,
  token: string,
): string {
  const ca = readFileSync(caCertPath).toString('base64');
  const first = entries[0];
  if (!first) throw new Error('renderKubeconfig: no clusters');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': first.name,
    clusters: entries.map((e) => ({
      name: e.name,
      cluster: { server: e.server, 'certificate-authority-data': ca },
    })),
    users: entries.map((e) => ({ name: e.name, user: { token } })),
    contexts: entries.map((e) => ({ name: e.name, context: { cluster: e.name, user: e.name } })),
  });
}

export function writeKubeconfig(
  path: string,
  entries: KubeconfigEntry[],
  caCertPath: string,
  token: string,
): void {
  writeFileSync(path, renderKubeconfig(entries, caCertPath, token), { mode: 0o600 });
}
