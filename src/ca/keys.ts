// Private keys as CAs hand them over: PEM in any of the forms openssl writes (PKCS#8 "PRIVATE
// KEY", SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY"), ECDSA P-256/P-384 or RSA, turned into
// a WebCrypto signing key with the signature algorithm that goes with it. Istio's plug-in CA
// accepts the same (security/pkg/pki/util ParsePemEncodedKey).
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';

/** A WebCrypto signing key and the algorithm certificates signed with it name. */
export interface SigningKey {
  key: webcrypto.CryptoKey;
  /** The same key for node:crypto's synchronous sign (workload certificates, svid.ts). */
  keyObject: KeyObject;
  /** For @peculiar/x509's `signingAlgorithm`: ECDSA with the curve's hash, or RSASSA-PKCS1-v1_5 with SHA-256. */
  algorithm: webcrypto.EcdsaParams | webcrypto.Algorithm;
  /** The public key, SubjectPublicKeyInfo DER: what a certificate must carry to go with the key. */
  spki: Buffer;
}

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
};

function keyObject(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    // Never the PEM itself in the message: it is a private key.
    throw new Error(`not a PEM private key (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}

/**
 * Imports `pem` for signing. Throws (without quoting the key) when it is not a private key, or
 * not ECDSA P-256/P-384 or RSA.
 */
export async function importSigningKey(pem: string): Promise<SigningKey> {
  const ko = keyObject(pem);
  const der = ko.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(ko).export({ type: 'spki', format: 'der' });
  if (ko.asymmetricKeyType === 'ec') {
    const curve = CURVES[ko.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new Error(`EC key on curve ${ko.asymmetricKeyDetails?.namedCurve ?? '?'}: only P-256 and P-384 are supported`);
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve.namedCurve }, false, ['sign']);
    return { key, keyObject: ko, algorithm: { name: 'ECDSA', hash: curve.hash }, spki };
  }
  if (ko.asymmetricKeyType === 'rsa') {
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    return { key, keyObject: ko, algorithm: { name: 'RSASSA-PKCS1-v1_5' }, spki };
  }
  throw new Error(`a ${ko.asymmetricKeyType ?? 'unknown'} key: only ECDSA and RSA keys are supported`);
}

const REDACTED = '[redacted]';

/**
 * A private key in PEM that does not print itself: JSON (what pino writes), util.inspect
 * (console.log) and string conversion all give `[redacted]`, so a key held in an object that ends
 * up in a log line cannot leak. `reveal()` is the one way to the PEM, for the SDS secret.
 */
export class PrivateKeyPem {
  readonly #pem: string;

  constructor(pem: string) {
    this.#pem = pem;
  }

  reveal(): string {
    return this.#pem;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
