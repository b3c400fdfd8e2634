// A user's own CA for plug-in tests, made as an operator would with openssl or Istio's
// tools/certs Makefile: a root (RSA, as Istio's samples/certs, or ECDSA) and an intermediate it
// signs, written out in Istio's cacerts layout.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlugInFiles } from '../../src/ca';

x509.cryptoProvider.set(webcrypto);

const DAY = 24 * 3600 * 1000;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const INTERMEDIATE_KEYS = { ec: EC, ec384: EC384, rsa: RSA } as const;

export interface UserCa {
  root: x509.X509Certificate;
  intermediate: x509.X509Certificate;
  files: PlugInFiles;
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')}\n`;
}

const pem = (c: x509.X509Certificate): string => `${c.toString('pem')}\n`;

/** A root of `rootKind` keys and an intermediate of `intermediateKind` keys (P-256 by default) under it, valid `days` days. */
export async function makeUserCa(o: { rootKind?: 'rsa' | 'ec'; intermediateKind?: keyof typeof INTERMEDIATE_KEYS; name?: string; days?: number } = {}): Promise<UserCa> {
  const name = o.name ?? 'Example Corp';
  const rootAlg = o.rootKind === 'ec' ? EC : RSA;
  const rootSign = o.rootKind === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } : RSA;
  const rootKeys = (await webcrypto.subtle.generateKey(rootAlg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const notAfter = new Date(now + (o.days ?? 365) * DAY);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: `O=${name}, CN=${name} Root CA`,
    notBefore: new Date(now - 3600_000),
    notAfter,
    keys: rootKeys,
    signingAlgorithm: rootSign,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const interKeys = (await webcrypto.subtle.generateKey(INTERMEDIATE_KEYS[o.intermediateKind ?? 'ec'], true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const intermediate = await x509.X509CertificateGenerator.create({
    subject: `O=${name}, CN=${name} Intermediate CA`,
    issuer: root.subjectName,
    notBefore: new Date(now - 3600_000),
    notAfter,
    publicKey: interKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: rootSign,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(interKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  return {
    root,
    intermediate,
    files: {
      'ca-cert.pem': pem(intermediate),
      'ca-key.pem': await pkcs8Pem(interKeys.privateKey),
      'cert-chain.pem': pem(intermediate) + pem(root),
      'root-cert.pem': pem(root),
    },
  };
}

/** Writes `files` into `dir` (created), as a mounted cacerts Secret would appear. */
export function writePlugInDir(dir: string, files: PlugInFiles): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) if (text !== undefined) writeFileSync(path.join(dir, name), text, { mode: 0o600 });
}
