// Certificates from files on the proxy's own disk (a Gateway server's `serverCertificate`,
// `privateKey`, `caCertificates`, `tlsCertificates`), under Istio's SDS names for them
// (pkg/security/security.go SdsCertificateConfig): `file-cert:CERT~KEY` for a certificate chain and
// its key, `file-root:CA` for the CA certificates that verify clients. In Istio the gateway's agent,
// beside Envoy, reads those files and serves them over SDS, following rotation
// (pilot/pkg/security/model/authentication.go ApplyToCommonTLSContext names them). Mast has no agent
// beside Envoy: its SDS (src/xds/secrets.ts) answers these names with a Secret that names the same
// files (a DataSource `filename`), which Envoy reads itself, and reads again when a file is renamed
// into their directory (Envoy's SdsApi watches each file's directory for moves: an atomic `mv`, or
// Kubernetes' `..data` symlink swap of a mounted Secret). No key ever passes through Mast.
import type { EnvoyJson } from './types';

/** Istio's prefix of a certificate-and-key secret read from files. */
export const FILE_CERT_PREFIX = 'file-cert:';
/** Istio's prefix of a CA-certificate secret read from a file. */
export const FILE_ROOT_PREFIX = 'file-root:';
/** Istio's separator of the certificate path and the key path (security.ResourceSeparator). */
const SEPARATOR = '~';

/** `file-cert:CERT~KEY`: the SDS name of a certificate chain and key at those paths. */
export function fileCertSecretName(certificate: string, privateKey: string): string {
  return `${FILE_CERT_PREFIX}${certificate}${SEPARATOR}${privateKey}`;
}

/** `file-root:CA`: the SDS name of the CA certificates at that path. */
export function fileRootSecretName(caCertificates: string): string {
  return `${FILE_ROOT_PREFIX}${caCertificates}`;
}

/** Whether `name` is one of the names above (what SDS answers with fileSecret). */
export function isFileSecretName(name: string): boolean {
  return name.startsWith(FILE_CERT_PREFIX) || name.startsWith(FILE_ROOT_PREFIX);
}

/**
 * The SDS Secret (proto3 JSON) answering `name`: a `tls_certificate` whose chain and key are the
 * files `file-cert:CERT~KEY` names, or a `validation_context` trusting the file `file-root:CA`
 * names. Undefined for a name that is neither, or that Istio's SdsCertificateConfigFromResourceName
 * would not parse (a `file-cert:` without exactly one `~`, a `file-root:` with one, an empty path).
 * A file the proxy cannot read makes Envoy refuse the Secret (a NACK, which Mast reports).
 */
export function fileSecret(name: string): EnvoyJson | undefined {
  if (name.startsWith(FILE_CERT_PREFIX)) {
    const paths = name.slice(FILE_CERT_PREFIX.length).split(SEPARATOR);
    if (paths.length !== 2 || !paths[0] || !paths[1]) return undefined;
    return { name, tls_certificate: { certificate_chain: { filename: paths[0] }, private_key: { filename: paths[1] } } };
  }
  if (name.startsWith(FILE_ROOT_PREFIX)) {
    const path = name.slice(FILE_ROOT_PREFIX.length);
    if (!path || path.includes(SEPARATOR)) return undefined;
    return { name, validation_context: { trusted_ca: { filename: path } } };
  }
  return undefined;
}
