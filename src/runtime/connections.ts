/**
 * Kept-alive connections to an API server, and a count of the requests made.
 *
 * `@kubernetes/client-node` 1.x gives every API call a new `https.Agent`, so every call opens
 * a new TCP connection and does a full TLS handshake. Measured on the local fleet, that was most
 * of a reconcile's latency and a large share of the controllers' CPU (the handshake's crypto).
 * `shareConnections` makes every call through one KubeConfig use one kept-alive agent, as
 * client-go's transport does. Watches are left alone: the library destroys every socket of a
 * watch's agent when the watch ends, so they must not share one.
 */
import { Agent, type AgentOptions } from 'node:https';
import { KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { Counter, type Registry } from 'prom-client';

/**
 * Requests by verb (`get`, `post`, `put`, `patch`, `delete`, `watch`) and resource (`leases`,
 * `deployments`, ...), for the whole process, keyed `verb resource`.
 */
const counts = new Map<string, number>();

export function requestCounts(): ReadonlyMap<string, number> {
  return counts;
}

/** The resource (plural) a request path names: /api/v1/namespaces/a/pods/x -> pods. */
export function resourceOf(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]+/, '').split('?')[0] ?? '';
  const parts = path.split('/').filter((p) => p !== '');
  const at = parts[0] === 'api' ? 2 : 3;
  if (parts[at] === 'namespaces' && parts.length > at + 2) return parts[at + 2] ?? '';
  return parts[at] ?? '';
}

function count(verb: string, url: string): void {
  const key = `${verb} ${resourceOf(url)}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** The part of client-node's RequestContext this module uses. */
interface Context {
  getHttpMethod(): string;
  getUrl(): string;
  getAgent(): unknown;
  setAgent(agent: Agent): void;
}

type Authenticate = (context: Context) => Promise<void>;
type FetchOptions = (opts: object) => Promise<object>;

const shared = new WeakSet<KubeConfig>();

/** Which TLS settings an agent was made for: a new client certificate needs a new agent. */
function sameTls(a: AgentOptions, b: AgentOptions): boolean {
  const eq = (x: unknown, y: unknown): boolean =>
    Buffer.isBuffer(x) && Buffer.isBuffer(y) ? x.equals(y) : x === y;
  return (
    eq(a.ca, b.ca) &&
    eq(a.cert, b.cert) &&
    eq(a.key, b.key) &&
    a.rejectUnauthorized === b.rejectUnauthorized &&
    a.servername === b.servername
  );
}

/**
 * Makes the calls through `kc` reuse kept-alive connections and counts them. Idempotent;
 * returns `kc`.
 */
export function shareConnections(kc: KubeConfig): KubeConfig {
  if (shared.has(kc)) return kc;
  shared.add(kc);
  const target = kc as unknown as {
    applySecurityAuthentication: Authenticate;
    applyToFetchOptions: FetchOptions;
  };
  const authenticate = target.applySecurityAuthentication.bind(kc);
  const fetchOptions = target.applyToFetchOptions.bind(kc);
  let agent: Agent | undefined;
  let agentFor: AgentOptions | undefined;
  target.applySecurityAuthentication = async (context: Context): Promise<void> => {
    count(context.getHttpMethod().toLowerCase(), context.getUrl());
    await authenticate(context);
    const fresh = context.getAgent();
    // Only the library's own fresh https.Agent is replaced: proxies, plain HTTP and agents
    // wrapped by another layer (the write fence) are left as they are.
    if (!(fresh instanceof Agent) || Object.getPrototypeOf(fresh) !== Agent.prototype) return;
    const options = (fresh as Agent & { options: AgentOptions }).options;
    if (!agent || !agentFor || !sameTls(agentFor, options)) {
      agent?.destroy();
      agentFor = options;
      agent = new Agent({ ...options, keepAlive: true });
    }
    context.setAgent(agent);
  };
  // Only watches (and logs, exec) come this way in the library.
  // (The URL is not passed here, so watches are counted by verb only.)
  target.applyToFetchOptions = async (opts: object): Promise<object> => {
    count('watch', '');
    return fetchOptions(opts);
  };
  return kc;
}

/** `spillway_api_requests_total{verb,resource}`: the counts above, on a controller's /metrics. */
export function registerRequestMetric(registry: Registry): void {
  if (registry.getSingleMetric('spillway_api_requests_total')) return;
  new Counter({
    name: 'spillway_api_requests_total',
    help: 'API requests this process made, to the hub and every member, by verb (watch: watch streams opened) and resource.',
    labelNames: ['verb', 'resource'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of counts) {
        const [verb = '', resource = ''] = key.split(' ');
        this.inc({ verb, resource }, n);
      }
    },
  });
}

const objectApis = new WeakMap<KubeConfig, KubernetesObjectApi>();

/**
 * One generic object client per KubeConfig. Each client keeps its own cache of API discovery
 * (which resource a kind is), so a client made per call asked the server for it every time.
 */
export function objectApi(kc: KubeConfig): KubernetesObjectApi {
  let api = objectApis.get(kc);
  if (!api) {
    api = KubernetesObjectApi.makeApiClient(kc);
    objectApis.set(kc, api);
  }
  return api;
}
