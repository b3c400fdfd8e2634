// The filter chains of a sidecar's outbound TCP and TLS ports, from VirtualService `tcp` and `tls`
// rules, as Istio's buildSidecarOutboundTCPFilterChainOpts and buildSidecarOutboundTLSFilterChainOpts
// build them (pilot/pkg/networking/core/tls.go): each VirtualService whose hosts cover the
// service (every one, in creation order, as getConfigsForHost gives them), each rule with a route,
// each match whose static predicates hold for this proxy. A TCP rule without destination subnets
// ends the list; subnets and SNI names become filter_chain_match entries. A service no rule
// routes gets a chain to its own cluster.
import { refOf, type ObjectRef, type Snapshot, type VirtualService } from '../../model/types';
import type { EnvoyJson, ProxyClass } from '../types';
import { hostMatches } from '../hosts';
import { outboundClusterName } from '../names';
import type { ServicePortRef } from '../service-ports';
import { l4MatchApplies, l4RouteFilter, prefixRanges, type L4Where } from '../routes/l4-route';
import { MESH_GATEWAY, virtualServiceHosts, virtualServicesFor } from '../routes/virtual-services';
import { tcpProxy } from './tcp-proxy';
import { tunnelingConfig } from '../traffic-policy/tunnel';

export type L4SourceFacets = Pick<ProxyClass, 'namespace' | 'labels'>;

/** The chains of one port, and the objects they came from. */
export interface L4Chains {
  chains: EnvoyJson[];
  sources: ObjectRef[];
}

/** The mesh-bound VirtualServices whose hosts cover a service's host name, in creation order. */
export type MeshVirtualServices = (hostname: string) => VirtualService[];

/**
 * The look-up `MeshVirtualServices` for one proxy, indexed once per listener build (exact hosts
 * to their VirtualServices; wildcard hosts scanned): a look-up over every VirtualService, delegates
 * merged each time, per service of a TLS port made 1000 ServiceEntries on port 443 with 1000
 * VirtualServices cost 10^6 host resolutions and merges.
 */
export function meshVirtualServices(snapshot: Snapshot, proxy: L4SourceFacets): MeshVirtualServices {
  const candidates = virtualServicesFor(snapshot, MESH_GATEWAY, proxy.namespace);
  const exact = new Map<string, number[]>();
  const wildcards: { host: string; at: number }[] = [];
  candidates.forEach((vs, at) => {
    // Validation refuses a VirtualService whose hosts overlap (MAST2030), so each is listed once.
    for (const host of virtualServiceHosts(vs, snapshot.domain)) {
      if (host.startsWith('*')) wildcards.push({ host, at });
      else exact.set(host, [...(exact.get(host) ?? []), at]);
    }
  });
  return (hostname) => {
    const found = [...(exact.get(hostname) ?? []), ...wildcards.filter(({ host }) => hostMatches(host, hostname)).map(({ at }) => at)];
    return found.sort((a, b) => a - b).map((at) => candidates[at]!);
  };
}

function where(port: number, proxy: L4SourceFacets): L4Where {
  return { port, gateways: new Set([MESH_GATEWAY]), source: { namespace: proxy.namespace, labels: proxy.labels } };
}

/** The tcp_proxy to the service's own cluster, with its DestinationRule's `tunnel` (Istio's default route). */
function ownCluster(snapshot: Snapshot, proxy: L4SourceFacets, port: number, ref: ServicePortRef): EnvoyJson {
  const rule = snapshot.destinationRuleFor(ref.service.hostname, proxy.namespace, proxy.labels);
  return tcpProxy(outboundClusterName(port, ref.service.hostname), tunnelingConfig(rule));
}

function chain(filter: EnvoyJson, match: EnvoyJson = {}): EnvoyJson {
  return { ...(Object.keys(match).length > 0 ? { filter_chain_match: match } : {}), filters: [filter] };
}

/**
 * A TCP port's chains for `ref`, the service that owns the port on this sidecar (outbound.ts):
 * rules with destination subnets first, each a chain matching them, then the first rule that
 * matches any destination, or the service's own cluster.
 */
export function sidecarTcpChains(snapshot: Snapshot, proxy: L4SourceFacets, ref: ServicePortRef, virtualServicesOf: MeshVirtualServices): L4Chains {
  const port = ref.port.port;
  const ctx = { snapshot, port };
  const chains: EnvoyJson[] = [];
  const sources: ObjectRef[] = [refOf(ref.service)];
  for (const vs of virtualServicesOf(ref.service.hostname)) {
    for (const rule of vs.spec.tcp ?? []) {
      if (!rule.route?.length) continue;
      const matches = rule.match ?? [];
      const applying = matches.filter((m) => l4MatchApplies(m, vs, where(port, proxy)));
      if (matches.length === 0 || applying.some((m) => !m.destinationSubnets?.length)) {
        sources.push(refOf(vs));
        return { chains: [...chains, chain(l4RouteFilter(rule.route, vs, ctx, proxy))], sources };
      }
      const subnets = applying.flatMap((m) => m.destinationSubnets ?? []);
      if (subnets.length === 0) continue;
      sources.push(refOf(vs));
      chains.push(chain(l4RouteFilter(rule.route, vs, ctx, proxy), { prefix_ranges: prefixRanges(subnets) }));
    }
  }
  return { chains: [...chains, chain(ownCluster(snapshot, proxy, port, ref))], sources };
}

/**
 * A TLS port's chains (the listener reads SNI with tls_inspector): for every service on the port,
 * a chain per applying `tls` match with its SNI names and subnets (a second match with the same
 * names and subnets would never be reached, and Envoy refuses two equal chain matches, so it is
 * skipped, as Istio skips it). A service no match routes is reached by its host name as SNI; the
 * first service on the port, when no match routes it, also takes connections no chain matches, as
 * the single service of Istio's per-address listener would.
 */
export function sidecarTlsChains(snapshot: Snapshot, proxy: L4SourceFacets, refs: readonly ServicePortRef[], virtualServicesOf: MeshVirtualServices): L4Chains {
  const chains: EnvoyJson[] = [];
  const sources: ObjectRef[] = [];
  const handled = new Set<string>();
  const add = (filter: EnvoyJson, sni: readonly string[], subnets: readonly string[]): boolean => {
    const key = `${[...sni].sort().join(',')}|${[...subnets].sort().join(',')}`;
    if (handled.has(key)) return false;
    handled.add(key);
    chains.push(chain(filter, { ...(subnets.length ? { prefix_ranges: prefixRanges(subnets) } : {}), ...(sni.length ? { server_names: [...sni] } : {}) }));
    return true;
  };
  let fallback: EnvoyJson | undefined;
  refs.forEach((ref, i) => {
    const port = ref.port.port;
    sources.push(refOf(ref.service));
    let routed = false;
    for (const vs of virtualServicesOf(ref.service.hostname)) {
      for (const rule of vs.spec.tls ?? []) {
        if (!rule.route?.length) continue;
        for (const match of rule.match ?? []) {
          if (!l4MatchApplies(match, vs, where(port, proxy))) continue;
          routed = true;
          if (add(l4RouteFilter(rule.route, vs, { snapshot, port }, proxy), match.sniHosts ?? [], match.destinationSubnets ?? [])) sources.push(refOf(vs));
        }
      }
    }
    if (routed) return;
    const own = ownCluster(snapshot, proxy, port, ref);
    if (i === 0) fallback = own;
    else add(own, [ref.service.hostname], []);
  });
  if (fallback) add(fallback, [], []);
  return { chains, sources };
}
