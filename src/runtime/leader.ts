/**
 * Leader election on a coordination.k8s.io Lease, the way client-go's leaderelection does it:
 * the holder renews the lease every retry period; another candidate takes over only once the
 * lease has not been renewed for its duration. A leader that fails to renew within the renew
 * deadline stops leading (the caller exits, so two leaders never act at once).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { errorMessage, type Logger } from './logger.js';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** The Lease API's MicroTime wants exactly six fractional digits; a JS Date has three. */
function microTime(d: Date): Date {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

function timeOf(v: Date | string | undefined): number {
  return v === undefined ? 0 : new Date(v).getTime();
}

export class LeaderElector {
  readonly identity: string;
  private readonly api: CoordinationV1Api;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.identity = opts.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
    this.api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  /**
   * Leading with a lease renewed within the renew deadline, by this process's clock: a leader
   * that was frozen past its lease is not one any more, even before its next lease check runs.
   */
  get isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenew < this.renewDeadlineMs;
  }

  private get renewDeadlineMs(): number {
    return (this.opts.renewDeadlineSeconds ?? 10) * 1000;
  }

  private get duration(): number {
    return this.opts.leaseDurationSeconds ?? 15;
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      await this.tryAcquireOrRenew();
      if (!this.stopped)
        this.timer = setTimeout(() => void tick(), (this.opts.retryPeriodSeconds ?? 2) * 1000);
    };
    void tick();
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({
        name: this.opts.name,
        namespace: this.opts.namespace,
      });
      if (lease.spec?.holderIdentity === this.identity) {
        lease.spec.holderIdentity = '';
        lease.spec.leaseDurationSeconds = 1;
        lease.spec.renewTime = microTime(new Date(0));
        await this.api.replaceNamespacedLease({
          name: this.opts.name,
          namespace: this.opts.namespace,
          body: lease,
        });
      }
    } catch (err) {
      this.opts.logger.warn('could not release the leader lease', { error: errorMessage(err) });
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const { name, namespace } = this.opts;
    try {
      let lease: V1Lease | undefined;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
      if (!lease) {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: this.identity,
              leaseDurationSeconds: this.duration,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
        });
        return this.renewed(now);
      }
      // A read that took longer than the renew deadline (this process was frozen meanwhile) is
      // too old to act on: another replica may hold the lease by now.
      if (Date.now() - now.getTime() > this.renewDeadlineMs) return this.notRenewed(new Date());
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const expired =
        timeOf(spec.renewTime) + (spec.leaseDurationSeconds ?? this.duration) * 1000 <
        now.getTime();
      if (holder !== this.identity && holder !== '' && !expired) return this.notRenewed(now);
      const takeover = holder !== this.identity;
      lease.spec = {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: this.duration,
        renewTime: microTime(now),
        acquireTime: takeover ? microTime(now) : microTime(new Date(timeOf(spec.acquireTime))),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover ? 1 : 0),
      };
      // resourceVersion in the body makes this a compare-and-swap: two candidates cannot both win.
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.renewed(now);
    } catch (err) {
      this.opts.logger.debug('leader lease not acquired or renewed', { error: errorMessage(err) });
      this.notRenewed(now);
    }
  }

  private renewed(now: Date): void {
    // A renewal that was in flight when stop() ran must not make us leader again.
    if (this.stopped) return;
    this.lastRenew = now.getTime();
    if (!this.leading) {
      this.leading = true;
      this.opts.logger.info('became leader', {
        lease: `${this.opts.namespace}/${this.opts.name}`,
        identity: this.identity,
      });
      this.opts.onStartedLeading();
    }
  }

  private notRenewed(now: Date): void {
    if (this.leading && now.getTime() - this.lastRenew > this.renewDeadlineMs) {
      this.leading = false;
      this.opts.logger.error('lost leadership', {
        lease: `${this.opts.namespace}/${this.opts.name}`,
      });
      this.opts.onStoppedLeading();
    }
  }
}
