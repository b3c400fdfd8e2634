// Chain checks with a real X.509 library (@peculiar/x509), for tests of what the CA issues and
// what Envoy holds: a leaf verifies, signature by signature and date by date, up to one of the
// trusted roots.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto);

export function certs(pem: string): x509.X509Certificate[] {
  return x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'CERTIFICATE').map((b) => new x509.X509Certificate(b.rawData));
}

const der = (c: x509.X509Certificate): string => Buffer.from(c.rawData).toString('hex');

/**
 * The path from the first certificate of `chainPem` to a root in `rootsPem`, built by
 * X509ChainBuilder from the chain's own certificates and the roots, each signature and validity
 * period checked at `at`. Throws with the reason when it does not verify.
 */
export async function verifyChain(chainPem: string, rootsPem: string, at = new Date()): Promise<x509.X509Certificate[]> {
  const chain = certs(chainPem);
  const roots = certs(rootsPem);
  const leaf = chain[0];
  if (!leaf) throw new Error('no certificate in the chain');
  const built = [...(await new x509.X509ChainBuilder({ certificates: [...chain.slice(1), ...roots] }).build(leaf))];
  const top = built[built.length - 1]!;
  if (!roots.some((r) => der(r) === der(top))) throw new Error(`the chain ends at "${top.subject}", not at a trusted root`);
  for (let i = 0; i < built.length; i++) {
    const cert = built[i]!;
    const issuer = built[Math.min(i + 1, built.length - 1)]!;
    if (!(await cert.verify({ publicKey: issuer.publicKey, date: at }))) throw new Error(`"${cert.subject || cert.serialNumber}" does not verify against "${issuer.subject}" at ${at.toISOString()}`);
  }
  return built;
}

/** The URI SANs of a certificate (a SPIFFE ID for a workload certificate). */
export function uriSans(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.toJSON() ?? []).filter((n) => n.type === 'url').map((n) => n.value);
}
