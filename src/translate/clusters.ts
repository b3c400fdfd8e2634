// The one builder of Cluster resources: outbound clusters for services (per port and per subset;
// EDS, DNS or passthrough by the service's resolution, service-entry-clusters.ts), the
// STATIC inbound clusters of a sidecar's own app, and the fixed passthrough and blackhole clusters.
import { refOf, type ObjectRef, type Snapshot } from '../model/types';
import type { EnvoyJson, NamedResource, ProxyRole } from './types';
import { socketAddress } from './core';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER, inboundClusterName } from './names';
import { sourceKeys } from './provenance';
import { isHttp, type Protocol } from './protocol';
import type { OutboundCluster } from './service-ports';
import { discovery } from './service-entry-clusters';
import { effectivePolicy } from './traffic-policy/effective';
import { connectionPoolFields, speaksHttp2 } from './traffic-policy/connection-pool';
import { clusterTls } from '../policy/mtls/cluster-tls';
import { loadBalancerFields } from './traffic-policy/load-balancer';
import { outlierDetection } from './traffic-policy/outlier-detection';
import { localityWeighted } from './traffic-policy/locality';

const CONNECT_TIMEOUT = '10s';
/** Under capture, the source address Istio's iptables rules let through uncaptured. */
const INBOUND_PASSTHROUGH_BIND_ADDRESS = '127.0.0.6';

function resource(json: EnvoyJson, sources: readonly ObjectRef[] = []): NamedResource {
  return { name: json.name as string, json, sources: sourceKeys(sources) };
}

/** Istio's ClusterMode: a service's own cluster, or an SNI-DNAT one, which never originates TLS (cluster_traffic_policy.go). */
type ClusterMode = 'standard' | 'sni-dnat';

function outboundCluster(snapshot: Snapshot, c: OutboundCluster, passthrough: boolean, role: ProxyRole, mode: ClusterMode = 'standard'): NamedResource | undefined {
  const found = discovery(snapshot, c, passthrough);
  if (!found) return undefined;
  const policy = effectivePolicy(c.destinationRule, c.port.port, c.subset);
  const outlier = outlierDetection(policy);
  const http2 = speaksHttp2(policy.connectionPool, c.protocol);
  const credentials = role === 'router' || Boolean(c.destinationRule?.spec.workloadSelector);
  const tls = mode === 'sni-dnat' ? { fields: {} } : clusterTls(snapshot, { tls: policy.tls, service: c.service, port: c.port.port, subset: c.subset?.name, http2, credentials });
  const sources: ObjectRef[] = [refOf(c.service), ...(c.destinationRule ? [refOf(c.destinationRule)] : [])];
  return resource({
    name: c.name,
    ...found.head,
    connect_timeout: CONNECT_TIMEOUT,
    ...loadBalancerFields(policy),
    ...found.tail,
    ...connectionPoolFields(policy, c.protocol, tls.upstreamHttpOptions),
    ...(outlier ? { outlier_detection: outlier } : {}),
    ...tls.fields,
    // Not-ready endpoints are sent as UNHEALTHY; with Envoy's default panic threshold (50%) a
    // mostly-unready service would get traffic spread onto its unready pods. Istio disables it too.
    // Locality-weighted balancing where the locality setting weighs or ranks localities
    // (traffic-policy/locality.ts), whose endpoints then carry locality weights.
    common_lb_config: { healthy_panic_threshold: { value: 0 }, ...(localityWeighted(policy) ? { locality_weighted_lb_config: {} } : {}) },
    ...requestResponseSizes(c.protocol),
  }, sources);
}

/**
 * Istio's istio_request_bytes / istio_response_bytes per request: upstream Envoy keeps header and
 * body size histograms (upstream_rq_headers_size, upstream_rq_body_size, upstream_rs_*) only on
 * clusters that ask for them (Cluster.track_cluster_stats.request_response_sizes, cluster.proto),
 * so HTTP clusters ask; docs/telemetry.md maps them.
 */
function requestResponseSizes(protocol: Protocol): EnvoyJson {
  return isHttp(protocol) ? { track_cluster_stats: { request_response_sizes: true } } : {};
}

/**
 * The Cluster of each of `clusters` (`outboundClusters`: every service port and DestinationRule
 * subset a workload sees), as parts.ts builds them per service; `passthrough` for a sidecar under
 * capture, whose connections keep their original destination (NONE-resolution entries).
 * `role`: a DestinationRule's credentialName is a gateway's (or a selected sidecar's) only.
 */
export function outboundClusterResources(snapshot: Snapshot, clusters: readonly OutboundCluster[], role: ProxyRole, passthrough: boolean): NamedResource[] {
  return clusters.flatMap((c) => outboundCluster(snapshot, c, passthrough, role) ?? []);
}

/**
 * A gateway's SNI-DNAT clusters (translate/sni-dnat.ts): each of `clusters`, named
 * `outbound_.PORT_.SUBSET_.HOST`, built as that service port's (or subset's) outbound cluster
 * but without TLS, since the client's own mTLS passes through (Istio's buildOutboundSniDnatClusters
 * in cluster.go, applyDestinationRule in SniDnatClusterMode).
 */
export function sniDnatClusters(snapshot: Snapshot, clusters: readonly OutboundCluster[]): NamedResource[] {
  return clusters.flatMap((c) => outboundCluster(snapshot, c, false, 'router', 'sni-dnat') ?? []);
}

/** Sends a connection on to wherever it was originally addressed (Istio's ALLOW_ANY). */
export function passthroughCluster(): NamedResource {
  return resource({
    name: PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'CLUSTER_PROVIDED',
    ...connectionPoolFields({}, 'TCP'),
  });
}

/** A cluster without endpoints: what it is routed to fails fast (503 for HTTP, closed for TCP). */
export function blackHoleCluster(): NamedResource {
  return resource({
    name: BLACKHOLE_CLUSTER,
    type: 'STATIC',
    connect_timeout: CONNECT_TIMEOUT,
  });
}

/** Inbound traffic to ports no Service declares, passed on to the pod as addressed. */
export function inboundPassthroughCluster(): NamedResource {
  return resource({
    name: INBOUND_PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'CLUSTER_PROVIDED',
    ...connectionPoolFields({}, 'TCP'),
    upstream_bind_config: { source_address: { address: INBOUND_PASSTHROUGH_BIND_ADDRESS, port_value: 0 } },
  });
}

/** The app behind a sidecar on one target port, reached at the pod's local address, or at `address` (a Sidecar ingress `defaultEndpoint`). */
export function inboundCluster(targetPort: number, protocol: Protocol, localAddress: string, sources: readonly ObjectRef[], address: EnvoyJson = socketAddress(localAddress, targetPort)): NamedResource {
  const name = inboundClusterName(targetPort);
  return resource({
    name,
    type: 'STATIC',
    connect_timeout: CONNECT_TIMEOUT,
    ...connectionPoolFields({}, protocol),
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }],
    },
    ...requestResponseSizes(protocol),
  }, sources);
}

/**
 * A JWKS server outside the mesh (src/policy/request-authentication/jwks-clusters.ts), at `host`
 * and `port`: STATIC for an IP address, STRICT_DNS for a name; `transportSocket` for https.
 */
export function jwksCluster(name: string, host: string, port: number, type: 'STATIC' | 'STRICT_DNS', transportSocket: EnvoyJson | undefined, sources: readonly ObjectRef[]): NamedResource {
  return resource({
    name,
    type,
    connect_timeout: CONNECT_TIMEOUT,
    ...(type === 'STRICT_DNS' ? { dns_lookup_family: 'V4_PREFERRED' } : {}),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }] },
    ...(transportSocket ? { transport_socket: transportSocket } : {}),
  }, sources);
}
