// A plugged-in CA in Istio's layout (the `cacerts` Secret, or a directory of the same files):
// `ca-cert.pem` and `ca-key.pem`, the certificate and key Mast signs as (usually an intermediate);
// `cert-chain.pem`, the chain from ca-cert up to the root; `root-cert.pem`, the trust anchors,
// which may hold several roots (how Istio rotates a plugged-in root: both roots in root-cert.pem
// during the overlap). Checked as Istio's KeyCertBundle.VerifyAndSetAll checks it
// (security/pkg/pki/util/keycertbundle.go): the certificate chains up to a root in root-cert.pem
// through cert-chain.pem, and the key is the certificate's.
import * as x509 from '@peculiar/x509';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CertificateAuthority, certsOf, fingerprint, type CaOptions } from './ca';

/** Istio's file names (security/pkg/pki/ca/ca.go). */
export const PLUG_IN_FILES = {
  cert: 'ca-cert.pem',
  key: 'ca-key.pem',
  chain: 'cert-chain.pem',
  roots: 'root-cert.pem',
} as const;

/** The four files' contents, by Istio's file name; a missing file is undefined. */
export type PlugInFiles = Partial<Record<(typeof PLUG_IN_FILES)[keyof typeof PLUG_IN_FILES], string>>;

/** True when any of the four files is there: the user meant to plug in a CA. */
export function hasPlugIn(files: PlugInFiles): boolean {
  return Object.values(PLUG_IN_FILES).some((f) => files[f] !== undefined);
}

/** The four files of `dir`, as far as they exist. Throws on a read error other than "not there". */
export function readPlugInDir(dir: string): PlugInFiles {
  const files: PlugInFiles = {};
  for (const name of Object.values(PLUG_IN_FILES)) {
    try {
      files[name] = readFileSync(path.join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return files;
}

/** The path from `cert` to a self-signed root among `candidates`, or why there is none. */
async function pathToRoot(cert: x509.X509Certificate, candidates: readonly x509.X509Certificate[], roots: ReadonlySet<string>): Promise<x509.X509Certificate[] | string> {
  const chain = [cert];
  for (let current = cert; ; ) {
    if (roots.has(fingerprint(current))) return chain;
    if (chain.length > 8) return 'the chain is longer than 8 certificates';
    const issuer = await findIssuer(current, candidates);
    if (!issuer) return `no certificate in cert-chain.pem or root-cert.pem signed "${current.subject}" (issuer "${current.issuer}")`;
    if (fingerprint(issuer) === fingerprint(current)) return `"${current.subject}" is self-signed but not in root-cert.pem`;
    chain.push(issuer);
    current = issuer;
  }
}

async function findIssuer(cert: x509.X509Certificate, candidates: readonly x509.X509Certificate[]): Promise<x509.X509Certificate | undefined> {
  // By signature, not by name: a DN written with other string types still names the same issuer.
  for (const c of candidates) {
    const signed = await cert.verify({ publicKey: c.publicKey, signatureOnly: true }).catch(() => false);
    if (signed) return c;
  }
  return undefined;
}

/**
 * The CA the files describe. Throws with what is wrong (a file missing, ca-cert not a CA, not
 * chaining to a root in root-cert.pem, expired, or the key not the certificate's); no message
 * quotes the key.
 */
export async function pluggedInCa(files: PlugInFiles, where: string, o: CaOptions = {}): Promise<CertificateAuthority> {
  const missing = Object.values(PLUG_IN_FILES).filter((f) => files[f] === undefined || files[f]!.trim() === '');
  if (missing.length > 0) throw new Error(`incomplete plug-in CA in ${where}: ${missing.join(', ')} missing (Istio's layout: ${Object.values(PLUG_IN_FILES).join(', ')})`);
  const [cert] = certsOf(files[PLUG_IN_FILES.cert]!);
  if (!cert) throw new Error(`${where}: ${PLUG_IN_FILES.cert} holds no certificate`);
  const roots = certsOf(files[PLUG_IN_FILES.roots]!);
  if (roots.length === 0) throw new Error(`${where}: ${PLUG_IN_FILES.roots} holds no certificate`);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) throw new Error(`${where}: ${PLUG_IN_FILES.cert} ("${cert.subject}") is not a CA certificate (basicConstraints CA:TRUE)`);
  const now = Date.now();
  const candidates = [...certsOf(files[PLUG_IN_FILES.chain]!), ...roots];
  const chain = await pathToRoot(cert, candidates, new Set(roots.map(fingerprint)));
  if (typeof chain === 'string') throw new Error(`${where}: ${PLUG_IN_FILES.cert} does not chain to ${PLUG_IN_FILES.roots}: ${chain}`);
  for (const c of chain) {
    if (c.notAfter.getTime() <= now) throw new Error(`${where}: "${c.subject}" expired on ${c.notAfter.toISOString()}`);
  }
  try {
    return await CertificateAuthority.signingAs(cert, files[PLUG_IN_FILES.key]!, chain, roots, o);
  } catch (err) {
    throw new Error(`${where}: ${PLUG_IN_FILES.key}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
