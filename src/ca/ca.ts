// Mast's own certificate authority: a self-signed ECDSA P-256 root, kept in memory, that signs
// the serving certificates Mast needs (the admission webhook first; workload SVIDs later). The
// Lease holder persists it to a Secret so every replica serves under the same root (see toPem).
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const HOUR = 60 * 60 * 1000;
// Issued certificates start a little in the past: a peer whose clock is behind would otherwise
// refuse a certificate for its first seconds.
const BACKDATE_MS = 5 * 60 * 1000;

export interface CaOptions {
  /** Lifetime of the root (default one year). */
  rootTtlMs?: number;
  /** Lifetime of each issued certificate (default 24 h). */
  leafTtlMs?: number;
}

export interface ServingCert {
  certPem: string;
  keyPem: string;
  /** The root that signed it, what clients put in their trust store (a webhook's caBundle). */
  caPem: string;
  notAfter: Date;
}

export interface CaPem {
  certPem: string;
  keyPem: string;
}

function serialNumber(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f; // DER INTEGERs are signed; a serial must be positive
  return Buffer.from(b).toString('hex');
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')}\n`;
}

export class CertificateAuthority {
  private constructor(
    private readonly keys: { privateKey: webcrypto.CryptoKey },
    readonly cert: x509.X509Certificate,
    private readonly leafTtlMs: number,
  ) {}

  /** A new root, valid from now. */
  static async create(o: CaOptions = {}): Promise<CertificateAuthority> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: 'O=mast, CN=mast-root-ca',
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + (o.rootTtlMs ?? 365 * 24 * HOUR)),
      signingAlgorithm: SIGN,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(keys, cert, o.leafTtlMs ?? 24 * HOUR);
  }

  /** The root read back from what toPem() wrote (a replica adopting the leader's Secret). */
  static async fromPem(pem: CaPem, o: CaOptions = {}): Promise<CertificateAuthority> {
    const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem.keyPem), EC, true, ['sign']);
    return new CertificateAuthority({ privateKey }, new x509.X509Certificate(pem.certPem), o.leafTtlMs ?? 24 * HOUR);
  }

  get rootPem(): string {
    return `${this.cert.toString('pem')}\n`;
  }

  async toPem(): Promise<CaPem> {
    return { certPem: this.rootPem, keyPem: await exportKeyPem(this.keys.privateKey) };
  }

  /** A TLS server certificate for these DNS names and IP addresses, with a fresh key. */
  async issueServingCert(dnsNames: readonly string[], ips: readonly string[] = []): Promise<ServingCert> {
    if (dnsNames.length + ips.length === 0) throw new Error('a serving certificate needs at least one DNS name or IP address');
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const notAfter = new Date(Math.min(now + this.leafTtlMs, this.cert.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${dnsNames[0] ?? ips[0]}`,
      issuer: this.cert.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter,
      signingAlgorithm: SIGN,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ...ips.map((value) => ({ type: 'ip' as const, value })),
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
      ],
    });
    return { certPem: `${cert.toString('pem')}\n`, keyPem: await exportKeyPem(keys.privateKey), caPem: this.rootPem, notAfter };
  }
}
