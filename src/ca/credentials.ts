// Gateway credentials (a Gateway server's `tls.credentialName`): certificates and keys the user
// keeps in Kubernetes Secrets, or in file mode in a directory laid out the same way, read as
// Istio reads them (pilot/pkg/credentials/kube/secrets.go ExtractCertInfo, ExtractRoot): the
// certificate and key from `cert`/`key` (a generic Secret) or `tls.crt`/`tls.key` (type
// kubernetes.io/tls), the CA certificate from `cacert` or `ca.crt`.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { certsOf } from './ca';

/** A Secret's data, key to text. */
export type CredentialData = Record<string, string>;

/** Where credentials come from: Secrets of the API server, or a directory. */
export interface CredentialSource {
  /** Where, for logs: "Secrets", "/etc/mast/credentials". */
  readonly where: string;
  /** The data of `namespace/name`, or undefined when there is no such credential. */
  read(namespace: string, name: string): Promise<CredentialData | undefined>;
  /**
   * Why a proxy running as `namespace/serviceAccount` may not have its namespace's credentials'
   * keys, or undefined when it may; rejects when it cannot tell. Without it, every gateway may.
   */
  authorize?(namespace: string, serviceAccount: string): Promise<string | undefined>;
}

/** A server certificate: its chain and key, PEM. */
export interface ServerCredential {
  certificateChain: string;
  privateKey: string;
}

const pick = (data: CredentialData, ...keys: string[]): string | undefined => {
  for (const k of keys) if (data[k]?.trim()) return data[k];
  return undefined;
};

/**
 * The certificate and key of a credential, or why it cannot be served: no certificate or key
 * under Istio's keys, no certificate in the PEM, a key that does not parse or is not the
 * certificate's (Envoy would refuse the secret). Never quotes the key.
 */
export function serverCredential(data: CredentialData): ServerCredential | { problem: string } {
  const generic = pick(data, 'cert') !== undefined && pick(data, 'key') !== undefined;
  const certificateChain = generic ? pick(data, 'cert') : pick(data, 'tls.crt');
  const privateKey = generic ? pick(data, 'key') : pick(data, 'tls.key');
  if (!certificateChain || !privateKey) return { problem: `no certificate and key under cert/key or tls.crt/tls.key (keys: ${Object.keys(data).sort().join(', ') || 'none'})` };
  const [leaf] = certsOf(certificateChain);
  if (!leaf) return { problem: 'the certificate is not PEM' };
  let spki: Buffer;
  try {
    spki = createPublicKey(createPrivateKey(privateKey)).export({ type: 'spki', format: 'der' });
  } catch {
    return { problem: 'the private key is not a PEM private key' };
  }
  if (!spki.equals(Buffer.from(leaf.publicKey.rawData))) return { problem: `the private key is not the certificate's ("${leaf.subject}")` };
  return { certificateChain, privateKey };
}

/** The CA certificate(s) of a credential (`cacert`, else `ca.crt`), or why there is none. */
export function caCredential(data: CredentialData): { trustedCa: string } | { problem: string } {
  const trustedCa = pick(data, 'cacert', 'ca.crt');
  if (!trustedCa) return { problem: `no CA certificate under cacert or ca.crt (keys: ${Object.keys(data).sort().join(', ') || 'none'})` };
  if (certsOf(trustedCa).length === 0) return { problem: 'the CA certificate is not PEM' };
  return { trustedCa };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Whether `namespace/name` can name a Secret (a DNS label and a DNS subdomain of at most 253
 * characters, as the API server requires): anything else, `../x` above all, is never looked up.
 */
export function isCredentialRef(namespace: string, name: string): boolean {
  return DNS_LABEL.test(namespace) && name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

/**
 * File mode's credentials: `DIR/NAMESPACE/NAME/KEY`, one file per key of the Secret it stands
 * for (as a Secret volume mounts them), e.g. `DIR/istio-system/bookinfo-cert/tls.crt`.
 */
export function credentialDir(dir: string): CredentialSource {
  return {
    where: dir,
    async read(namespace, name) {
      if (!isCredentialRef(namespace, name)) return undefined;
      const at = path.join(dir, namespace, name);
      let files: string[];
      try {
        files = readdirSync(at);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw err;
      }
      const data: CredentialData = {};
      for (const f of files) {
        const file = path.join(at, f);
        if (statSync(file).isFile()) data[f] = readFileSync(file, 'utf8');
      }
      return data;
    },
  };
}
