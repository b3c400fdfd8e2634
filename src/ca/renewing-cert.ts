// A serving certificate that stays valid: issued from Mast's CA and renewed at two thirds of its
// lifetime. The webhook and xDS over TLS each hold one and swap it in for new connections.
import type { ServingCert } from './ca';

/** What issues serving certificates: a CertificateAuthority, or the MeshCa that follows rotations. */
export interface ServingCertIssuer {
  issueServingCert(dnsNames: readonly string[], ips?: readonly string[]): Promise<ServingCert>;
}

export interface RenewingCertOptions {
  ca: ServingCertIssuer;
  dnsNames: readonly string[];
  ips?: readonly string[];
  /** Told when a renewal fails (it is retried a minute later). */
  onError(err: unknown): void;
}

const RETRY_MS = 60_000;

export class RenewingCert {
  private readonly listeners: ((cert: ServingCert) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly o: RenewingCertOptions,
    private cert: ServingCert,
  ) {}

  static async issue(o: RenewingCertOptions): Promise<RenewingCert> {
    const renewing = new RenewingCert(o, await RenewingCert.fresh(o));
    renewing.schedule(renewing.renewDelay());
    return renewing;
  }

  private static fresh(o: RenewingCertOptions): Promise<ServingCert> {
    return o.ca.issueServingCert(o.dnsNames, o.ips ?? []);
  }

  get current(): ServingCert {
    return this.cert;
  }

  /** `listener` gets each renewed certificate (not the current one). */
  onRenew(listener: (cert: ServingCert) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private renewDelay(): number {
    return Math.max(1000, ((this.cert.notAfter.getTime() - Date.now()) * 2) / 3);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      RenewingCert.fresh(this.o).then(
        (next) => {
          this.cert = next;
          for (const l of this.listeners) l(next);
          this.schedule(this.renewDelay());
        },
        (err: unknown) => {
          this.o.onError(err);
          this.schedule(RETRY_MS);
        },
      );
    }, Math.min(ms, 2 ** 31 - 1));
    this.timer.unref();
  }
}
