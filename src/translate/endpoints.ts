// ClusterLoadAssignments for the EDS clusters: a subset's endpoints are those whose Pod labels
// carry all of the subset's labels. Not-ready endpoints are kept, as UNHEALTHY, so that Envoy
// keeps their connection pools and stats across readiness flaps instead of forgetting the host.
// Endpoints are grouped by locality (one LocalityLbEndpoints each, as Istio's EndpointBuilder
// groups them), and the cluster's locality load-balancing setting ranks and weighs the groups
// as seen from the proxy's own locality (traffic-policy/locality-lb.ts).
import type { ResolvedEndpoint, Snapshot } from '../model/types';
import type { EnvoyJson, NamedResource, ProxyClass } from './types';
import { socketAddress } from './core';
import { labelsMatch } from '../model/labels';
import { provenance, sourceKeys } from './provenance';
import type { OutboundCluster } from './service-ports';
import { usesEds } from './service-entry-clusters';
import { compareStrings } from './order';
import { endpointSpeaksMtls, mtlsEndpointMetadata } from '../policy/mtls/endpoint-tls-mode';
import { effectivePolicy } from './traffic-policy/effective';
import { effectiveLocalitySetting, endpointLocality, localityString, localityWeighted, proxyLocality, withTopologyLabels, type Locality } from './traffic-policy/locality';
import { applyLocalityLoadBalancer, type LocalityGroup, type ProxyPosition } from './traffic-policy/locality-lb';

/**
 * An endpoint; `mtls` puts the metadata that picks its cluster's mTLS transport socket on it. A
 * WorkloadEntry's `weight` is its load_balancing_weight (endpoint_builder.go buildEnvoyLbEndpoint).
 */
export function lbEndpoint(ep: ResolvedEndpoint, mtls: boolean): EnvoyJson {
  const metadata = provenance(ep.sources);
  return {
    endpoint: { address: socketAddress(ep.address, ep.port) },
    health_status: ep.ready ? 'HEALTHY' : 'UNHEALTHY',
    ...(ep.weight ? { load_balancing_weight: ep.weight } : {}),
    metadata: mtls ? { filter_metadata: { ...mtlsEndpointMetadata(), ...metadata.filter_metadata } } : metadata,
  };
}

function byAddress(a: ResolvedEndpoint, b: ResolvedEndpoint): number {
  return compareStrings(a.address, b.address) || a.port - b.port;
}

/** Envoy's core.v3.Locality in proto3 JSON: empty parts left out. */
function localityJson(l: Locality): EnvoyJson | undefined {
  const out: EnvoyJson = { ...(l.region ? { region: l.region } : {}), ...(l.zone ? { zone: l.zone } : {}), ...(l.subZone ? { sub_zone: l.subZone } : {}) };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One group per distinct locality, by locality name; an endpoint weighs its `weight` (a WorkloadEntry's), else 1, as in Istio. */
function byLocality(endpoints: readonly ResolvedEndpoint[]): LocalityGroup<ResolvedEndpoint>[] {
  const groups = new Map<string, LocalityGroup<ResolvedEndpoint>>();
  for (const ep of endpoints) {
    const locality = endpointLocality(ep.labels);
    const key = localityString(locality);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { locality, endpoints: [], priority: 0, weight: 0 }));
    const weight = ep.weight || 1;
    group.endpoints.push({ labels: withTopologyLabels(ep.labels, locality), weight, item: ep });
    group.weight += weight;
  }
  return [...groups.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, g]) => g);
}

/** `mtlsOnly`: only the endpoints a client would send mTLS to (an SNI-DNAT cluster's, sniDnatEndpoints). */
function loadAssignment(snapshot: Snapshot, c: OutboundCluster, proxy: ProxyPosition, mtlsOnly = false): NamedResource {
  const tls = { rule: c.destinationRule, subset: c.subset?.name, servicePort: c.port.port, namespace: c.service.meta.namespace };
  const endpoints = snapshot
    .endpoints(c.service, c.port)
    .filter((ep) => labelsMatch(c.subset?.labels, ep.labels) && (!mtlsOnly || endpointSpeaksMtls(snapshot, tls, ep)))
    .sort(byAddress);
  const policy = effectivePolicy(c.destinationRule, c.port.port, c.subset);
  const setting = effectiveLocalitySetting(policy);
  let groups = byLocality(endpoints);
  // Without a rule nothing applies: the mesh default's failover needs outlier detection.
  if (setting) groups = applyLocalityLoadBalancer(groups, proxy, setting, policy.outlierDetection !== undefined);
  // Envoy gives a locality without a weight no load under locality-weighted balancing (clusters.ts sets it).
  const weighted = localityWeighted(policy);
  return {
    name: c.name,
    json: {
      cluster_name: c.name,
      endpoints: groups.map((g) => {
        const locality = localityJson(g.locality);
        return {
          ...(locality ? { locality } : {}),
          // A locality `distribute` sends nothing keeps its place with no endpoints, as in Istio.
          lb_endpoints: g.endpoints.map(({ item: ep }) => lbEndpoint(ep, endpointSpeaksMtls(snapshot, tls, ep))),
          ...(weighted ? { load_balancing_weight: g.weight } : {}),
          ...(g.priority > 0 ? { priority: g.priority } : {}),
        };
      }),
    },
    sources: sourceKeys(endpoints.flatMap((ep) => ep.sources)),
  };
}

/** Where `proxy` is, as the locality rules see it: its locality and topology-augmented labels. */
export function proxyPosition(proxy: Pick<ProxyClass, 'labels' | 'locality'>): ProxyPosition {
  const locality = proxyLocality(proxy.labels, proxy.locality);
  return { locality, labels: withTopologyLabels(proxy.labels, locality) };
}

/**
 * One ClusterLoadAssignment per EDS cluster of `clusters` (`outboundClusters` for the proxy's
 * namespace, as parts.ts builds them per service), with priorities and weights for the proxy's
 * locality (`proxy.locality`, or its labels').
 */
export function loadAssignments(snapshot: Snapshot, clusters: readonly OutboundCluster[], proxy: Pick<ProxyClass, 'labels' | 'locality'>): NamedResource[] {
  const position = proxyPosition(proxy);
  return clusters.filter(usesEds).map((c) => loadAssignment(snapshot, c, position));
}

/**
 * The ClusterLoadAssignments of a gateway's SNI-DNAT clusters (`clusters`, those of them over EDS),
 * as `proxy`'s locality sees them, holding only the endpoints that speak mesh mTLS: the gateway
 * cannot tell whether the TLS it passes through is mTLS, so it sends it only where an mTLS inbound
 * chain answers (Istio's EndpointsWithMTLSFilter for IsDNSSrvSubsetKey clusters, endpoint_builder.go).
 */
export function sniDnatEndpoints(snapshot: Snapshot, clusters: readonly OutboundCluster[], proxy: Pick<ProxyClass, 'labels' | 'locality'>): NamedResource[] {
  const position = proxyPosition(proxy);
  return clusters.filter(usesEds).map((c) => loadAssignment(snapshot, c, position, true));
}
