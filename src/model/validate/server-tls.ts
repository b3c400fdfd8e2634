// A Gateway server's TLS settings, as Istio's validateTLSOptions
// (pkg/config/validation/validation.go) checks them: Istio refuses a Gateway whose TLS settings are
// invalid, and so does Mast. Findings are MAST2034; what Istio only warns about is a MAST2041
// warning. One more comes from what Istio's file SDS names can carry (checkPaths).
import type { FieldReader } from '../parse/read';

/** The cipher suites Istio knows (pkg/config/security ValidCipherSuites). */
const CIPHER_SUITES = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA', 'AES256-SHA', 'DES-CBC3-SHA',
]);

export interface ServerTls {
  httpsRedirect?: boolean;
  mode?: string;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  caCrl?: string;
  credentialName?: string;
  credentialNames?: string[];
  tlsCertificates?: { serverCertificate?: string; privateKey?: string }[];
  minProtocolVersion?: string;
  cipherSuites?: string[];
}

/** security.IsValidCipherSuite: a known suite, `ALL`, or an OpenSSL-style expression led by a symbol. */
function isValidCipherSuite(cs: string): boolean {
  return cs === '' || cs === 'ALL' || !/^[\p{L}\p{N}]/u.test(cs) || CIPHER_SUITES.has(cs);
}

/**
 * Istio's FilterCipherSuites (pkg/config/security): the valid suites, each once, in order. The
 * gateway gets these, so a name Envoy does not know never makes it refuse the listener.
 */
export function filterCipherSuites(suites: readonly string[]): string[] {
  return [...new Set(suites.filter(isValidCipherSuite))];
}

/**
 * MAST2051: a certificate, key or CA path holding `~`, which separates the certificate and key
 * paths in Istio's file SDS name `file-cert:CERT~KEY` (security.SdsCertificateConfigFromResourceName
 * would not parse it, and neither does Mast's SDS), so the server would wait for its certificate
 * forever. (The CRD's limit of 2 `credentialNames` and `tlsCertificates` is the schema check's, MAST1006.)
 */
function checkPaths(read: FieldReader, tls: ServerTls, field: string): void {
  const paths: [string, string | undefined][] = [
    ['serverCertificate', tls.serverCertificate],
    ['privateKey', tls.privateKey],
    ['caCertificates', tls.caCertificates],
    ...(tls.tlsCertificates ?? []).flatMap((c, i): [string, string | undefined][] => [[`tlsCertificates[${i}].serverCertificate`, c.serverCertificate], [`tlsCertificates[${i}].privateKey`, c.privateKey]]),
  ];
  for (const [at, path] of paths) {
    if (path?.includes('~')) read.report('MAST2051', `${field}.${at}`, `${JSON.stringify(path)} holds "~", which Istio's SDS name for certificate files (file-cert:CERT~KEY, file-root:CA) cannot carry: the server would never get its certificate; rename the file or its directory`);
  }
}

export function checkServerTls(read: FieldReader, tls: ServerTls | undefined, field: string): void {
  if (!tls) return;
  checkPaths(read, tls, field);
  const warn = (message: string): void => read.report('MAST2041', field, `${message} (an Istio warning: validateTLSOptions)`);
  const fail = (message: string): void => read.report('MAST2034', field, message);
  // The TLSmode enum's zero value is PASSTHROUGH.
  const mode = tls.mode ?? 'PASSTHROUGH';
  const ciphers = tls.cipherSuites ?? [];
  if ((tls.minProtocolVersion === 'TLSV1_0' || tls.minProtocolVersion === 'TLSV1_1') && ciphers.length === 0) {
    warn('TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers');
  }
  const invalid = [...new Set(ciphers.filter((c) => !isValidCipherSuite(c)))].sort();
  if (invalid.length) warn(`ignoring invalid cipher suites: [${invalid.join(' ')}]`);
  const duplicate = [...new Set(ciphers.filter((c, i) => isValidCipherSuite(c) && ciphers.indexOf(c) !== i))].sort();
  if (duplicate.length) warn(`ignoring duplicate cipher suites: [${duplicate.join(' ')}]`);

  const certificates = tls.tlsCertificates ?? [];
  const credentialNames = tls.credentialNames ?? [];
  if (mode === 'ISTIO_MUTUAL') {
    const set: [unknown, string][] = [
      [tls.serverCertificate, 'server certificate'],
      [tls.privateKey, 'private key'],
      [tls.caCertificates, 'CA bundle'],
      [certificates.length, 'tlsCertificates'],
      [tls.credentialName, 'credentialName'],
      [credentialNames.length, 'credentialNames'],
    ];
    for (const [value, what] of set) if (value) fail(`ISTIO_MUTUAL TLS cannot have associated ${what}`);
    return;
  }
  const anyCertificate = tls.caCrl || tls.serverCertificate || tls.privateKey || tls.caCertificates || certificates.length || tls.credentialName || credentialNames.length;
  if ((mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && anyCertificate) warn(`${mode} mode does not use certificates, they will be ignored`);

  const sources = [tls.serverCertificate && tls.privateKey, tls.credentialName, credentialNames.length, certificates.length].filter(Boolean).length;
  if (sources > 1) fail('only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified');
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  // With a credential name the certificates come from a Secret, so none are needed inline.
  if (terminating && (tls.credentialName || credentialNames.length)) return;
  if (terminating) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && !tls.caCertificates) fail(`${prefix} requires a client CA bundle`);
    if (certificates.length > 2) warn(`${prefix} can support up to 2 server certificates`);
    const toVerify = certificates.length ? certificates : [{ serverCertificate: tls.serverCertificate, privateKey: tls.privateKey }];
    for (const cert of toVerify) {
      if (!cert.serverCertificate) read.report('MAST2034', `${field}.serverCertificate`, `${prefix} requires a server certificate`);
      if (!cert.privateKey) read.report('MAST2034', `${field}.privateKey`, `${prefix} requires a private key`);
    }
  }
  if (tls.caCrl) {
    if (tls.credentialName) fail('CRL is not supported with credentialName. CRL has to be specified in the credential');
    if (mode === 'SIMPLE') fail('CRL is not supported with SIMPLE TLS');
  }
}
