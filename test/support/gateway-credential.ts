// A gateway credential as a user makes one (cert-manager, openssl): a CA of its own, unrelated to
// Mast's, a server certificate for the gateway's hosts signed by it, and client certificates it
// signs for MUTUAL. Written as `kubectl create secret tls NAME --cert --key` plus `ca.crt` would
// mount them: DIR/NAMESPACE/NAME/{tls.crt,tls.key,ca.crt}, the layout of `mast serve --credential-dir`.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CertificateAuthority, type WorkloadCert } from '../../src/ca';

export interface GatewayCredential {
  ca: CertificateAuthority;
  /** The Secret's data: tls.crt (the server chain), tls.key, ca.crt (the CA that signs clients). */
  data: Record<string, string>;
  /** A client certificate from the credential's CA (for MUTUAL). */
  client(): Promise<WorkloadCert>;
}

/** A credential for `hosts` from `ca` (a fresh CA if not given). */
export async function makeGatewayCredential(hosts: readonly string[], ca?: CertificateAuthority): Promise<GatewayCredential> {
  const signer = ca ?? (await CertificateAuthority.create());
  const serving = await signer.issueServingCert(hosts);
  return {
    ca: signer,
    data: { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem, 'ca.crt': signer.rootPem },
    client: () => signer.issueWorkloadCert('spiffe://example.com/client', 3600_000),
  };
}

/**
 * Writes `data` as DIR/NAMESPACE/NAME/KEY, each file replaced by rename, as the kubelet swaps a
 * Secret volume's contents, so a reader never sees a half-written file.
 */
export function writeCredential(dir: string, namespace: string, name: string, data: Record<string, string>): void {
  const at = path.join(dir, namespace, name);
  mkdirSync(at, { recursive: true, mode: 0o700 });
  for (const [key, text] of Object.entries(data)) {
    const file = path.join(at, key);
    writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}
