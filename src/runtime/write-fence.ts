/**
 * Fencing for leader election. A leader frozen past its lease (a long GC pause, SIGSTOP, a VM
 * migration) wakes up with reconciles in flight and events queued: without a fence they write
 * before its next lease check notices another replica leads now, and a forced apply of a stale
 * placement would undo the new leader's work. A fenced KubeConfig refuses, before anything is
 * sent, every write (any method but GET, HEAD and OPTIONS) while its gate says this process does
 * not hold a fresh lease. Reads, watches included, still go through, so caches stay warm.
 */
import type { Agent, ClientRequest } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

type Gate = () => boolean;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const gates = new WeakMap<KubeConfig, Gate>();

export class NotLeaderError extends Error {
  constructor(method: string) {
    super(`${method} refused: this replica does not hold the leader lease`);
    this.name = 'NotLeaderError';
  }
}

/** `kc` with writes gated by `mayWrite`; `kc` itself is left as it is (the lease needs it). */
export function fenceWrites(kc: KubeConfig, mayWrite: Gate): KubeConfig {
  // Every other property and method comes from `kc` through the prototype chain.
  const fenced = Object.create(kc) as KubeConfig;
  fenced.applySecurityAuthentication = async (context) => {
    const method = String(context.getHttpMethod());
    if (READS.has(method)) return kc.applySecurityAuthentication(context);
    if (!mayWrite()) throw new NotLeaderError(method);
    await kc.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent) context.setAgent(gatedAgent(agent, mayWrite, method));
  };
  gates.set(fenced, mayWrite);
  return fenced;
}

interface RequestAgent {
  addRequest(req: ClientRequest, options: unknown): void;
}

/**
 * The agent, checking the gate once more when the request is handed to it, synchronously inside
 * http.request: between the first check and this one lie awaits, and the process may have been
 * frozen there. What passed this check was on its way before the freeze, as with any leader.
 */
function gatedAgent(agent: Agent, mayWrite: Gate, method: string): Agent {
  const inner = agent as unknown as RequestAgent;
  const gated = Object.create(agent) as Agent & RequestAgent;
  gated.addRequest = (req, options) => {
    if (mayWrite()) {
      inner.addRequest(req, options);
      return;
    }
    // Without a socket, destroy() emits nothing: the caller would wait for ever.
    const error = new NotLeaderError(method);
    req.destroy(error);
    process.nextTick(() => {
      req.emit('error', error);
      req.emit('close');
    });
  };
  return gated;
}

/** The gate of a fenced KubeConfig; always open for one that is not fenced. */
export function writeGateOf(kc: KubeConfig): Gate {
  return gates.get(kc) ?? (() => true);
}
