import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from '@jest/globals';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { NotLeaderError, fenceWrites, writeGateOf } from '../../../src/runtime/write-fence.js';

function config(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const request = (method: HttpMethod) =>
  new RequestContext('https://127.0.0.1:6443/api/v1/pods', method);

describe('write fence', () => {
  it('refuses writes while the gate is closed, and lets reads through', async () => {
    let leading = false;
    const kc = config();
    const fenced = fenceWrites(kc, () => leading);
    for (const m of [HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE])
      await expect(fenced.applySecurityAuthentication(request(m))).rejects.toBeInstanceOf(
        NotLeaderError,
      );
    const read = request(HttpMethod.GET);
    await fenced.applySecurityAuthentication(read);
    expect(read.getHeaders().Authorization).toBe('Bearer secret');

    leading = true;
    const write = request(HttpMethod.PATCH);
    await fenced.applySecurityAuthentication(write);
    expect(write.getHeaders().Authorization).toBe('Bearer secret');
  });

  it('refuses a write whose gate closed between the first check and http.request', async () => {
    let leading = true;
    const fenced = fenceWrites(config(), () => leading);
    const context = request(HttpMethod.PATCH);
    await fenced.applySecurityAuthentication(context);
    leading = false; // e.g. frozen past the lease between the two
    const req = httpsRequest('https://127.0.0.1:6443/api/v1/pods', {
      method: 'PATCH',
      agent: context.getAgent(),
    });
    let socket = false;
    req.on('socket', () => (socket = true));
    const error = await new Promise<unknown>((resolve) => req.on('error', resolve));
    expect(error).toBeInstanceOf(NotLeaderError);
    expect(socket).toBe(false);
  });

  it('leaves the original config unfenced and keeps its settings', async () => {
    const kc = config();
    const fenced = fenceWrites(kc, () => false);
    expect(fenced.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    await kc.applySecurityAuthentication(request(HttpMethod.PATCH));
    expect(writeGateOf(kc)()).toBe(true);
    expect(writeGateOf(fenced)()).toBe(false);
  });
});
