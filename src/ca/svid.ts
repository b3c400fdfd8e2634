// Workload certificates (X.509 SVIDs) written straight to DER (der.ts), signed with node:crypto
// synchronously: a fresh ECDSA P-256 key, an empty subject, the SPIFFE ID as the one URI SAN
// (critical, since the subject is empty: RFC 5280 4.2.1.6), CA:FALSE, digitalSignature and
// keyEncipherment, server and client auth, and the signer's key id; what Istio's GenCertFromCSR
// writes (security/pkg/pki/util/generate_cert.go) and the SPIFFE X509-SVID spec asks for.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { BOOLEAN_TRUE, bitString, contextExplicit, contextPrimitive, NULL, octetString, oid, sequence, time, unsignedInteger } from './der';

/** How the signer signs: its key and the algorithm its certificates name. */
export interface SvidSigner {
  key: KeyObject;
  /** The signer certificate's subject, DER, as it is in that certificate: the leaf's issuer. */
  subjectDer: Uint8Array;
  /** The signer's key identifier (its SKI), for the leaf's authorityKeyIdentifier. */
  keyId: Uint8Array;
}

const EXT = {
  basicConstraints: oid('2.5.29.19'),
  keyUsage: oid('2.5.29.15'),
  extKeyUsage: oid('2.5.29.37'),
  subjectAltName: oid('2.5.29.17'),
  authorityKeyId: oid('2.5.29.35'),
};
const SERVER_AUTH = oid('1.3.6.1.5.5.7.3.1');
const CLIENT_AUTH = oid('1.3.6.1.5.5.7.3.2');
/** digitalSignature (bit 0) and keyEncipherment (bit 2): 1010 0000, five unused bits. */
const KEY_USAGE = Buffer.from([0x03, 0x02, 0x05, 0xa0]);
const VERSION_3 = contextExplicit(0, Buffer.from([0x02, 0x01, 0x02]));
const EMPTY_NAME = sequence();

/** The signature algorithm for a signer's key (RFC 5758 3.2, RFC 4055 5): its DER and the hash. */
function signatureAlgorithm(key: KeyObject): { der: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'rsa') return { der: sequence(oid('1.2.840.113549.1.1.11'), NULL), hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { der: sequence(oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
    if (curve === 'secp384r1') return { der: sequence(oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
  }
  throw new Error(`cannot sign with a ${key.asymmetricKeyType} key${key.asymmetricKeyDetails?.namedCurve ? ` on ${key.asymmetricKeyDetails.namedCurve}` : ''}`);
}

function extension(id: Buffer, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(id, BOOLEAN_TRUE, octetString(value)) : sequence(id, octetString(value));
}

export interface Svid {
  /** The certificate, DER. */
  der: Buffer;
  /** Its serial number, hex, as @peculiar/x509 reports it. */
  serialNumber: string;
  /** The new key, PKCS#8 PEM. */
  keyPem: string;
}

/** A certificate for `spiffeId`, valid from `notBefore` to `notAfter`, signed by `signer`. */
export function issueSvid(signer: SvidSigner, spiffeId: string, notBefore: Date, notAfter: Date): Svid {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = randomBytes(16);
  // Positive (top bit clear) and not starting with a zero byte, so the INTEGER is these 16 bytes
  // exactly and the hex below is the serial every tool prints.
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const alg = signatureAlgorithm(signer.key);
  const tbs = sequence(
    VERSION_3,
    unsignedInteger(serial),
    alg.der,
    Buffer.from(signer.subjectDer),
    sequence(time(notBefore), time(notAfter)),
    EMPTY_NAME,
    publicKey.export({ type: 'spki', format: 'der' }),
    contextExplicit(3, sequence(
      extension(EXT.basicConstraints, true, sequence()),
      extension(EXT.keyUsage, true, KEY_USAGE),
      extension(EXT.extKeyUsage, false, sequence(SERVER_AUTH, CLIENT_AUTH)),
      extension(EXT.subjectAltName, true, sequence(contextPrimitive(6, Buffer.from(spiffeId, 'ascii')))),
      extension(EXT.authorityKeyId, false, sequence(contextPrimitive(0, signer.keyId))),
    )),
  );
  const signature = sign(alg.hash, tbs, signer.key);
  return {
    der: sequence(tbs, alg.der, bitString(signature)),
    serialNumber: serial.toString('hex'),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** Reads one DER element at `pos`: its tag, where its content starts, and where it ends. */
function element(der: Uint8Array, pos: number): { tag: number; start: number; end: number } {
  const tag = der[pos]!;
  let len = der[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const bytes = len & 0x7f;
    len = 0;
    for (let i = 0; i < bytes; i++) len = len * 256 + der[start + i]!;
    start += bytes;
  }
  return { tag, start, end: start + len };
}

/** The subject Name of a certificate, DER, exactly as the certificate holds it. */
export function subjectDerOf(certDer: Uint8Array): Uint8Array {
  const cert = element(certDer, 0);
  const tbs = element(certDer, cert.start);
  let pos = tbs.start;
  if (element(certDer, pos).tag === 0xa0) pos = element(certDer, pos).end; // version
  // serialNumber, signature, issuer, validity, then subject
  for (let i = 0; i < 4; i++) pos = element(certDer, pos).end;
  return certDer.subarray(pos, element(certDer, pos).end);
}
