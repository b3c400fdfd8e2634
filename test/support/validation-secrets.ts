// Certificates for `envoy --mode validate` to load in place of the SDS secrets a proxy gets over
// ADS. Envoy's validation server crashes when a static cluster or listener names an SDS secret
// fetched over ADS (envoyproxy/envoy#15517: static resources start before the ADS mux exists), so
// a static bootstrap names static secrets instead, and Envoy then parses these like real ones:
// a CA and a workload certificate signed by it, ECDSA P-256, made once per test process.
import 'reflect-metadata'; // @peculiar/x509 2.x needs a Reflect polyfill loaded before it
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto);

/** PEM text of the trust bundle (`ROOTCA`) and of one workload's chain and key (`default`). */
export interface ValidationSecrets {
  rootCa: string;
  workloadChain: string;
  workloadKey: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

async function make(): Promise<ValidationSecrets> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'O=mast-validate',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGNING,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leafKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: '',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: 'spiffe://cluster.local/ns/default/sa/validate' }], true)],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
  return {
    rootCa: ca.toString('pem'),
    workloadChain: `${leaf.toString('pem')}\n${ca.toString('pem')}`,
    workloadKey: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}

let made: Promise<ValidationSecrets> | undefined;

/** The same secrets for the whole test process. */
export function validationSecrets(): Promise<ValidationSecrets> {
  made ??= make();
  return made;
}
