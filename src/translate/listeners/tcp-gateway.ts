// The filter chains of a gateway's TCP and TLS-passthrough servers, as Istio's
// createGatewayTCPFilterChainOpts builds them (pilot/pkg/networking/core/gateway.go): the
// VirtualServices bound to the server's Gateway whose hosts one of the server's hosts covers
// (pickMatchingGatewayHosts), oldest first.
// - An opaque TCP server (no `tls`): one chain, the first `tcp` rule one of whose matches (or
//   none) holds for the server's port and Gateway (buildGatewayNetworkFiltersFromTCPRoutes).
// - A TLS server that terminates (SIMPLE, MUTUAL, OPTIONAL_MUTUAL): the same chain, matching the
//   server's SNI names, with the server's TLS context (gateway-tls.ts): TLS termination, then TCP.
// - A PASSTHROUGH server: a chain per `tls` match that holds, matching its SNI names; a match
//   naming an SNI name an earlier chain on the port has is skipped, as Istio skips it, since
//   Envoy refuses two chains with one match (buildGatewayNetworkFiltersFromTLSRoutes).
import { refOf, type ObjectRef, type Snapshot, type VirtualService } from '../../model/types';
import type { EnvoyJson } from '../types';
import { gatewayKeyOf, type BoundServer } from '../gateway-servers';
import { gatewayTransportSocket } from '../gateway-tls';
import { sniHosts, terminatesTlsToTcp } from '../../model/gateway-servers';
import { hostMatches } from '../hosts';
import { l4MatchApplies, l4RouteFilter, type L4Where } from '../routes/l4-route';
import { serverHostsFor } from '../routes/gateway';
import { virtualServicesFor } from '../routes/virtual-services';

/** The VirtualServices bound to `bound`'s Gateway whose hosts one of the server's hosts covers. */
function boundVirtualServices(snapshot: Snapshot, bound: BoundServer, namespace: string): VirtualService[] {
  return virtualServicesFor(snapshot, gatewayKeyOf(bound.gateway), namespace).filter((vs) => {
    const serverHosts = serverHostsFor(bound, vs);
    return (vs.spec.hosts ?? []).some((h) => serverHosts.some((s) => hostMatches(s, h)));
  });
}

/**
 * The chains of one L4 server on port `port`, for a gateway proxy in `namespace`. `sniTaken`
 * holds the SNI names earlier chains of the listener match, and gains this server's.
 */
export function gatewayL4Chains(snapshot: Snapshot, bound: BoundServer, namespace: string, sniTaken: Set<string>): { chains: EnvoyJson[]; sources: ObjectRef[] } {
  const port = bound.server.port.number;
  const where: L4Where = { port, gateways: new Set([gatewayKeyOf(bound.gateway)]) };
  const ctx = { snapshot, port };
  const chains: EnvoyJson[] = [];
  const sources: ObjectRef[] = [];
  for (const vs of boundVirtualServices(snapshot, bound, namespace)) {
    const terminates = terminatesTlsToTcp(bound.server);
    if (!bound.server.tls || terminates) {
      const rule = (vs.spec.tcp ?? []).find((r) => (r.match?.length ? r.match.some((m) => l4MatchApplies(m, vs, where)) : true) && r.route?.length);
      if (!rule) continue;
      const filters = [l4RouteFilter(rule.route!, vs, ctx)];
      if (!terminates) return { chains: [{ filters }], sources: [refOf(vs)] };
      // mergeGatewayServers kept this server only if no earlier one on the port has its names, and
      // gatewayListener put them in sniTaken before any passthrough server's.
      const names = sniHosts(bound.server);
      const chain = { ...(names ? { filter_chain_match: { server_names: names } } : {}), filters, transport_socket: gatewayTransportSocket(bound.server) };
      return { chains: [chain], sources: [refOf(vs)] };
    }
    for (const rule of vs.spec.tls ?? []) {
      if (!rule.route?.length) continue;
      for (const match of rule.match ?? []) {
        if (!l4MatchApplies(match, vs, where)) continue;
        const names = match.sniHosts ?? [];
        if (names.some((n) => sniTaken.has(n))) continue;
        for (const n of names) sniTaken.add(n);
        chains.push({ filter_chain_match: { server_names: [...names] }, filters: [l4RouteFilter(rule.route, vs, ctx)] });
        sources.push(refOf(vs));
      }
    }
  }
  return { chains, sources };
}
