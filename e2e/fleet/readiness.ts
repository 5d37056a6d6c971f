/** Waiting for a fresh API server: polls /readyz over TLS with the fleet CA and admin token. */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';

function getStatus(url: string, ca: Buffer, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitReady(
  server: string,
  caCertPath: string,
  token: string,
  timeoutMs: number,
  isAlive: () => boolean,
  what: string,
): Promise<void> {
  const ca = readFileSync(caCertPath);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await getStatus(`${server}/readyz`, ca, token)) === 200) return;
    if (!isAlive()) throw new Error(`${what} exited while starting`);
    await sleep(250);
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000}s`);
}

/** Polls an async predicate until it holds. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok: boolean;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
