// Sidecar outbound listeners, shaped as Istio's so that iptables capture can be added later:
// `virtualOutbound` (15001) receives captured connections and hands each to the listener of its
// original destination port; per-port listeners carry HTTP (via RDS) or TCP.
import { refOf, type ObjectRef, type Snapshot } from '../../model/types';
import type { EnvoyJson, NamedResource, ProxyClass } from '../types';
import { socketAddress } from '../core';
import { BLACKHOLE_CLUSTER, listenerName, outboundRouteName, PASSTHROUGH_CLUSTER, VIRTUAL_OUTBOUND_LISTENER, VIRTUAL_OUTBOUND_PORT } from '../names';
import { sourceKeys } from '../provenance';
import { passesUnknownHosts } from '../outbound-traffic-policy';
import { isHttp } from '../protocol';
import { istioProtocol } from '../../model/port-protocol';
import { servicePorts, type ServicePortRef } from '../service-ports';
import { httpConnectionManager } from './http-connection-manager';
import { tcpProxy } from './tcp-proxy';
import { tlsInspector } from '../gateway-tls';
import { meshVirtualServices, sidecarTcpChains, sidecarTlsChains, type MeshVirtualServices } from './tcp-routes';
import { PLAINTEXT_HTTP_ALPNS, httpInspector } from './protocol-sniffing';

/** namespace and labels: VirtualService `tcp` and `tls` rules (exportTo, sourceLabels, sourceNamespace). */
export type OutboundListenerFacets = Pick<ProxyClass, 'interceptionMode' | 'outboundAddress' | 'namespace' | 'labels'>;

/**
 * Connections to ports no service has go on to where the app sent them under ALLOW_ANY, and to
 * BlackHoleCluster (closed) under REGISTRY_ONLY (outbound-traffic-policy.ts).
 */
function virtualOutbound(allowAny: boolean): NamedResource {
  const cluster = allowAny ? PASSTHROUGH_CLUSTER : BLACKHOLE_CLUSTER;
  return {
    name: VIRTUAL_OUTBOUND_LISTENER,
    json: {
      name: VIRTUAL_OUTBOUND_LISTENER,
      address: socketAddress('0.0.0.0', VIRTUAL_OUTBOUND_PORT),
      use_original_dst: true,
      traffic_direction: 'OUTBOUND',
      filter_chains: [{ name: PASSTHROUGH_CLUSTER, filters: [tcpProxy(cluster)] }],
    },
    sources: [],
  };
}

/**
 * A per-port listener. Under capture it binds nothing (`bind_to_port: false`) and only receives
 * connections virtualOutbound hands over; without capture it binds the sidecar's outbound address.
 */
function portListener(proxy: OutboundListenerFacets, port: number, chains: (name: string) => EnvoyJson[], sources: readonly ObjectRef[], inspectors: EnvoyJson[] = []): NamedResource {
  const capture = proxy.interceptionMode === 'REDIRECT';
  const address = capture ? '0.0.0.0' : proxy.outboundAddress;
  const name = listenerName(address, port);
  return {
    name,
    json: {
      name,
      address: socketAddress(address, port),
      ...(capture ? { bind_to_port: false } : {}),
      traffic_direction: 'OUTBOUND',
      // No timeout on reading SNI or sniffing HTTP (Istio's default protocolDetectionTimeout 0s).
      ...(inspectors.length > 0 ? { listener_filters: inspectors, listener_filters_timeout: '0s', continue_on_listener_filters_timeout: true } : {}),
      filter_chains: chains(name),
    },
    sources: sourceKeys(sources),
  };
}

/**
 * virtualOutbound (under capture only: without it nothing is redirected to 15001, and the
 * original destination of a connection would be the sidecar itself), then one listener per HTTP
 * port number and one per TCP or TLS port number. A port some service speaks HTTP on is an HTTP
 * port; else a port some service speaks TLS on (`https`, `tls`) is a TLS port, whose services are
 * told apart by SNI (tcp-routes.ts). When several services share a TCP port, the first by host
 * name gets it: telling them apart needs their cluster IPs (Istio's per-VIP filter chains), which
 * only capture reveals. VirtualService `tcp` and `tls` rules shape the TCP and TLS ports' chains.
 */
export function outboundListeners(snapshot: Snapshot, proxy: OutboundListenerFacets): NamedResource[] {
  const byPort = new Map<number, ServicePortRef[]>();
  for (const ref of servicePorts(snapshot, proxy.namespace)) byPort.set(ref.port.port, [...(byPort.get(ref.port.port) ?? []), ref]);

  // Indexed on first use: a sidecar with only HTTP ports never reads the VirtualServices here.
  let indexed: MeshVirtualServices | undefined;
  const virtualServicesOf: MeshVirtualServices = (hostname) => (indexed ??= meshVirtualServices(snapshot, proxy))(hostname);
  const listeners = [...byPort].map(([port, onPort]) => {
    const http = onPort.filter((r) => isHttp(r.protocol));
    if (http.length > 0) {
      const hcm = (name: string): EnvoyJson =>
        httpConnectionManager({ statPrefix: `outbound_${name}`, routes: { rds: outboundRouteName(port) }, chain: 'outbound' });
      if (http.some((r) => istioProtocol(r.port) !== undefined)) return portListener(proxy, port, (name) => [{ filters: [hcm(name)] }], http.map((r) => refOf(r.service)));
      // No service names the port's protocol: Istio sniffs it (protocol detection). Plain-text
      // HTTP/1.1 and h2c, as http_inspector tells them, take the HTTP chain, anything else the
      // TCP chains of the first service (buildSidecarOutboundListener, ListenerProtocolAuto).
      const { chains, sources } = sidecarTcpChains(snapshot, proxy, onPort[0] as ServicePortRef, virtualServicesOf);
      const sniffed = (name: string): EnvoyJson[] => [...chains, { filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: PLAINTEXT_HTTP_ALPNS }, filters: [hcm(name)] }];
      return portListener(proxy, port, sniffed, [...sources, ...http.map((r) => refOf(r.service))], [httpInspector()]);
    }
    const tls = onPort.filter((r) => r.protocol === 'TLS');
    if (tls.length > 0) {
      const { chains, sources } = sidecarTlsChains(snapshot, proxy, tls, virtualServicesOf);
      return portListener(proxy, port, () => chains, sources, [tlsInspector()]);
    }
    const { chains, sources } = sidecarTcpChains(snapshot, proxy, onPort[0] as ServicePortRef, virtualServicesOf);
    return portListener(proxy, port, () => chains, sources);
  });
  return proxy.interceptionMode === 'REDIRECT' ? [virtualOutbound(passesUnknownHosts(snapshot, proxy)), ...listeners] : listeners;
}
