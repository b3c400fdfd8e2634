// The server side of mutual TLS: which filter chains a sidecar's inbound listener has for a port
// in each mode, told apart by the TLS inspector, and the TLS context the mTLS ones terminate with.
// Istio: pilot/pkg/networking/core/filterchain_options.go (getFilterChainMatchOptions),
// listener_inbound.go (populateListenerFilters, buildTLSInspector),
// pilot/pkg/security/authn/utils/utils.go (BuildInboundTLS).
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, sdsSecretConfig, typed } from '../../translate/core';
import type { EnvoyJson } from '../../translate/types';
import type { MtlsMode } from './peer-authentication';

/** What the TLS inspector sets as the transport protocol of a connection. */
export type TransportProtocol = 'tls' | 'raw_buffer';

/** One filter chain a port gets: what it matches, and whether it terminates mutual TLS. */
export interface InboundChainOption {
  transportProtocol: TransportProtocol;
  /** ALPN values a client must offer (any of them); undefined matches any. */
  applicationProtocols?: readonly string[];
  /** The chain terminates mTLS with the workload certificate (`downstreamTlsSocket`). */
  mtls: boolean;
}

/**
 * The ALPN values a client sidecar offers when it sends mTLS (allIstioMtlsALPNs): PERMISSIVE tells
 * mesh traffic from a client's own TLS by them. Mast's clients offer `istio` (upstream-tls.ts);
 * the others are Istio's sidecars', which Mast's inbound accepts as well.
 */
export const ISTIO_MTLS_ALPNS = ['istio', 'istio-peer-exchange', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'] as const;

/**
 * The filter chains of one port (or of the passthrough) in `mode`, as Istio's options for an HTTP
 * port (inbound*HTTPFilterChainMatch*Options) and for a TCP one (inbound*TCPFilterChainMatch*
 * Options). Mast's passthrough is TCP: it does not sniff for HTTP.
 * - STRICT: TLS only, terminated; a plaintext connection matches no chain and is closed.
 * - PERMISSIVE: mTLS from a sidecar (TLS offering an Istio ALPN), terminated; plaintext passed on
 *   as it came; on TCP, a client's own TLS passed on as it came too.
 * - DISABLE: plaintext only, passed on as it came.
 */
export function inboundChainOptions(mode: MtlsMode, http: boolean): InboundChainOption[] {
  switch (mode) {
    case 'STRICT':
      return [{ transportProtocol: 'tls', mtls: true }];
    case 'PERMISSIVE':
      return [
        { transportProtocol: 'tls', applicationProtocols: ISTIO_MTLS_ALPNS, mtls: true },
        ...(http ? [] : [{ transportProtocol: 'tls', mtls: false } as const]),
        { transportProtocol: 'raw_buffer', mtls: false },
      ];
    case 'DISABLE':
      return [{ transportProtocol: 'raw_buffer', mtls: false }];
  }
}

/** The TLS versions sidecars speak to each other (meshMTLS.minProtocolVersion's default, 1.2). */
const TLS_PARAMS = { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' };

/** Istio's server-side cipher suites for mesh mTLS (authn utils SupportedCiphers). */
const SUPPORTED_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
];

/**
 * BuildInboundTLS for STRICT and PERMISSIVE: present the workload certificate (SDS `default`),
 * require a client certificate and verify it against the trust bundle (SDS `ROOTCA`) without
 * pinning a name (authorization decides who may call, not the handshake). ALPN `h2`,
 * `http/1.1` lets the HTTP codec learn the protocol; `istio` is only matched on, never
 * negotiated, so that it cannot hide HTTP/2. Without metadata exchange (an Istio extension that
 * stock Envoy lacks) TCP ports get the same context as HTTP ones.
 */
export function downstreamTlsContext(): EnvoyJson {
  return typed('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
    common_tls_context: {
      tls_params: { ...TLS_PARAMS, cipher_suites: SUPPORTED_CIPHERS },
      alpn_protocols: ['h2', 'http/1.1'],
      tls_certificate_sds_secret_configs: [sdsSecretConfig(WORKLOAD_CERT_SECRET)],
      combined_validation_context: {
        default_validation_context: {},
        validation_context_sds_secret_config: sdsSecretConfig(ROOT_CA_SECRET),
      },
    },
    require_client_certificate: true,
  });
}

/** The `transport_socket` of a filter chain that terminates mesh mTLS. */
export function downstreamTlsSocket(): EnvoyJson {
  return { name: 'envoy.transport_sockets.tls', typed_config: downstreamTlsContext() };
}

/** Istio reads at most 512 bytes for the ClientHello instead of Envoy's 64 KiB (xds filters.go). */
const TLS_INSPECTOR_CONFIG = typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', { initial_read_buffer_size: 512 });

/**
 * The TLS inspector listener filter for a listener whose chains match on transport protocol at
 * `tlsPorts` (destination ports; 0 for the chains that match any port), or undefined when none
 * do. Like Istio's buildTLSInspector it is turned off where no chain needs it, so a server-first
 * protocol on a DISABLE port is never held waiting for a ClientHello.
 */
export function tlsInspector(tlsPorts: ReadonlyMap<number, boolean>): EnvoyJson | undefined {
  return onPorts({ name: 'envoy.filters.listener.tls_inspector', typed_config: TLS_INSPECTOR_CONFIG }, tlsPorts);
}

/**
 * `filter` (a listener filter) run only on the destination ports that need it (`ports`: port ->
 * needs it; 0 for the chains that match any port), or undefined when none do: disabled for every
 * port but the needing ones when the passthrough does not need it, for the others alone when it
 * does (Istio's buildTLSInspector and buildHTTPInspector, listener_inbound.go).
 */
export function onPorts(filter: EnvoyJson, ports: ReadonlyMap<number, boolean>): EnvoyJson | undefined {
  if (![...ports.values()].some(Boolean)) return undefined;
  const byDefault = ports.get(0) ?? false;
  const exceptions = [...ports].filter(([port, needs]) => port !== 0 && needs !== byDefault).map(([port]) => port).sort((a, b) => a - b);
  if (exceptions.length === 0) return filter;
  const ranges = exceptions.map((p) => ({ destination_port_range: { start: p, end: p + 1 } }));
  const listed = ranges.length === 1 ? ranges[0] : { or_match: { rules: ranges } };
  // Disabled on the listed ports when it runs by default; on all but them otherwise.
  return { ...filter, filter_disabled: byDefault ? listed : { not_match: listed } };
}
