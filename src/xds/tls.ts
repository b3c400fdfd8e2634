// Server credentials for xDS over TLS whose certificate can change under a running server: grpc-js
// asks a CertificateProvider for the identity and re-reads it on every update, so a renewed
// certificate reaches new connections without rebinding the port.
import * as grpc from '@grpc/grpc-js';

/** A certificate that is renewed from time to time (src/ca/renewing-cert.ts is one). */
export interface ServingIdentity {
  readonly current: { certPem: string; keyPem: string };
  onRenew(listener: (cert: { certPem: string; keyPem: string }) => void): void;
}

type IdentityListener = (update: { certificate: Buffer; privateKey: Buffer } | null) => void;

class IdentityProvider {
  private readonly listeners = new Set<IdentityListener>();

  constructor(private readonly identity: ServingIdentity) {
    identity.onRenew((cert) => {
      for (const l of this.listeners) l(IdentityProvider.update(cert));
    });
  }

  private static update(cert: { certPem: string; keyPem: string }): { certificate: Buffer; privateKey: Buffer } {
    return { certificate: Buffer.from(cert.certPem), privateKey: Buffer.from(cert.keyPem) };
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.add(listener);
    // Not synchronously: grpc-js registers the server's watcher only after this returns, and an
    // identity given before that is never applied (every connection is then dropped). A
    // microtask still runs before the bound port can accept anything.
    queueMicrotask(() => {
      if (this.listeners.has(listener)) listener(IdentityProvider.update(this.identity.current));
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.delete(listener);
  }

  // No client certificates are asked for: proxies prove who they are by their Pod (node id and IP).
  addCaCertificateListener(): void {}
  removeCaCertificateListener(): void {}
}

export function tlsCredentials(identity: ServingIdentity): grpc.ServerCredentials {
  // grpc-js names the first parameter caCertificateProvider but uses it as the identity provider
  // (server-credentials.js passes it to the constructor's identity slot).
  return grpc.experimental.createCertificateProviderServerCredentials(new IdentityProvider(identity), null, false);
}
