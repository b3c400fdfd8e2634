// A serving certificate that stays valid: issued from Mast's CA and renewed at two thirds of its
// lifetime, and at once when a root rotation changes the signer. The webhook and xDS over TLS
// each hold one and swap it in for new connections. Why at once: a proxy trusts the bundle it
// was started with, and after a rotation's activation only the new root's certificates are
// sure to verify for everyone started since; an old root's certificate would also outlive the
// old root's place in the bundle when the overlap is shorter than its remaining lifetime.
import type { ServingCert } from './ca';

/** What issues serving certificates: a CertificateAuthority, or the MeshCa that follows rotations. */
export interface ServingCertIssuer {
  issueServingCert(dnsNames: readonly string[], ips?: readonly string[]): Promise<ServingCert>;
  /** Told of each change of signer (MeshCa); returns a function that stops telling. */
  onChange?(listener: (change: { signer: boolean }) => void): () => void;
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
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly o: RenewingCertOptions,
    private cert: ServingCert,
  ) {}

  static async issue(o: RenewingCertOptions): Promise<RenewingCert> {
    const renewing = new RenewingCert(o, await RenewingCert.fresh(o));
    renewing.schedule(renewing.renewDelay());
    renewing.unsubscribe = o.ca.onChange?.((change) => {
      if (!change.signer || renewing.unsubscribe === undefined) return;
      clearTimeout(renewing.timer);
      renewing.schedule(0);
    });
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
    this.unsubscribe?.();
    this.unsubscribe = undefined;
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
