/**
 * `spillway wait-for-apiserver --kubeconfig f [--timeout 300]`: returns once the kubeconfig's API
 * server answers /readyz with 200. The hub chart runs it as the init container of the dedicated
 * control plane's kube-controller-manager, which exits (and is restarted by the kubelet) when its
 * API server does not answer within its first seconds, as happens on every fresh install.
 */
import { request, type RequestOptions } from 'node:https';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';

/** One GET of /readyz; the status code, or the network error's message. */
async function readyz(kc: KubeConfig): Promise<number | string> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig names no cluster server');
  const opts: RequestOptions = { method: 'GET', timeout: 5000 };
  await kc.applyToHTTPSOptions(opts);
  const url = new URL('/readyz', server);
  return new Promise((resolve) => {
    const req = request(url, opts, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      timeout: { type: 'string', default: '300' },
    },
  });
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new Error(`--timeout wants a positive number of seconds, got ${values.timeout}`);
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const last = await readyz(kc);
    if (last === 200) {
      process.stdout.write(`API server ${kc.getCurrentCluster()?.server ?? ''} is ready\n`);
      return;
    }
    if (Date.now() >= deadline)
      throw new Error(`API server not ready after ${timeoutSeconds}s; last answer: ${last}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
