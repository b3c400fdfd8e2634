// How a cluster finds its endpoints, by the resolution of the ServiceEntry host it is for, as
// Istio's convertResolution and buildCluster decide (pilot/pkg/networking/core/cluster.go,
// cluster_builder.go): Kubernetes Services and STATIC entries over EDS; DNS entries as
// STRICT_DNS clusters (every address of every name), DNS_ROUND_ROBIN as LOGICAL_DNS (the first
// address of the one name); NONE entries pass connections on to where they were addressed.
import type { ResolvedEndpoint, Snapshot } from '../model/types';
import { labelsMatch } from '../model/labels';
import { adsConfigSource } from './core';
import { lbEndpoint } from './endpoints';
import { endpointSpeaksMtls } from '../policy/mtls/endpoint-tls-mode';
import { compareStrings } from './order';
import type { OutboundCluster } from './service-ports';
import type { EnvoyJson } from './types';

/** MeshConfig dnsRefreshRate's default; Envoy follows the records' TTL (respect_dns_ttl) when it has one. */
const DNS_REFRESH_RATE = '60s';

/**
 * An endpoint inside a cluster without Mast's provenance: a cluster carries its sources beside it
 * (NamedResource.sources), since Envoy re-warms a cluster whose bytes change (provenance.ts).
 */
function withoutProvenance(lb: EnvoyJson): EnvoyJson {
  const { metadata, ...rest } = lb as { metadata?: { filter_metadata?: Record<string, unknown> } };
  const { mast: _mast, ...kept } = metadata?.filter_metadata ?? {};
  return Object.keys(kept).length > 0 ? { ...rest, metadata: { filter_metadata: kept } } : rest;
}

/** Whether the service's clusters take their endpoints over EDS (and so need ClusterLoadAssignments). */
export function usesEds(c: Pick<OutboundCluster, 'service'>): boolean {
  return c.service.kind === 'Service' || c.service.resolution === 'STATIC' || c.service.resolution === 'NONE';
}

/** The cluster fields before `connect_timeout`: its type and where its endpoints come from. */
export interface Discovery {
  head: EnvoyJson;
  /** Fields after the load balancer's (ORIGINAL_DST overrides its lb_policy). */
  tail: EnvoyJson;
}

/**
 * The discovery fields of cluster `c`, or undefined when Envoy would get a DNS cluster without a
 * name to resolve (Istio leaves such a cluster out: cluster_builder.go buildCluster).
 * `passthrough`: whether connections keep their original destination (a sidecar under capture);
 * without it a NONE entry's cluster is EDS and, knowing no endpoints, answers 503, as a gateway's
 * does in Istio (convertResolution: gateways cannot use passthrough clusters).
 */
export function discovery(snapshot: Snapshot, c: OutboundCluster, passthrough: boolean): Discovery | undefined {
  const service = c.service;
  if (service.kind === 'ServiceEntry' && service.resolution === 'NONE' && passthrough) {
    const target = typeof c.port.targetPort === 'number' && c.port.targetPort !== c.port.port ? c.port.targetPort : undefined;
    return {
      head: { type: 'ORIGINAL_DST' },
      // PassthroughTargetPorts: a targetPort moves the connection to that port of the original address.
      tail: { lb_policy: 'CLUSTER_PROVIDED', ...(target ? { original_dst_lb_config: { upstream_port_override: target } } : {}) },
    };
  }
  if (usesEds(c)) return { head: { type: 'EDS', eds_cluster_config: { eds_config: adsConfigSource(), service_name: c.name } }, tail: {} };
  const round = service.kind === 'ServiceEntry' && service.resolution === 'DNS_ROUND_ROBIN';
  const endpoints = snapshot
    .endpoints(service, c.port)
    .filter((ep) => labelsMatch(c.subset?.labels, ep.labels))
    .sort((a: ResolvedEndpoint, b: ResolvedEndpoint) => compareStrings(a.address, b.address) || a.port - b.port);
  // A LOGICAL_DNS cluster takes exactly one name (mergeServicesInstancesByNamespaceHost keeps the first).
  const picked = round ? endpoints.slice(0, 1) : endpoints;
  if (picked.length === 0) return undefined;
  const tls = { rule: c.destinationRule, subset: c.subset?.name, servicePort: c.port.port, namespace: service.meta.namespace };
  return {
    head: { type: round ? 'LOGICAL_DNS' : 'STRICT_DNS' },
    tail: {
      // SelectDNSLookupFamily: Mast's proxies have IPv4 addresses. Istio also names the c-ares
      // resolver with udp_max_queries 100 (PILOT_DNS_CARES_UDP_MAX_QUERIES); the CaresDnsResolverConfig
      // proto @grpc/grpc-js-xds ships requires `resolvers` (min_items 1), which Envoy 1.36 no
      // longer does, so Mast leaves it out and Envoy uses c-ares, its default, as configured.
      dns_lookup_family: 'V4_ONLY',
      dns_refresh_rate: DNS_REFRESH_RATE,
      respect_dns_ttl: true,
      load_assignment: { cluster_name: c.name, endpoints: [{ lb_endpoints: picked.map((ep) => withoutProvenance(lbEndpoint(ep, endpointSpeaksMtls(snapshot, tls, ep)))) }] },
    },
  };
}
