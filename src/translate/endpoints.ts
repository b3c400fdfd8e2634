// ClusterLoadAssignments for the EDS clusters: a subset's endpoints are those whose Pod labels
// carry all of the subset's labels. Not-ready endpoints are kept, as UNHEALTHY, so that Envoy
// keeps their connection pools and stats across readiness flaps instead of forgetting the host.
import type { ResolvedEndpoint, Snapshot } from '../model/types';
import type { EnvoyJson, NamedResource } from './types';
import { socketAddress } from './core';
import { labelsMatch } from '../model/labels';
import { provenance, sourceKeys } from './provenance';
import { outboundClusters, type OutboundCluster } from './service-ports';
import { compareStrings } from './order';
import { endpointSpeaksMtls, mtlsEndpointMetadata } from '../policy/mtls/endpoint-tls-mode';

/** An endpoint; `mtls` puts the metadata that picks its cluster's mTLS transport socket on it. */
function lbEndpoint(ep: ResolvedEndpoint, mtls: boolean): EnvoyJson {
  const metadata = provenance(ep.sources);
  return {
    endpoint: { address: socketAddress(ep.address, ep.port) },
    health_status: ep.ready ? 'HEALTHY' : 'UNHEALTHY',
    metadata: mtls ? { filter_metadata: { ...mtlsEndpointMetadata(), ...metadata.filter_metadata } } : metadata,
  };
}

function byAddress(a: ResolvedEndpoint, b: ResolvedEndpoint): number {
  return compareStrings(a.address, b.address) || a.port - b.port;
}

function loadAssignment(snapshot: Snapshot, c: OutboundCluster): NamedResource {
  const endpoints = snapshot
    .endpoints(c.service, c.port)
    .filter((ep) => labelsMatch(c.subset?.labels, ep.labels))
    .sort(byAddress);
  const tls = { rule: c.destinationRule, subset: c.subset?.name, servicePort: c.port.port, namespace: c.service.meta.namespace };
  return {
    name: c.name,
    json: { cluster_name: c.name, endpoints: endpoints.length > 0 ? [{ lb_endpoints: endpoints.map((ep) => lbEndpoint(ep, endpointSpeaksMtls(snapshot, tls, ep))) }] : [] },
    sources: sourceKeys(endpoints.flatMap((ep) => ep.sources)),
  };
}

/** One ClusterLoadAssignment per EDS cluster that `serviceClusters` makes for `namespace`. */
export function serviceEndpoints(snapshot: Snapshot, namespace: string): NamedResource[] {
  return outboundClusters(snapshot, namespace).map((c) => loadAssignment(snapshot, c));
}
