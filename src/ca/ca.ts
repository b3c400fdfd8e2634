// A certificate authority Mast signs with: its own self-signed ECDSA P-256 root, or a plugged-in
// intermediate (Istio's `cacerts` layout, plug-in.ts). It issues the serving certificates Mast
// needs (admission webhook, xDS over TLS) and workload certificates (SPIFFE SVIDs) for the
// proxies, each with the chain from the signer up to its root.
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import { importSigningKey, PrivateKeyPem, type SigningKey } from './keys';
import { issueSvid, subjectDerOf, type SvidSigner } from './svid';

x509.cryptoProvider.set(webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const HOUR = 60 * 60 * 1000;
/** Istio's self-signed root lifetime (CITADEL_SELF_SIGNED_CA_CERT_TTL, 10 years). */
export const DEFAULT_ROOT_TTL_MS = 3650 * 24 * HOUR;
// Issued certificates start a little in the past: a peer whose clock is behind would otherwise
// refuse a certificate for its first seconds.
const BACKDATE_MS = 5 * 60 * 1000;

export interface CaOptions {
  /** Lifetime of a root this CA creates (default 10 years, as Istio's self-signed root). */
  rootTtlMs?: number;
  /** Lifetime of each serving certificate (default 24 h). */
  leafTtlMs?: number;
}

export interface ServingCert {
  certPem: string;
  keyPem: string;
  /** The roots that sign it, what clients put in their trust store (a webhook's caBundle). */
  caPem: string;
  notAfter: Date;
}

/** A workload certificate: what the SDS secret `default` carries. */
export interface WorkloadCert {
  spiffeId: string;
  /** The leaf, then the signer's chain up to and including its root, PEM. */
  chainPem: string;
  /** Never logged or printed (PrivateKeyPem); revealed only into the SDS secret. */
  key: PrivateKeyPem;
  serialNumber: string;
  /** When it was made; renewal is counted from here (notBefore is backdated). */
  issuedAt: Date;
  /** The end of its lifetime, to the ms; the certificate holds it rounded down to the second. */
  notAfter: Date;
  /** The chain's root, by SHA-256 fingerprint (hex): which root the certificate moves with. */
  root: string;
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

/** PEM of `certs`, one after the other, each ending in a newline. */
export function pemOf(certs: readonly x509.X509Certificate[]): string {
  return certs.map((c) => `${c.toString('pem')}\n`).join('');
}

/** The certificates in a PEM text (other blocks are skipped). */
export function certsOf(pem: string): x509.X509Certificate[] {
  return x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'CERTIFICATE').map((b) => new x509.X509Certificate(b.rawData));
}

/** SHA-256 of the DER, hex: a certificate's identity where two may share a subject. */
export function fingerprint(cert: x509.X509Certificate): string {
  return createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex');
}

/** The signer's key id: its own SKI as it wrote it (computing one from its key may give another), else RFC 5280's SHA-1 of the key. */
async function keyIdOf(signer: x509.X509Certificate): Promise<string> {
  return (signer.getExtension(x509.SubjectKeyIdentifierExtension) ?? (await x509.SubjectKeyIdentifierExtension.create(signer.publicKey))).keyId;
}

export class CertificateAuthority {
  /** What svid.ts signs workload certificates with. */
  private readonly svidSigner: SvidSigner;
  /** The chain after the leaf, PEM, and its root's fingerprint: the same for every certificate. */
  private readonly chainPem: string;
  private readonly rootFingerprint: string;

  private constructor(
    private readonly signing: SigningKey,
    /** The certificate Mast signs as: a root it made, or a plugged-in intermediate (or root). */
    readonly cert: x509.X509Certificate,
    /** From `cert` up to and including its root: what follows the leaf in every issued chain. */
    readonly chain: readonly x509.X509Certificate[],
    /** The trust anchors of this CA: its root, or every root a plug-in's root-cert.pem holds. */
    readonly roots: readonly x509.X509Certificate[],
    private readonly leafTtlMs: number,
    /** Kept only for a root Mast made, which it persists (toPem). */
    private readonly keyPem: PrivateKeyPem | undefined,
    private readonly keyId: string,
  ) {
    this.svidSigner = { key: signing.keyObject, subjectDer: subjectDerOf(new Uint8Array(cert.rawData)), keyId: Buffer.from(keyId, 'hex') };
    this.chainPem = pemOf(chain);
    this.rootFingerprint = fingerprint(chain[chain.length - 1]!);
  }

  /** A new self-signed ECDSA P-256 root, valid from now. */
  static async create(o: CaOptions = {}): Promise<CertificateAuthority> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      // Dated and keyed, so two roots of one mesh (a rotation's overlap) are told apart by name too.
      name: `O=mast, CN=mast-root-ca ${new Date(now).toISOString().slice(0, 19)}Z ${ski.keyId.slice(0, 8)}`,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + (o.rootTtlMs ?? DEFAULT_ROOT_TTL_MS)),
      signingAlgorithm: SIGN,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ski,
      ],
    });
    const keyPem = await exportKeyPem(keys.privateKey);
    return CertificateAuthority.fromPem({ certPem: `${cert.toString('pem')}\n`, keyPem }, o);
  }

  /** A self-signed root read back from what toPem() wrote. Throws if the key is not the certificate's. */
  static async fromPem(pem: CaPem, o: CaOptions = {}): Promise<CertificateAuthority> {
    const cert = new x509.X509Certificate(pem.certPem);
    const signing = await importSigningKey(pem.keyPem);
    matchKey(cert, signing, 'the CA certificate');
    return new CertificateAuthority(signing, cert, [cert], [cert], o.leafTtlMs ?? 24 * HOUR, new PrivateKeyPem(pem.keyPem), await keyIdOf(cert));
  }

  /**
   * A CA signing as `cert` with `keyPem`, whose chain `chain` (from `cert` to a root in `roots`)
   * has been checked by the caller (plug-in.ts). Throws if the key is not the certificate's.
   */
  static async signingAs(cert: x509.X509Certificate, keyPem: string, chain: readonly x509.X509Certificate[], roots: readonly x509.X509Certificate[], o: CaOptions = {}): Promise<CertificateAuthority> {
    const signing = await importSigningKey(keyPem);
    matchKey(cert, signing, 'ca-cert.pem');
    return new CertificateAuthority(signing, cert, chain, roots, o.leafTtlMs ?? 24 * HOUR, undefined, await keyIdOf(cert));
  }

  /** The root at the end of this CA's chain. */
  get root(): x509.X509Certificate {
    return this.chain[this.chain.length - 1]!;
  }

  /** PEM of every root this CA trusts. */
  get rootPem(): string {
    return pemOf(this.roots);
  }

  /** The earliest expiry along the chain: nothing it signs may outlive it. */
  get chainNotAfter(): Date {
    return new Date(Math.min(...this.chain.map((c) => c.notAfter.getTime())));
  }

  /** The root and its key, for persisting a root Mast made. Throws for a plugged-in CA. */
  toPem(): CaPem {
    if (!this.keyPem) throw new Error('a plugged-in CA is not persisted by Mast');
    return { certPem: `${this.cert.toString('pem')}\n`, keyPem: this.keyPem.reveal() };
  }

  /** A TLS server certificate for these DNS names and IP addresses, with a fresh key. */
  async issueServingCert(dnsNames: readonly string[], ips: readonly string[] = [], caPem = this.rootPem): Promise<ServingCert> {
    if (dnsNames.length + ips.length === 0) throw new Error('a serving certificate needs at least one DNS name or IP address');
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const { cert, notAfter } = await this.sign(keys.publicKey, this.leafTtlMs, `CN=${dnsNames[0] ?? ips[0]}`, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ]);
    return { certPem: `${cert.toString('pem')}\n${pemOf(this.chain.slice(0, -1))}`, keyPem: await exportKeyPem(keys.privateKey), caPem, notAfter };
  }

  /**
   * A workload certificate (X.509 SVID) for `spiffeId` (svid.ts), valid `ttlMs` from now or until
   * the chain expires if sooner (Istio's minTTL). Synchronous underneath: a P-256 key and one
   * signature, about 0.1 ms each. Throws if the chain has expired.
   */
  async issueWorkloadCert(spiffeId: string, ttlMs: number): Promise<WorkloadCert> {
    const { notBefore, notAfter, issuedAt } = this.validity(ttlMs);
    const svid = issueSvid(this.svidSigner, spiffeId, notBefore, notAfter);
    return {
      spiffeId,
      chainPem: `${x509.PemConverter.encode(svid.der, 'CERTIFICATE')}\n${this.chainPem}`,
      key: new PrivateKeyPem(svid.keyPem),
      serialNumber: svid.serialNumber,
      issuedAt,
      notAfter,
      root: this.rootFingerprint,
    };
  }

  /** From five minutes ago (clock skew) to `ttlMs` from now, or the chain's end if sooner. */
  private validity(ttlMs: number): { notBefore: Date; notAfter: Date; issuedAt: Date } {
    const now = Date.now();
    const limit = this.chainNotAfter.getTime();
    if (limit <= now) throw new Error(`the CA certificate chain expired on ${this.chainNotAfter.toISOString()}`);
    return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(Math.min(now + ttlMs, limit)), issuedAt: new Date(now) };
  }

  private async sign(publicKey: webcrypto.CryptoKey, ttlMs: number, subject: string, extensions: x509.Extension[]): Promise<{ cert: x509.X509Certificate; notAfter: Date }> {
    const { notBefore, notAfter } = this.validity(ttlMs);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: this.cert.subjectName,
      notBefore,
      notAfter,
      signingAlgorithm: this.signing.algorithm,
      publicKey,
      signingKey: this.signing.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        ...extensions,
        new x509.AuthorityKeyIdentifierExtension(this.keyId),
      ],
    });
    return { cert, notAfter };
  }
}

function matchKey(cert: x509.X509Certificate, signing: SigningKey, what: string): void {
  if (!Buffer.from(cert.publicKey.rawData).equals(signing.spki)) throw new Error(`the private key does not belong to ${what} (${cert.subject})`);
}
