// TLS termination at a gateway's HTTPS and TLS servers, as Istio builds it (pilot/pkg/networking/core/
// gateway.go with BuildListenerTLSContext in listener.go, and ApplyCredentialSDSToServerCommonTLSContext
// and ApplyToCommonTLSContext in pilot/pkg/security/model/authentication.go): SIMPLE, MUTUAL and
// OPTIONAL_MUTUAL present the server's `credentialName` certificate over SDS as `kubernetes://NAME`
// (or each of `credentialNames`, an RSA and an ECDSA one) and check clients against
// `kubernetes://NAME-cacert` (of the first name; src/xds/credentials.ts serves both); without a
// credential name they present the files `serverCertificate` and `privateKey` (or each of
// `tlsCertificates`) and check clients against the file `caCertificates`, over SDS under Istio's
// file names (file-credentials.ts), with `caCrl` read by Envoy; ISTIO_MUTUAL presents the gateway's
// own workload certificate and requires a mesh client certificate (SDS `default` and `ROOTCA`, as
// sidecars' inbound mTLS). Each server is a filter chain of its own chosen by SNI among its hosts.
// PASSTHROUGH servers are routed by SNI (listeners/tcp-gateway.ts), and so are TLS servers that
// terminate, then by their VirtualServices' `tcp` rules.
import type { EnvoyJson } from './types';
import type { Server } from '../model/gateway-servers';
import { filterCipherSuites } from '../model/validate/server-tls';
import { ROOT_CA_SECRET, sdsSecretConfig, typed, WORKLOAD_CERT_SECRET } from './core';
import { fileCertSecretName, fileRootSecretName } from './file-credentials';

/** Istio's prefix for credentials its SDS reads from Kubernetes Secrets (pilot/pkg/model/credentials). */
export const CREDENTIAL_SECRET_PREFIX = 'kubernetes://';
/** The suffix of the secret holding a credential's CA certificate (Istio's SdsCaSuffix). */
export const CREDENTIAL_CA_SUFFIX = '-cacert';

/** What an HTTP gateway offers in ALPN over TLS (Istio's util.ALPNHttp). */
const ALPN_HTTP = ['h2', 'http/1.1'];

/** Istio's convertTLSProtocol: the API's TLSV1_2 is Envoy's TLSv1_2. */
function envoyTlsVersion(version: string): string {
  return version === 'TLS_AUTO' ? version : version.replace('TLSV', 'TLSv');
}

/**
 * Istio's applyServerTLSSettings, for SIMPLE, MUTUAL and OPTIONAL_MUTUAL only (isSimpleOrMutual):
 * the protocol versions and cipher suites the server allows, or nothing for Envoy's defaults.
 */
function tlsParams(tls: NonNullable<Server['tls']>): EnvoyJson | undefined {
  if (!['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(tls.mode ?? '')) return undefined;
  const params: EnvoyJson = {};
  if (tls.minProtocolVersion && tls.minProtocolVersion !== 'TLS_AUTO') params.tls_minimum_protocol_version = envoyTlsVersion(tls.minProtocolVersion);
  if (tls.maxProtocolVersion && tls.maxProtocolVersion !== 'TLS_AUTO') params.tls_maximum_protocol_version = envoyTlsVersion(tls.maxProtocolVersion);
  const ciphers = filterCipherSuites(tls.cipherSuites ?? []);
  if (ciphers.length) params.cipher_suites = ciphers;
  return Object.keys(params).length > 0 ? params : undefined;
}

type ServerTls = NonNullable<Server['tls']>;

/**
 * The SDS names of the certificates a terminating server presents, and of the CA certificates its
 * clients are checked against: ISTIO_MUTUAL's workload certificate and mesh roots; the credential
 * names (the first one's CA, as Istio: Envoy validates against one CA); or the files, Istio's
 * fallback to the mesh roots when no `caCertificates` is given (validation requires one for MUTUAL).
 */
function certificateNames(tls: ServerTls): { certificates: string[]; trust: string } {
  if (tls.mode === 'ISTIO_MUTUAL') return { certificates: [WORKLOAD_CERT_SECRET], trust: ROOT_CA_SECRET };
  const credentials = tls.credentialNames?.length ? tls.credentialNames : tls.credentialName ? [tls.credentialName] : [];
  if (credentials.length > 0) {
    const certificates = credentials.map((n) => `${CREDENTIAL_SECRET_PREFIX}${n}`);
    return { certificates, trust: `${certificates[0]}${CREDENTIAL_CA_SUFFIX}` };
  }
  const files = tls.tlsCertificates?.length ? tls.tlsCertificates : [{ serverCertificate: tls.serverCertificate, privateKey: tls.privateKey }];
  return {
    certificates: files.map((f) => fileCertSecretName(f.serverCertificate ?? '', f.privateKey ?? '')),
    trust: tls.caCertificates ? fileRootSecretName(tls.caCertificates) : ROOT_CA_SECRET,
  };
}

/**
 * The `envoy.transport_sockets.tls` socket of a server that terminates TLS (model/gateway-servers.ts
 * terminatesTls): its certificates (see certificateNames) over SDS. Clients: MUTUAL and ISTIO_MUTUAL
 * require a certificate, OPTIONAL_MUTUAL checks one if offered, against the trusted CA, its SAN one
 * of `subjectAltNames` when they are given, not revoked by the `caCrl` file when one is given
 * (Istio: with files or ISTIO_MUTUAL; validation refuses it with a credentialName).
 */
export function gatewayTransportSocket(server: Server): EnvoyJson {
  const tls = server.tls!;
  const istioMutual = tls.mode === 'ISTIO_MUTUAL';
  const { certificates, trust } = certificateNames(tls);
  const validates = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL' || istioMutual;
  const sans = tls.subjectAltNames ?? [];
  const crl = tls.caCrl && !tls.credentialName && !tls.credentialNames?.length ? { crl: { filename: tls.caCrl } } : {};
  const params = tlsParams(tls);
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: {
        ...(params ? { tls_params: params } : {}),
        alpn_protocols: ALPN_HTTP,
        tls_certificate_sds_secret_configs: certificates.map((n) => sdsSecretConfig(n)),
        ...(validates
          ? {
              combined_validation_context: {
                default_validation_context: { ...(sans.length > 0 ? { match_subject_alt_names: sans.map((exact) => ({ exact })) } : {}), ...crl },
                validation_context_sds_secret_config: sdsSecretConfig(trust),
              },
            }
          : {}),
      },
      require_client_certificate: tls.mode === 'MUTUAL' || istioMutual,
    }),
  };
}

/** The listener filter that reads SNI, which the servers' filter chains are chosen by. */
export function tlsInspector(): EnvoyJson {
  return { name: 'envoy.filters.listener.tls_inspector', typed_config: typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector') };
}
