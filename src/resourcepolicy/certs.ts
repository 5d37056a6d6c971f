/**
 * TLS for the webhook. kube-apiserver calls webhooks over HTTPS and checks the serving
 * certificate against the caBundle of the MutatingWebhookConfiguration. Either the operator
 * gives files (e.g. from cert-manager), or a CA and a serving certificate are made at start-up
 * with the openssl CLI in a private temporary directory and the CA goes into the caBundle; they
 * live as long as the process, which rewrites the caBundle each time it starts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WebhookTls {
  cert: string;
  key: string;
  /** PEM of the CA that signed `cert`: the webhook configuration's caBundle. */
  ca: string;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Defaults to certFile (a self-signed serving certificate is its own CA). */
  caFile?: string;
}

export function loadTls(files: TlsFiles): WebhookTls {
  return {
    cert: readFileSync(files.certFile, 'utf8'),
    key: readFileSync(files.keyFile, 'utf8'),
    ca: readFileSync(files.caFile ?? files.certFile, 'utf8'),
  };
}

/** subjectAltName entries: IP addresses as IP:, everything else as DNS:. */
export function subjectAltNames(hosts: readonly string[]): string {
  return hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

/** A fresh CA and a serving certificate it signed, valid for `hosts` for one year. */
export function generateTls(hosts: readonly string[]): WebhookTls {
  if (hosts.length === 0) throw new Error('the webhook certificate needs at least one host');
  const dir = mkdtempSync(join(tmpdir(), 'spillway-webhook-'));
  const openssl = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=spillway-webhook-ca',
      '-days',
      '365',
      '-out',
      'ca.crt',
    ]);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls.key']);
    openssl(['req', '-new', '-key', 'tls.key', '-subj', `/CN=${hosts[0]}`, '-out', 'tls.csr']);
    writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${subjectAltNames(hosts)}\n`);
    openssl([
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '365',
      '-extfile',
      'ext.cnf',
      '-out',
      'tls.crt',
    ]);
    return {
      cert: readFileSync(join(dir, 'tls.crt'), 'utf8'),
      key: readFileSync(join(dir, 'tls.key'), 'utf8'),
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
