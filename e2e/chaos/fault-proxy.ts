/**
 * A small fault-injecting TCP proxy on loopback, in front of one member's API server (test
 * infrastructure). TLS passes through untouched (the member's serving certificate is valid for
 * 127.0.0.1), so the controller only sees a slower, lossier network: added latency per chunk,
 * connections dropped (accepted, then never answered) and connections reset. Faults are always
 * bounded: `inject` takes a duration and the proxy heals by itself when it ends, closing what it
 * held.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface NetworkFaults {
  /** Added one-way latency per chunk, ms: uniform in [min, max]. */
  latencyMs: [number, number];
  /** Share of new connections accepted and then never forwarded. */
  dropRate: number;
  /** Share of new connections reset at once, and of open ones reset when the faults start. */
  resetRate: number;
}

export interface ProxyStats {
  connections: number;
  delayedChunks: number;
  dropped: number;
  reset: number;
}

export class FaultProxy {
  readonly stats: ProxyStats = { connections: 0, delayedChunks: 0, dropped: 0, reset: 0 };
  private server: Server | undefined;
  private faults: NetworkFaults | undefined;
  private healTimer: NodeJS.Timeout | undefined;
  private readonly open = new Set<Socket>();
  private readonly held = new Set<Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    private readonly random: () => number = Math.random,
  ) {}

  /** Listens on 127.0.0.1 (a free port); returns the port. */
  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
    return addr.port;
  }

  get active(): boolean {
    return this.faults !== undefined;
  }

  /** Faults for `durationMs`, then healthy again (dropped connections closed). */
  inject(faults: NetworkFaults, durationMs: number): Promise<void> {
    this.faults = faults;
    for (const s of [...this.open])
      if (this.random() < faults.resetRate) {
        this.stats.reset++;
        s.resetAndDestroy();
      }
    clearTimeout(this.healTimer);
    return new Promise((resolve) => {
      this.healTimer = setTimeout(() => {
        this.heal();
        resolve();
      }, durationMs);
    });
  }

  heal(): void {
    clearTimeout(this.healTimer);
    this.faults = undefined;
    for (const s of this.held) s.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    this.heal();
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(client: Socket): void {
    this.stats.connections++;
    client.on('error', () => undefined);
    const f = this.faults;
    if (f && this.random() < f.resetRate) {
      this.stats.reset++;
      client.resetAndDestroy();
      return;
    }
    if (f && this.random() < f.dropRate) {
      // Accepted and never answered, until the faults end: what a lost route looks like.
      this.stats.dropped++;
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      client.resume();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => {
      upstream.destroy();
      this.open.delete(client);
    });
    upstream.on('close', () => client.destroy());
    this.open.add(client);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /**
   * Forwards chunks in order, each `latency` after it arrived (none when healthy). Latency, not a
   * throughput cap: a chunk waits for its own delay and for the chunk before it, never for the sum
   * of all delays before it, so a busy stream (a watch) is at most the largest delay behind, and
   * is caught up as soon as the faults end.
   */
  private pipe(from: Socket, to: Socket): void {
    let last = 0; // when the previous chunk is forwarded, ms since epoch
    let queue = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const f = this.faults;
      let delay = 0;
      if (f) {
        this.stats.delayedChunks++;
        const [min, max] = f.latencyMs;
        delay = min + this.random() * (max - min);
      }
      const due = (last = forwardTime(last, Date.now(), delay));
      queue = queue.then(() => forwardAt(to, chunk, due));
    });
    from.on('end', () => void queue.then(() => to.end()));
  }
}

/**
 * When a chunk that arrived at `arrival` with `delay` of latency is forwarded, given when the
 * chunk before it on the same connection is (`previous`): its own delay, kept in order.
 */
export function forwardTime(previous: number, arrival: number, delay: number): number {
  return Math.max(previous, arrival + delay);
}

/** Writes `chunk` to `to` at `due` (ms since epoch), or at once when that has passed. */
function forwardAt(to: Socket, chunk: Buffer, due: number): Promise<void> {
  const wait = due - Date.now();
  if (wait <= 0) {
    if (!to.destroyed) to.write(chunk);
    return Promise.resolve();
  }
  return new Promise((resolve) =>
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
      resolve();
    }, wait),
  );
}
