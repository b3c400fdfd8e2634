// One workload certificate per identity (namespace + service account), shared by every proxy of
// it: issued when the first of them needs one, re-issued when only the grace fraction of its
// lifetime is left (Istio's SECRET_GRACE_PERIOD_RATIO, pkg/security), re-issued at once when the
// CA's signer changes (a rotation moves every certificate to the new root), and dropped with the
// last proxy of the identity. Keys live only in memory (PrivateKeyPem), never on disk.
import type { Counter, Meter } from '@opentelemetry/api';
import type { Logger } from '../model';
import type { WorkloadCert } from './ca';
import type { MeshCa } from './mesh-ca';
import { identityKey, type WorkloadIdentity } from './spiffe';

export const DEFAULT_WORKLOAD_CERT_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_WORKLOAD_CERT_GRACE = 0.5;

export interface WorkloadCertOptions {
  /** Lifetime of each certificate in ms (default 24 h; capped by the CA chain's own expiry). */
  ttlMs?: number;
  /**
   * Re-issue once only this fraction of the lifetime is left, in (0, 1) (default 0.5: halfway;
   * 0.75: after a quarter). Istio's SECRET_GRACE_PERIOD_RATIO.
   */
  grace?: number;
  log: Logger;
  meter?: Meter;
}

interface Entry {
  id: WorkloadIdentity;
  refs: number;
  cert: WorkloadCert | undefined;
  timer: NodeJS.Timeout | undefined;
  issuing: boolean;
  /** The signer changed while a certificate was being issued: issue once more after it. */
  again: boolean;
  failures: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkloadCerts {
  readonly ttlMs: number;
  readonly grace: number;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(key: string, cert: WorkloadCert) => void>();
  private readonly issued: Counter | undefined;
  private readonly stopCa: () => void;

  constructor(private readonly ca: MeshCa, private readonly o: WorkloadCertOptions) {
    this.ttlMs = o.ttlMs ?? DEFAULT_WORKLOAD_CERT_TTL_MS;
    this.grace = o.grace ?? DEFAULT_WORKLOAD_CERT_GRACE;
    if (!(this.ttlMs > 0)) throw new Error('the workload certificate lifetime must be positive');
    if (!(this.grace > 0 && this.grace < 1)) throw new Error('the workload certificate grace fraction must be between 0 and 1');
    this.issued = o.meter?.createCounter('citadel_server_success_cert_issuance_count', { description: 'The number of certificates issuances that have succeeded' });
    this.stopCa = ca.onChange((change) => {
      if (change.signer) for (const [key, e] of this.entries) this.issue(key, e);
    });
  }

  /** A proxy of `id` needs its certificate: issued now if it is the identity's first. */
  acquire(id: WorkloadIdentity): void {
    const key = identityKey(id);
    let e = this.entries.get(key);
    if (!e) {
      e = { id, refs: 0, cert: undefined, timer: undefined, issuing: false, again: false, failures: 0 };
      this.entries.set(key, e);
      this.issue(key, e);
    }
    e.refs++;
  }

  /** A proxy of `id` is gone: with the identity's last one, its certificate goes too. */
  release(id: WorkloadIdentity): void {
    const key = identityKey(id);
    const e = this.entries.get(key);
    if (!e || --e.refs > 0) return;
    clearTimeout(e.timer);
    this.entries.delete(key);
  }

  /** The identity's current certificate (by identityKey), if issued. */
  current(key: string): WorkloadCert | undefined {
    return this.entries.get(key)?.cert;
  }

  /** Calls `listener` with each certificate issued (first and renewed); returns a function that stops it. */
  onIssued(listener: (key: string, cert: WorkloadCert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.stopCa();
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
    this.listeners.clear();
  }

  private issue(key: string, e: Entry): void {
    if (e.issuing) {
      e.again = true;
      return;
    }
    e.issuing = true;
    clearTimeout(e.timer);
    void this.ca.ready
      .then(() => this.ca.signer!.issueWorkloadCert(this.ca.spiffeId(e.id), this.ttlMs))
      .then(
        (cert) => {
          e.failures = 0;
          if (this.entries.get(key) !== e) return; // released meanwhile
          e.cert = cert;
          this.issued?.add(1);
          const lifetime = cert.notAfter.getTime() - cert.issuedAt.getTime();
          this.schedule(key, e, cert.issuedAt.getTime() + lifetime * (1 - this.grace) - Date.now());
          for (const l of this.listeners) l(key, cert);
        },
        (err: unknown) => {
          // Retried soon, but never in a tight loop: the CA may stay broken (an expired chain).
          const delay = Math.min(60_000, (this.ttlMs * this.grace) / 4, 1000 * 2 ** e.failures++);
          this.o.log.error({ identity: key, err: err instanceof Error ? err.message : String(err), retryMs: delay }, `issuing the workload certificate of ${key} failed; retrying`);
          if (this.entries.get(key) === e) this.schedule(key, e, delay);
        },
      )
      .catch((err: unknown) => this.o.log.error({ identity: key, err: err instanceof Error ? err.message : String(err) }, 'a workload certificate listener failed'))
      .finally(() => {
        e.issuing = false;
        if (e.again && this.entries.get(key) === e) {
          e.again = false;
          this.issue(key, e);
        }
      });
  }

  private schedule(key: string, e: Entry, ms: number): void {
    clearTimeout(e.timer);
    e.timer = setTimeout(() => this.issue(key, e), Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    e.timer.unref();
  }
}
