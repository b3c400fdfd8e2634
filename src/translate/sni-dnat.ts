// Gateway servers in tls.mode AUTO_PASSTHROUGH, as Istio builds them: no VirtualService picks the
// destination; the SNI a client sends names it, `outbound_.PORT_.SUBSET_.HOST` (BuildDNSSrvSubsetKey,
// the SNI a sidecar sends with mesh mTLS), and the gateway passes the TLS, untouched, to a cluster
// of that name (an "SNI-DNAT" cluster). Istio's east-west gateway uses it to carry a sidecar's mTLS
// across networks to the sidecars behind a service.
// - Chains (builtAutoPassthroughFilterChains, pilot/pkg/networking/core/gateway.go): for each port
//   of each service the gateway sees (not MESH_EXTERNAL, not UDP) whose host is within one of the
//   server's hosts (Name.SubsetOf; the hosts' namespace part dropped, GetSNIHostsForServer), and
//   for each subset of its DestinationRule, a chain matching that SNI and an Istio mTLS ALPN, to a
//   tcp_proxy with no authorization filter.
// - Clusters (buildOutboundSniDnatClusters, cluster.go): the service port's or subset's outbound
//   cluster under that name, without TLS (clusters.ts sniDnatClusters); their endpoints only those
//   that speak mesh mTLS (endpoints.ts sniDnatEndpoints). Istio makes these clusters for every
//   service once any server is AUTO_PASSTHROUGH; Mast makes them for the services some
//   AUTO_PASSTHROUGH server covers, the only ones a chain can reach.
import { refOf, type ObjectRef, type Snapshot } from '../model/types';
import { autoPassesTlsThrough, sniHosts } from '../model/gateway-servers';
import { hostSubsetOf } from '../model/validate/host-match';
import { ISTIO_MTLS_ALPNS } from '../policy/mtls/inbound-tls';
import { istioMtlsSni } from '../policy/mtls/cluster-tls';
import type { EnvoyJson, NamedResource, ProxyClass } from './types';
import { sniDnatClusters } from './clusters';
import { sniDnatEndpoints } from './endpoints';
import type { BoundServer, Server } from './gateway-servers';
import { gatewayPorts } from './gateway-servers';
import { tcpProxy } from './listeners/tcp-proxy';
import { outboundClusters, type OutboundCluster } from './service-ports';

/** Where a gateway stands: its namespace (exportTo, DestinationRule lookup) and labels (workloadSelector). */
export type GatewayWorkload = Pick<ProxyClass, 'namespace' | 'labels'>;

/**
 * The outbound clusters, each renamed `outbound_.PORT_.SUBSET_.HOST`, of the services (not
 * MESH_EXTERNAL) that a server's hosts cover, as a gateway at `workload` sees them, by host, port, subset.
 */
function coveredClusters(snapshot: Snapshot, workload: GatewayWorkload, servers: readonly Server[]): OutboundCluster[] {
  // A host `*` (sniHosts answers undefined for it) covers every service.
  const hosts = servers.flatMap((s) => sniHosts(s) ?? ['*']);
  return outboundClusters(snapshot, workload.namespace, workload.labels)
    .filter((c) => !(c.service.kind === 'ServiceEntry' && c.service.meshExternal) && hosts.some((h) => hostSubsetOf(c.service.hostname, h)))
    .map((c) => ({ ...c, name: istioMtlsSni(c.port.port, c.service.hostname, c.subset?.name) }));
}

/**
 * The filter chains of one AUTO_PASSTHROUGH server on a gateway at `workload`. `sniTaken` holds
 * the SNI names earlier chains of the listener match, and gains this server's: a name another
 * server already routes is skipped, since Envoy refuses two chains with one match.
 */
export function sniDnatChains(snapshot: Snapshot, bound: BoundServer, workload: GatewayWorkload, sniTaken: Set<string>): { chains: EnvoyJson[]; sources: ObjectRef[] } {
  const chains: EnvoyJson[] = [];
  const sources: ObjectRef[] = [];
  for (const c of coveredClusters(snapshot, workload, [bound.server])) {
    if (sniTaken.has(c.name)) continue;
    sniTaken.add(c.name);
    // Only a client offering an Istio mTLS ALPN: its TLS then lands on an mTLS inbound chain.
    chains.push({ filter_chain_match: { server_names: [c.name], application_protocols: [...ISTIO_MTLS_ALPNS] }, filters: [tcpProxy(c.name)] });
    sources.push(refOf(c.service), ...(c.destinationRule ? [refOf(c.destinationRule)] : []));
  }
  return { chains, sources };
}

/**
 * The SNI-DNAT clusters and their endpoints for the AUTO_PASSTHROUGH servers of the Gateways
 * selecting `proxy` (none when it has no such server), endpoints as `proxy`'s locality sees them.
 */
export function sniDnatResources(snapshot: Snapshot, proxy: Pick<ProxyClass, 'namespace' | 'labels' | 'locality'>): { clusters: NamedResource[]; endpoints: NamedResource[] } {
  const servers = gatewayPorts(snapshot, proxy.labels).flatMap((gp) => (gp.l4 ?? []).map((b) => b.server).filter(autoPassesTlsThrough));
  if (servers.length === 0) return { clusters: [], endpoints: [] };
  const clusters = coveredClusters(snapshot, proxy, servers);
  return { clusters: sniDnatClusters(snapshot, clusters), endpoints: sniDnatEndpoints(snapshot, clusters, proxy) };
}
