// `virtualInbound` (15006): under capture, every connection to the pod arrives here and is
// matched by its original destination port; a filter chain per port the app serves, a
// passthrough for the rest. Without capture the listener also binds each `ip:targetPort` of the
// workload itself, so traffic sent straight to the pod IP reaches the same filter chains.
//
// The original destination is restored by the original_dst listener filter, not by
// `use_original_dst`: that would hand an inbound connection to port 9080 over to the outbound
// listener 0.0.0.0_9080, which claims that port for the app's own calls. Istio does the same.
//
// Each port (and the passthrough) gets the chains of its PeerAuthentication mode (STRICT: mTLS
// only; PERMISSIVE: mTLS and plaintext, told apart by the TLS inspector; DISABLE: plaintext), as
// Istio builds them (src/policy/mtls/inbound-tls.ts). The passthrough is a set of chains that
// match any port, not a default chain: a connection to a served port that matches none of its
// chains (plaintext on a STRICT port) must be closed, never passed through.
import type { EnvoyJson, NamedResource, ProxyClass } from '../types';
import type { InboundPort } from '../inbound-ports';
import { socketAddress, typed } from '../core';
import { downstreamTlsSocket, inboundChainOptions, onPorts, tlsInspector, type InboundChainOption } from '../../policy/mtls/inbound-tls';
import { modeForPort, type MtlsMode, type WorkloadMtls } from '../../policy/mtls/peer-authentication';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, VIRTUAL_INBOUND_LISTENER, VIRTUAL_INBOUND_PORT, inboundClusterName, inboundStatPrefix } from '../names';
import { sourceKeys } from '../provenance';
import { isHttp } from '../protocol';
import { inboundRouteConfig } from '../routes/inbound';
import { httpConnectionManager } from './http-connection-manager';
import type { FilterContext } from '../filters/http-filter';
import { networkRbac } from '../../policy/authorization/network-filter';
import { policySources } from '../../policy/workload-policies';
import { tcpProxy } from './tcp-proxy';
import { PLAINTEXT_HTTP_ALPNS, httpInspector } from './protocol-sniffing';

/** The passthrough chains' name (the default chain had it before mTLS made it several chains). */
const VIRTUAL_INBOUND_PASSTHROUGH = 'virtualInbound-passthrough';

const ORIGINAL_DST_FILTER = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: typed('envoy.extensions.filters.listener.original_dst.v3.OriginalDst'),
};

export type InboundListenerFacets = Pick<ProxyClass, 'interceptionMode' | 'ips'>;

/** One chain: `match` (a destination port, or none) narrowed by what the option matches. */
function chain(name: string, match: EnvoyJson, option: InboundChainOption, filters: EnvoyJson[]): EnvoyJson {
  return {
    name,
    filter_chain_match: {
      ...match,
      transport_protocol: option.transportProtocol,
      ...(option.applicationProtocols ? { application_protocols: option.applicationProtocols } : {}),
    },
    filters,
    ...(option.mtls ? { transport_socket: downstreamTlsSocket() } : {}),
  };
}

/**
 * `rbac`: the workload's network RBAC filters, in front of tcp_proxy; an HTTP port's chain computes
 * its own filters from `context`. A sniffed port (InboundPort.sniffed) gets the chains of a TCP
 * port, as Istio's inbound protocol detection does (filterchain_options.go,
 * inboundPermissiveFilterChainMatchWithMxcOptions): its plaintext chain split in two by what
 * http_inspector reports (HTTP/1.1 and h2c to the HTTP connection manager, any other bytes to the
 * TCP filters), a client's own TLS passed on as TCP. Its mTLS chain stays HTTP: telling HTTP from
 * TCP inside mTLS needs the client to offer `istio-http/1.1` or `istio-h2` instead of `istio` (ALPN
 * by protocol), which Istio's sidecars do through their own `istio.alpn` HTTP filter, absent from
 * upstream Envoy; Mast's clients offer `istio` alone (upstream-tls.ts), so there is nothing to
 * match on.
 */
function portChains(port: InboundPort, mode: MtlsMode, context: FilterContext, rbac: readonly EnvoyJson[]): EnvoyJson[] {
  const cluster = inboundClusterName(port.targetPort);
  const http = isHttp(port.protocol);
  // An HTTP chain that takes mutual TLS counts its requests under a stat prefix of its own, so
  // the stats tell mTLS requests from plaintext ones (Istio's connection_security_policy).
  const hcm = (o: InboundChainOption): EnvoyJson[] => [httpConnectionManager({
    statPrefix: inboundStatPrefix(port.targetPort, o.mtls),
    routes: { inline: inboundRouteConfig(port.targetPort) },
    chain: 'inbound',
    context,
  })];
  const tcp = [...rbac, tcpProxy(cluster)];
  const match = { destination_port: port.targetPort };
  return inboundChainOptions(mode, http && !port.sniffed).flatMap((o) => {
    if (sniffs(port, o)) return [chain(cluster, match, { ...o, applicationProtocols: PLAINTEXT_HTTP_ALPNS }, hcm(o)), chain(cluster, match, o, tcp)];
    return [chain(cluster, match, o, http && (o.mtls || !port.sniffed) ? hcm(o) : tcp)];
  });
}

/** Whether `port`'s chain `option` is split by http_inspector: plaintext on a sniffed port (which portProtocol makes HTTP). */
function sniffs(port: InboundPort, option: InboundChainOption): boolean {
  return port.sniffed && option.transportProtocol === 'raw_buffer';
}

/**
 * Ports no Service declares go to the app as addressed, in the workload's mode; a port only its
 * PeerAuthentication names (`portLevelMtls`) gets passthrough chains of its own mode (Istio's
 * ForPassthrough).
 */
function passthroughChains(mtls: WorkloadMtls, declared: ReadonlySet<number>, rbac: readonly EnvoyJson[]): { chains: EnvoyJson[]; ports: [number, MtlsMode][] } {
  const ports: [number, MtlsMode][] = [[0, mtls.mode], ...[...mtls.perPort].filter(([p]) => !declared.has(p)).sort((a, b) => a[0] - b[0])];
  // The workload's policies hold on ports no Service declares too (TCP rules only, as in Istio).
  const filters = [...rbac, tcpProxy(INBOUND_PASSTHROUGH_CLUSTER)];
  const chains = ports.flatMap(([port, mode]) =>
    inboundChainOptions(mode, false).map((o) => chain(VIRTUAL_INBOUND_PASSTHROUGH, port === 0 ? {} : { destination_port: port }, o, filters)));
  return { chains, ports };
}

/**
 * Connections addressed to 15006 itself would be passed through to 15006 again, forever; Istio
 * ends them with this chain.
 */
function selfChain(): EnvoyJson {
  return {
    name: 'virtualInbound-blackhole',
    filter_chain_match: { destination_port: VIRTUAL_INBOUND_PORT },
    filters: [tcpProxy(BLACKHOLE_CLUSTER)],
  };
}

/**
 * The inbound listener of a sidecar whose app serves `ports`, with the mutual TLS modes `mtls`
 * (src/policy/mtls/peer-authentication.ts) on them, and the AuthorizationPolicy and
 * RequestAuthentication filters of its workload (`context`, src/policy/).
 */
export function virtualInbound(ports: readonly InboundPort[], proxy: InboundListenerFacets, mtls: WorkloadMtls, context: FilterContext): NamedResource {
  const rbac = networkRbac(context);
  const capture = proxy.interceptionMode === 'REDIRECT';
  const modes = ports.map((p) => [p.targetPort, modeForPort(mtls, p.targetPort)] as const);
  const passthrough = passthroughChains(mtls, new Set(ports.map((p) => p.targetPort)), rbac);
  const needsTls = (mode: MtlsMode): boolean => inboundChainOptions(mode, false).some((o) => o.transportProtocol === 'tls');
  const inspector = tlsInspector(new Map([...modes, ...passthrough.ports].map(([port, mode]) => [port, needsTls(mode)])));
  // After the TLS inspector, which it leaves alone once that has found TLS; only on sniffed ports,
  // so that a server-first protocol elsewhere is never held waiting for the client's bytes.
  const sniffer = onPorts(httpInspector(), new Map([
    [0, false],
    ...modes.map(([port, mode], i): [number, boolean] => [port, inboundChainOptions(mode, false).some((o) => sniffs(ports[i] as InboundPort, o))]),
  ]));
  const listenerFilters = [...(capture ? [ORIGINAL_DST_FILTER] : []), ...(inspector ? [inspector] : []), ...(sniffer ? [sniffer] : [])];
  // Without capture each sidecar binds its own pod IP, so sidecars sharing a host do not collide.
  const address = capture ? '0.0.0.0' : (proxy.ips[0] ?? '0.0.0.0');
  const additional = capture
    ? []
    : proxy.ips.flatMap((ip) => ports.map((p) => ({ address: socketAddress(ip, p.targetPort) })));
  return {
    name: VIRTUAL_INBOUND_LISTENER,
    json: {
      name: VIRTUAL_INBOUND_LISTENER,
      address: socketAddress(address, VIRTUAL_INBOUND_PORT),
      ...(additional.length > 0 ? { additional_addresses: additional } : {}),
      // Without capture the local address already is the destination.
      ...(listenerFilters.length > 0 ? { listener_filters: listenerFilters } : {}),
      // Istio's protocol detection timeout (0s: none): a connection whose ClientHello has not
      // come yet is waited for, and one the inspector gives up on still gets its chain.
      ...(inspector || sniffer ? { listener_filters_timeout: '0s', continue_on_listener_filters_timeout: true } : {}),
      traffic_direction: 'INBOUND',
      filter_chains: [...modes.flatMap(([, mode], i) => portChains(ports[i] as InboundPort, mode, context, rbac)), selfChain(), ...passthrough.chains],
    },
    sources: sourceKeys([...ports.flatMap((p) => p.sources), ...mtls.sources, ...policySources(context)]),
  };
}
