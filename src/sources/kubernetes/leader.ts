// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews every renewMs; anyone may take the Lease once renewTime + leaseDuration has
// passed. Writes carry the resourceVersion read, so two candidates racing for an expired Lease
// cannot both win (the second gets 409 Conflict). Only the holder writes status and CA Secrets.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../model';

/**
 * A Lease's times are MicroTime: the API server wants six fractional digits and refuses a Date's
 * three. client-node passes a value it has no model for through as is, so a string goes out.
 */
function microTime(d: Date): Date {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

export interface LeaderOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  /** This replica's identity (its Pod name in a cluster). */
  identity: string;
  leaseDurationMs?: number;
  renewMs?: number;
  log: Logger;
}

export class LeaderElector extends EventEmitter<{ started: []; stopped: [] }> {
  private readonly api: CoordinationV1Api;
  private readonly durationMs: number;
  private readonly renewMs: number;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  /** When we last renewed: past renewMs * 2 without success we stop acting as leader. */
  private lastRenew = 0;

  constructor(private readonly o: LeaderOptions) {
    super();
    this.api = o.kc.makeApiClient(CoordinationV1Api);
    this.durationMs = o.leaseDurationMs ?? 15_000;
    this.renewMs = o.renewMs ?? 5_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Gives the Lease up (so a successor need not wait for it to expire) and stops trying. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.api.readNamespacedLease({ namespace: this.o.namespace, name: this.o.name });
      if (lease.spec?.holderIdentity === this.o.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.renewTime = undefined;
        await this.api.replaceNamespacedLease({ namespace: this.o.namespace, name: this.o.name, body: lease });
      }
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'releasing the Lease failed; it will expire');
    }
  }

  private async tick(): Promise<void> {
    try {
      const held = await this.tryAcquireOrRenew();
      if (held) this.lastRenew = Date.now();
      // Lost it, or cannot reach the apiserver for longer than the holder is trusted to be alive.
      this.setLeading(held || (this.leading && Date.now() - this.lastRenew < this.durationMs - this.renewMs));
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'leader election: Lease read or write failed');
      if (this.leading && Date.now() - this.lastRenew >= this.durationMs - this.renewMs) this.setLeading(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.leading ? this.renewMs : this.renewMs / 2);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.o;
    const now = new Date();
    const spec = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(this.durationMs / 1000), renewTime: microTime(now) };
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 } } });
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    const expired = !holder || renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
    if (holder !== identity && !expired) return false;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const acquireTime = holder === identity ? lease.spec?.acquireTime : microTime(now);
    try {
      await this.api.replaceNamespacedLease({ namespace, name, body: { ...lease, spec: { ...lease.spec, ...spec, acquireTime, leaseTransitions: transitions } } });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false; // another candidate won the race
      throw err;
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.o.log.info({ identity: this.o.identity, lease: `${this.o.namespace}/${this.o.name}` }, leading ? 'became leader' : 'stopped leading');
    this.emit(leading ? 'started' : 'stopped');
  }
}
