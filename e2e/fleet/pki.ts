/**
 * Certificates and keys for a fleet, made with the openssl CLI: one CA per fleet, a serving
 * certificate per API server (valid for 127.0.0.1 and localhost) and a service-account key
 * pair. Clients authenticate with a static admin token, which keeps the kubeconfigs simple.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface FleetPki {
  dir: string;
  caCert: string;
  caKey: string;
  saKey: string;
  saPub: string;
  tokenFile: string;
  adminToken: string;
}

export function ensurePki(dir: string): FleetPki {
  mkdirSync(dir, { recursive: true });
  const pki: FleetPki = {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    tokenFile: join(dir, 'tokens.csv'),
    adminToken: '',
  };
  if (!existsSync(pki.caCert)) {
    openssl(['genrsa', '-out', 'ca.key', '2048'], dir);
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ca.key',
        '-subj',
        '/CN=spillway-local-fleet-ca',
        '-days',
        '3650',
        '-out',
        'ca.crt',
      ],
      dir,
    );
    openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
    openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    const token = randomBytes(24).toString('hex');
    // token,user,uid,"groups": system:masters makes it a cluster admin on every member.
    writeFileSync(pki.tokenFile, `${token},fleet-admin,fleet-admin,"system:masters"\n`, {
      mode: 0o600,
    });
  }
  pki.adminToken = execFileSync('cut', ['-d,', '-f1', pki.tokenFile], { encoding: 'utf8' }).trim();
  return pki;
}

/** A serving certificate for one API server, signed by the fleet CA. */
export function ensureServingCert(
  pki: FleetPki,
  name: string,
  extraNames: string[] = [],
): { cert: string; key: string } {
  const cert = join(pki.dir, `${name}.crt`);
  const key = join(pki.dir, `${name}.key`);
  if (!existsSync(cert)) {
    const ext = join(pki.dir, `${name}.ext`);
    writeFileSync(
      ext,
      `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', ...extraNames].join(',')}\nextendedKeyUsage=serverAuth\n`,
    );
    openssl(['genrsa', '-out', `${name}.key`, '2048'], pki.dir);
    openssl(
      ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`],
      pki.dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '3650',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      ],
      pki.dir,
    );
  }
  return { cert, key };
}
