// The certificates and keys a local control plane needs (what kubeadm or envtest would make): a CA,
// kube-apiserver's serving certificate for 127.0.0.1/localhost, an admin client certificate in
// system:masters, and the service-account signing key pair. ECDSA P-256 throughout (fast to
// generate; Kubernetes accepts it for serving, client auth and ES256 service-account tokens), made
// with @peculiar/x509 on Node's WebCrypto.
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface KeyPair {
  /** PEM (PKCS#8 private key / SPKI public key). */
  keyPem: string;
  publicKeyPem: string;
}

export interface IssuedCert extends KeyPair {
  certPem: string;
}

export interface KubeCerts {
  ca: IssuedCert;
  serving: IssuedCert;
  admin: IssuedCert;
  serviceAccount: KeyPair;
}

/** File paths of the PEM files `writeCerts` wrote. */
export interface KubeCertFiles {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

function pem(label: string, der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, label) + '\n';
}

async function keyPair(): Promise<{ keys: CryptoKeyPair; pems: KeyPair }> {
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pems = {
    keyPem: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', keys.privateKey)),
    publicKeyPem: pem('PUBLIC KEY', await crypto.subtle.exportKey('spki', keys.publicKey)),
  };
  return { keys, pems };
}

function serial(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[0] = b[0]! & 0x7f; // a positive INTEGER
  return Buffer.from(b).toString('hex');
}

interface Leaf {
  subject: string;
  usage: 'server' | 'client';
  dns?: string[];
  ips?: string[];
}

async function issue(ca: { keys: CryptoKeyPair; cert: x509.X509Certificate }, leaf: Leaf): Promise<IssuedCert> {
  const { keys, pems } = await keyPair();
  const now = Date.now();
  const sans: x509.JsonGeneralName[] = [
    ...(leaf.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(leaf.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: leaf.subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 7 * DAY),
    signingAlgorithm: SIGN,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([leaf.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { ...pems, certPem: cert.toString('pem') + '\n' };
}

/** Makes a fresh CA and everything it signs; nothing touches the disk. */
export async function makeKubeCerts(): Promise<KubeCerts> {
  const caKeys = await keyPair();
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=mast-e2e-kubernetes-ca',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 7 * DAY),
    signingAlgorithm: SIGN,
    keys: caKeys.keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.keys.publicKey),
    ],
  });
  const ca = { keys: caKeys.keys, cert: caCert };
  const serving = await issue(ca, {
    subject: 'CN=kube-apiserver',
    usage: 'server',
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: ['127.0.0.1'],
  });
  const admin = await issue(ca, { subject: 'CN=mast-e2e-admin, O=system:masters', usage: 'client' });
  const sa = await keyPair();
  return { ca: { ...caKeys.pems, certPem: caCert.toString('pem') + '\n' }, serving, admin, serviceAccount: sa.pems };
}

/** Writes the PEM files into `dir` (private keys mode 0600). */
export function writeCerts(certs: KubeCerts, dir: string): KubeCertFiles {
  const write = (name: string, text: string, mode = 0o644): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text, { mode });
    return file;
  };
  return {
    caCert: write('ca.crt', certs.ca.certPem),
    caKey: write('ca.key', certs.ca.keyPem, 0o600),
    servingCert: write('apiserver.crt', certs.serving.certPem),
    servingKey: write('apiserver.key', certs.serving.keyPem, 0o600),
    adminCert: write('admin.crt', certs.admin.certPem),
    adminKey: write('admin.key', certs.admin.keyPem, 0o600),
    saKey: write('sa.key', certs.serviceAccount.keyPem, 0o600),
    saPub: write('sa.pub', certs.serviceAccount.publicKeyPem),
  };
}
