// The mesh's CA as it is now: whatever its source last loaded (Mast's own root from the state
// file or the mast-ca Secret, or a plugged-in CA from --ca-dir or the cacerts Secret), evaluated
// at the current time, so a rotation's phases (root-rotation.ts) take effect when they are due.
// Listeners hear when the signer or the trust bundle changes: workload certificates are then
// re-issued, and every proxy's ROOTCA pushed. The root's expiry is a metric and, long before it
// happens, a warning (istio#14516 is about roots that expired silently).
import type { Meter } from '@opentelemetry/api';
import type * as x509 from '@peculiar/x509';
import type { Logger } from '../model';
import { pemOf, type ServingCert } from './ca';
import { samePhase, type CaMaterial, type CaPhase } from './root-rotation';
import { spiffeId, trustDomainProblem, type WorkloadIdentity } from './spiffe';

/** What changed in a re-evaluation: the signer (certificates move), the bundle (ROOTCA), or both. */
export interface CaChange {
  signer: boolean;
  bundle: boolean;
}

export interface MeshCaOptions {
  trustDomain: string;
  log: Logger;
  /** Registers Istio's CA expiry gauges (citadel_server_*) on it. */
  meter?: Meter;
  /**
   * Warn once a root or CA certificate has less than this fraction of its lifetime left: 0.2, the
   * point where Istio's self-signed CA rotates its root (CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE).
   */
  expiryWarningFraction?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** `in 40 days`, `in 5 hours`, `in 3 minutes`: how a person reads a deadline. */
function inTime(ms: number): string {
  if (ms >= 2 * DAY_MS) return `in ${Math.floor(ms / DAY_MS)} days`;
  if (ms >= 2 * 3600_000) return `in ${Math.floor(ms / 3600_000)} hours`;
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return minutes === 1 ? 'within a minute' : `in ${minutes} minutes`;
}
const MAX_TIMER_MS = 2 ** 31 - 1;

export class MeshCa {
  readonly trustDomain: string;
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private material: CaMaterial | undefined;
  private phase: CaPhase | undefined;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(change: CaChange) => void>();

  constructor(private readonly o: MeshCaOptions) {
    const problem = trustDomainProblem(o.trustDomain);
    if (problem) throw new Error(`trust domain "${o.trustDomain}": ${problem}`);
    this.trustDomain = o.trustDomain;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    if (o.meter) this.registerMetrics(o.meter);
  }

  /** The SPIFFE ID of an identity in this mesh's trust domain. */
  spiffeId(id: WorkloadIdentity): string {
    return spiffeId(this.trustDomain, id);
  }

  /** Takes the CA its source loaded (at start, and after each change there). */
  use(material: CaMaterial): void {
    const first = this.material === undefined;
    this.material = material;
    this.evaluate(first ? 'loaded' : 'reloaded');
  }

  /** Who signs now; undefined until a source has loaded the CA. */
  get signer(): CaPhase['signer'] | undefined {
    return this.phase?.signer;
  }

  /** Every root proxies must trust now (ROOTCA). */
  get bundle(): readonly x509.X509Certificate[] {
    return this.phase?.bundle ?? [];
  }

  get bundlePem(): string {
    return pemOf(this.bundle);
  }

  /** Calls `listener` after each change of signer or bundle; returns a function that stops it. */
  onChange(listener: (change: CaChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A serving certificate from the current signer (waits for the CA to load); its caPem is the
   * whole bundle, so clients keep trusting it across a root rotation's overlap.
   */
  async issueServingCert(dnsNames: readonly string[], ips: readonly string[] = []): Promise<ServingCert> {
    await this.ready;
    return this.phase!.signer.issueServingCert(dnsNames, ips, this.bundlePem);
  }

  close(): void {
    clearTimeout(this.timer);
    clearTimeout(this.expiryTimer);
    this.listeners.clear();
  }

  private evaluate(why: string): void {
    clearTimeout(this.timer);
    if (!this.material) return;
    const now = Date.now();
    const phase = this.material.at(now);
    const same = samePhase(this.phase, phase);
    const change = { signer: !same.signer, bundle: !same.bundle };
    this.phase = phase;
    if (phase.nextChangeAt !== undefined) {
      this.timer = setTimeout(() => this.evaluate('rotation phase due'), Math.min(Math.max(phase.nextChangeAt - now, 0), MAX_TIMER_MS));
      this.timer.unref();
    }
    if (change.signer || change.bundle) {
      this.o.log.info({
        source: this.material.source,
        signer: phase.signer.cert.subject,
        roots: phase.bundle.map((c) => c.subject),
        ...(phase.nextChangeAt !== undefined ? { nextChange: new Date(phase.nextChangeAt).toISOString() } : {}),
      }, `CA ${why}: signing as "${phase.signer.cert.subject}", ${phase.bundle.length} root(s) trusted`);
    }
    this.checkExpiry();
    this.markReady();
    if (change.signer || change.bundle) for (const l of this.listeners) l(change);
  }

  /** Warns of every root or CA certificate within the last fraction of its life; again each day. */
  private checkExpiry(): void {
    clearTimeout(this.expiryTimer);
    const phase = this.phase;
    if (!phase) return;
    const fraction = this.o.expiryWarningFraction ?? 0.2;
    const now = Date.now();
    const seen = new Set<x509.X509Certificate>();
    for (const cert of [...phase.signer.chain, ...phase.bundle]) {
      if (seen.has(cert)) continue;
      seen.add(cert);
      const left = cert.notAfter.getTime() - now;
      const life = cert.notAfter.getTime() - cert.notBefore.getTime();
      const fields = { subject: cert.subject, notAfter: cert.notAfter.toISOString(), source: this.material?.source };
      const advice = this.material?.pluggedIn ? 'replace the plugged-in CA (cacerts)' : 'rotate it with `mast ca rotate`';
      if (left <= 0) this.o.log.error(fields, `CA certificate "${cert.subject}" expired on ${fields.notAfter}: certificates it signed are refused; ${advice}`);
      else if (left < life * fraction) this.o.log.warn({ ...fields, daysLeft: Math.floor(left / DAY_MS) }, `CA certificate "${cert.subject}" expires on ${fields.notAfter} (${inTime(left)}); ${advice}`);
    }
    this.expiryTimer = setTimeout(() => this.checkExpiry(), DAY_MS);
    this.expiryTimer.unref();
  }

  /** Istio's names (security/pkg/server/ca/monitoring.go), in seconds. */
  private registerMetrics(meter: Meter): void {
    const gauge = (name: string, description: string, value: (p: CaPhase) => number): void => {
      meter.createObservableGauge(name, { description }).addCallback((result) => {
        if (this.phase) result.observe(value(this.phase));
      });
    };
    const rootExpiry = (p: CaPhase): number => Math.min(...p.bundle.map((c) => c.notAfter.getTime())) / 1000;
    gauge('citadel_server_root_cert_expiry_timestamp', 'The unix timestamp, in seconds, when the first of the trusted root certificates will expire', rootExpiry);
    gauge('citadel_server_root_cert_expiry_seconds', 'The time remaining, in seconds, before the first of the trusted root certificates expires; negative once it has', (p) => rootExpiry(p) - Date.now() / 1000);
    gauge('citadel_server_cert_chain_expiry_timestamp', "The unix timestamp, in seconds, when the signer's certificate chain will expire", (p) => p.signer.chainNotAfter.getTime() / 1000);
    gauge('citadel_server_cert_chain_expiry_seconds', "The time remaining, in seconds, before the signer's certificate chain expires; negative once it has", (p) => p.signer.chainNotAfter.getTime() / 1000 - Date.now() / 1000);
  }
}
