// TLS termination at a gateway's HTTPS server, as Istio builds it (pilot/pkg/networking/core/
// gateway.go with BuildListenerTLSContext in listener.go, and ApplyCredentialSDSToServerCommonTLSContext
// and ApplyToCommonTLSContext in pilot/pkg/model/authentication.go): SIMPLE, MUTUAL and
// OPTIONAL_MUTUAL present the server's `credentialName` certificate over SDS as `kubernetes://NAME`
// and check clients against `kubernetes://NAME-cacert` (src/xds/credentials.ts serves both);
// ISTIO_MUTUAL presents the gateway's own workload certificate and requires a mesh client
// certificate (SDS `default` and `ROOTCA`, as sidecars' inbound mTLS). Each server is a filter chain
// of its own chosen by SNI among its hosts. PASSTHROUGH servers are routed by SNI
// (listeners/tcp-gateway.ts). Certificates from files (serverCertificate, privateKey) and
// AUTO_PASSTHROUGH are not translated yet (validation reports them, MAST1008).
import type { EnvoyJson } from './types';
import type { Server } from '../model/gateway-servers';
import { filterCipherSuites } from '../model/validate/server-tls';
import { ROOT_CA_SECRET, sdsSecretConfig, typed, WORKLOAD_CERT_SECRET } from './core';

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

/**
 * The `envoy.transport_sockets.tls` socket of a server that terminates TLS (model/gateway-servers.ts terminatesTls). The
 * certificate: the credential's over SDS, or for ISTIO_MUTUAL the gateway's workload certificate.
 * Clients: MUTUAL and ISTIO_MUTUAL require a certificate, OPTIONAL_MUTUAL checks one if offered,
 * against the credential's CA (the mesh's roots for ISTIO_MUTUAL), its SAN one of
 * `subjectAltNames` when they are given.
 */
export function gatewayTransportSocket(server: Server): EnvoyJson {
  const tls = server.tls!;
  const istioMutual = tls.mode === 'ISTIO_MUTUAL';
  const certificate = istioMutual ? WORKLOAD_CERT_SECRET : `${CREDENTIAL_SECRET_PREFIX}${tls.credentialName}`;
  const trust = istioMutual ? ROOT_CA_SECRET : `${certificate}${CREDENTIAL_CA_SUFFIX}`;
  const validates = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL' || istioMutual;
  const sans = tls.subjectAltNames ?? [];
  const params = tlsParams(tls);
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: {
        ...(params ? { tls_params: params } : {}),
        alpn_protocols: ALPN_HTTP,
        tls_certificate_sds_secret_configs: [sdsSecretConfig(certificate)],
        ...(validates
          ? {
              combined_validation_context: {
                default_validation_context: sans.length > 0 ? { match_subject_alt_names: sans.map((exact) => ({ exact })) } : {},
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
