// The trust bundle as a file, for what reaches Mast over TLS in file mode, as a Pod mounts `ca.crt`
// of the mast-ca Secret in Kubernetes mode. Istio's name for the file (root-cert.pem); it holds
// every root proxies must trust now, so during a rotation's overlap it holds both, and it is public
// (0644: certificates only), rewritten in one step (a rename) whenever the bundle changes.
// Beside it, root-cert.sds.yaml: the file-based SDS resource a bootstrap names
// (`mast bootstrap --xds-ca STATE_DIR/root-cert.sds.yaml`), so that Envoy reads root-cert.pem
// again when it is replaced (Envoy's "SDS key rotation": docs/root/configuration/security/
// secret.rst, CertificateValidationContext.watched_directory in
// envoy/extensions/transport_sockets/tls/v3/common.proto). A root-cert.pem named in the bootstrap
// itself would be read once, at start, and a Mast restart after a root rotation would then find
// proxies that cannot verify its new serving certificate.
import { renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../model';
import type { MeshCa } from './mesh-ca';

export const BUNDLE_FILE = 'root-cert.pem';
export const BUNDLE_SDS_FILE = 'root-cert.sds.yaml';
/** The name of the Secret in an SDS file for Mast's root: a bootstrap's SdsSecretConfig must ask for it. */
export const XDS_CA_SECRET = 'xds-ca';

const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/**
 * The text of a file-based SDS resource (Envoy's path_config_source format: a DiscoveryResponse's
 * `resources`, here JSON, which YAML reads) holding the Secret `xds-ca`: validate against the
 * PEM bundle `pemFile` (an absolute path), and read it again whenever a file is moved into its
 * directory (watched_directory: Mast's rename, or kubelet's `..data` swap of a ConfigMap volume).
 */
export function bundleSdsResource(pemFile: string): string {
  const secret = { '@type': SECRET_TYPE, name: XDS_CA_SECRET, validation_context: { trusted_ca: { filename: pemFile }, watched_directory: { path: path.dirname(pemFile) } } };
  return `${JSON.stringify({ resources: [secret] }, null, 2)}\n`;
}

/** `text` into `file` in one step: a reader (Envoy's watch included) sees the old file or the new one, and a rename. */
export function replaceFile(file: string, text: string): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
}

/**
 * Writes `stateDir/root-cert.pem` now (if the CA is loaded) and after every bundle change, and
 * `stateDir/root-cert.sds.yaml` naming it; returns a function that stops it. A write that fails
 * is logged, and the next change tries again.
 */
export function keepBundleFile(ca: MeshCa, stateDir: string, log: Logger): () => void {
  const file = path.resolve(stateDir, BUNDLE_FILE);
  const write = (target: string, text: string): void => {
    try {
      replaceFile(target, text);
    } catch (err) {
      log.error({ file: target, err: err instanceof Error ? err.message : String(err) }, `cannot write the trust bundle proxies read (${target})`);
    }
  };
  const writeBundle = (): void => {
    const pem = ca.bundlePem;
    if (pem) write(file, pem);
  };
  writeBundle();
  write(path.join(path.dirname(file), BUNDLE_SDS_FILE), bundleSdsResource(file));
  return ca.onChange((change) => {
    if (change.bundle) writeBundle();
  });
}
