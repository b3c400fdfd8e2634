// TLS termination at a gateway for an HTTPS server whose certificate is a `credentialName`, as
// Istio builds it (pilot/pkg/networking/core/gateway.go with BuildListenerTLSContext in
// listener.go, and ApplyCredentialSDSToServerCommonTLSContext in pilot/pkg/model/authentication.go):
// the server's certificate and key over SDS as `kubernetes://NAME`, and for MUTUAL the CA that
// signs clients as `kubernetes://NAME-cacert` (src/xds/credentials.ts serves both), each server a
// filter chain of its own chosen by SNI among its hosts. PASSTHROUGH servers are routed by SNI
// (listeners/tcp-gateway.ts). Certificates from files (serverCertificate, privateKey), and the
// modes ISTIO_MUTUAL, OPTIONAL_MUTUAL and AUTO_PASSTHROUGH are not translated yet (validation
// reports them, MAST1008).
import type { EnvoyJson } from './types';
import type { Server } from './gateway-servers';
import { sdsSecretConfig, typed } from './core';

/** Istio's prefix for credentials its SDS reads from Kubernetes Secrets (pilot/pkg/model/credentials). */
export const CREDENTIAL_SECRET_PREFIX = 'kubernetes://';
/** The suffix of the secret holding a credential's CA certificate (Istio's SdsCaSuffix). */
export const CREDENTIAL_CA_SUFFIX = '-cacert';

/** What an HTTP gateway offers in ALPN over TLS (Istio's util.ALPNHttp). */
const ALPN_HTTP = ['h2', 'http/1.1'];

/** Whether Mast terminates TLS for `server`: HTTPS, mode SIMPLE or MUTUAL, the certificate a credentialName. */
export function terminatesTls(server: Server): boolean {
  const mode = server.tls?.mode;
  return server.port.protocol.toUpperCase() === 'HTTPS' && (mode === 'SIMPLE' || mode === 'MUTUAL') && Boolean(server.tls?.credentialName);
}

/**
 * Whether `server` passes TLS through untouched, its destination picked by SNI from VirtualService
 * `tls` rules (listeners/tcp-gateway.ts): TLS or HTTPS in mode PASSTHROUGH (the mode's zero value).
 */
export function passesTlsThrough(server: Server): boolean {
  const protocol = server.port.protocol.toUpperCase();
  return (protocol === 'TLS' || protocol === 'HTTPS') && server.tls !== undefined && (server.tls.mode ?? 'PASSTHROUGH') === 'PASSTHROUGH';
}

/**
 * The SNI names a server's filter chain matches (Istio's GetSNIHostsForServer: hosts without their
 * `namespace/` part, each once, sorted); undefined when a host is `*`, which matches any name or
 * none, so the chain has no server_names at all.
 */
export function sniHosts(server: Server): string[] | undefined {
  const hosts = [...new Set(server.hosts.map((h) => h.slice(h.indexOf('/') + 1)))].sort();
  return hosts.includes('*') ? undefined : hosts;
}

/**
 * The `envoy.transport_sockets.tls` socket of a terminating server (see terminatesTls): its
 * credential's certificate over SDS; MUTUAL requires a client certificate signed by the
 * credential's CA, whose SAN is one of `subjectAltNames` when they are given.
 */
export function gatewayTransportSocket(server: Server): EnvoyJson {
  const tls = server.tls!;
  const name = `${CREDENTIAL_SECRET_PREFIX}${tls.credentialName}`;
  const mutual = tls.mode === 'MUTUAL';
  const sans = tls.subjectAltNames ?? [];
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typed('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: {
        alpn_protocols: ALPN_HTTP,
        tls_certificate_sds_secret_configs: [sdsSecretConfig(name)],
        ...(mutual
          ? {
              combined_validation_context: {
                default_validation_context: sans.length > 0 ? { match_subject_alt_names: sans.map((exact) => ({ exact })) } : {},
                validation_context_sds_secret_config: sdsSecretConfig(`${name}${CREDENTIAL_CA_SUFFIX}`),
              },
            }
          : {}),
      },
      require_client_certificate: mutual,
    }),
  };
}

/** The listener filter that reads SNI, which the servers' filter chains are chosen by. */
export function tlsInspector(): EnvoyJson {
  return { name: 'envoy.filters.listener.tls_inspector', typed_config: typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector') };
}
