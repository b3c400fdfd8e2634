// A gateway listener per server port. Without capture it binds the router's own address, so
// several gateways can share a host; otherwise every address, as Istio's gateways do. A server
// that terminates TLS has a filter chain of its own, chosen by SNI (gateway-tls.ts); the port's
// plain-text servers share one chain; TCP, TLS-terminating-to-TCP and TLS-passthrough servers have
// the chains their VirtualServices' `tcp` and `tls` rules give (tcp-gateway.ts); AUTO_PASSTHROUGH
// servers a chain per SNI-DNAT cluster (sni-dnat.ts).
import { refOf } from '../../model/types';
import type { EnvoyJson, NamedResource, ProxyClass } from '../types';
import type { BoundServer, GatewayPort } from '../gateway-servers';
import type { FilterContext } from '../filters/http-filter';
import { policySources } from '../../policy/workload-policies';
import { socketAddress } from '../core';
import { gatewayTransportSocket, tlsInspector } from '../gateway-tls';
import { sniHosts, terminatesTls, terminatesTlsToTcp } from '../../model/gateway-servers';
import { listenerName } from '../names';
import { gatewayServerRouteName } from '../routes/gateway';
import { sourceKeys } from '../provenance';
import { httpConnectionManager } from './http-connection-manager';
import { gatewayL4Chains } from './tcp-gateway';
import { autoPassesTlsThrough } from '../../model/gateway-servers';
import { sniDnatChains } from '../sni-dnat';

export type GatewayListenerFacets = Pick<ProxyClass, 'interceptionMode' | 'ips'>;

/**
 * The listener of one gateway port; `context` (the gateway's workload and the mesh) gives its
 * chain the AuthorizationPolicy and RequestAuthentication filters that select the gateway.
 */
export function gatewayListener(gp: GatewayPort, proxy: GatewayListenerFacets, context: FilterContext): NamedResource | undefined {
  const address = proxy.interceptionMode === 'REDIRECT' ? '0.0.0.0' : (proxy.ips[0] ?? '0.0.0.0');
  const name = listenerName(address, gp.port);
  const hcm = (bound: BoundServer): EnvoyJson => httpConnectionManager({ statPrefix: `outbound_${name}`, routes: { rds: gatewayServerRouteName(bound) }, chain: 'gateway', context });
  const tls = gp.servers.filter((s) => terminatesTls(s.server));
  const plain = gp.servers.find((s) => !terminatesTls(s.server));
  // The names terminating servers match, HTTP or TCP, are theirs before any passthrough server's.
  const terminating = [...tls, ...(gp.l4 ?? []).filter((b) => terminatesTlsToTcp(b.server))];
  const sniTaken = new Set(terminating.flatMap((bound) => sniHosts(bound.server) ?? []));
  const chains: EnvoyJson[] = tls.map((bound) => {
    const serverNames = sniHosts(bound.server);
    return {
      ...(serverNames ? { filter_chain_match: { server_names: serverNames } } : {}),
      filters: [hcm(bound)],
      transport_socket: gatewayTransportSocket(bound.server),
    };
  });
  const l4 = (gp.l4 ?? []).map((bound) => autoPassesTlsThrough(bound.server)
    ? sniDnatChains(context.snapshot, bound, context.workload, sniTaken)
    : gatewayL4Chains(context.snapshot, bound, context.workload.namespace, sniTaken));
  // Envoy picks the most specific match whatever the order; server order keeps output stable.
  const all = [...chains, ...l4.flatMap((c) => c.chains), ...(plain ? [{ filters: [hcm(plain)] }] : [])];
  // Envoy refuses a listener without chains: an L4 server no VirtualService routes has none, as in Istio.
  if (all.length === 0) return undefined;
  return {
    name,
    json: {
      name,
      address: socketAddress(address, gp.port),
      traffic_direction: 'OUTBOUND',
      ...(tls.length > 0 || all.some((c) => c['filter_chain_match'] !== undefined) ? { listener_filters: [tlsInspector()] } : {}),
      filter_chains: all,
    },
    sources: sourceKeys([...gp.servers.map((s) => refOf(s.gateway)), ...(gp.l4 ?? []).map((s) => refOf(s.gateway)), ...l4.flatMap((c) => c.sources), ...policySources(context)]),
  };
}
