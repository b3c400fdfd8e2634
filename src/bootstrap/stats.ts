// Prometheus stats for every proxy, as Istio's bootstrap serves them (its envoy_bootstrap.json,
// tools/packaging/common/envoy_bootstrap.json at the pinned revision): a listener on 15090 routes
// `/stats/prometheus` to a `prometheus_stats` cluster that is Envoy's own admin, and
// `stats_config.stats_tags` turn the parts of Envoy's stat names into labels.
//
// Istio's `istio_requests_total` family comes from its stats extension, which upstream Envoy does
// not ship. Mast gets the same information from Envoy's own stats instead: Mast names clusters
// `outbound|PORT|SUBSET|HOST` and `inbound|PORT||` and HTTP connection managers
// `inbound_ADDRESS_PORT` / `outbound_ADDRESS_PORT` (an inbound mutual TLS chain's with
// `_mutual_tls`), and the regexes below take the direction, destination service, subset, port and
// security policy out of those names (docs/telemetry.md maps each Istio metric and label).
// Envoy runs every extractor over the whole stat name, keeps the second capture group as the
// tag's value and removes the union of the first groups from the name (TagProducerImpl,
// source/common/stats/tag_producer_impl.cc; tag_extractor_impl.cc), so several tags may come from
// one cluster name. User regexes are ECMAScript (std::regex), searched, not fully matched.
import { MUTUAL_TLS_STAT_SUFFIX } from '../translate/names';
import type { EnvoyJson } from '../translate/types';

/** Istio's port for Envoy's Prometheus stats ("Ports used by Istio"), also in PROXY_RESERVED_PORTS. */
export const PROMETHEUS_STATS_PORT = 15090;
export const PROMETHEUS_STATS_PATH = '/stats/prometheus';
/** The static cluster that is Envoy's own admin, named as Istio names it. */
export const PROMETHEUS_STATS_CLUSTER = 'prometheus_stats';

/**
 * The proxy's own identity, as fixed tags on every stat it reports. Named `reporter_*` rather
 * than Istio's `source_*`/`destination_*`: a sidecar reports both directions from one set of
 * stats, and a fixed tag is on all of them (its outbound stats would call it the destination
 * too). Which one the reporter is, the `direction` tag says. Absent fields give no tag.
 */
export interface StatsIdentity {
  workload?: string;
  namespace?: string;
  app?: string;
  version?: string;
}

/**
 * Where a cluster name ends inside a stat name: at a dot followed by what Envoy puts after a
 * cluster's name: a stat or scope name (these hold `_`, DNS labels never do), one of Envoy's
 * scope words without one (`external.upstream_rq_200`, `ssl.handshake`, `http2.rx_reset`,
 * `version`), or a transport socket match's scope (`tlsMode-istio.total_match_count`, and
 * `default.` for a cluster without matches). A host with a label among those words would end
 * early; Mast's hosts are DNS names.
 */
const NAME_END = String.raw`(?=\.(?:(?:[^.]*_[^.]*|external|internal|canary|zone|ssl|http1|http2|http3|version)(?:\.|$)|[^.]+\.total_match_count$))`;
/** A DNS host (or `*.` wildcard) in a cluster name, up to NAME_END. */
const HOST = String.raw`[^|]+?${NAME_END}`;
/**
 * Between the parts of an outbound cluster name: `|`, or `_.` in a gateway's SNI-DNAT cluster
 * names (`outbound_.9080_.v1_.reviews.default.svc.cluster.local`, Istio's BuildDNSSrvSubsetKey).
 */
const SEP = String.raw`(?:\||_\.)`;
/** The parts of an outbound cluster name before its host: direction, port and subset. */
const OUTBOUND_HEAD = String.raw`outbound${SEP}\d+${SEP}[^.|]*${SEP}`;
/** `outbound|9080|v2|reviews.default.svc.cluster.local`, or SNI-DNAT's. */
const OUTBOUND = `${OUTBOUND_HEAD}${HOST}`;
/** `inbound|9080||`. */
const INBOUND = String.raw`inbound\|\d+\|[^|]*\|[^|.]*`;
/** Cluster names with neither dot nor Istio's scheme: PassthroughCluster, xds-grpc, prometheus_stats. */
const PLAIN = String.raw`[^.|]+`;
/** Stats of a cluster (`cluster.NAME.`) or of a tcp_proxy, whose stat prefix Mast sets to its cluster's name (`tcp.NAME.`). */
const CLUSTER_SCOPE = String.raw`^(?:cluster|tcp)\.`;
/** An HTTP connection manager's stat prefix: `inbound_0.0.0.0_9080`, `outbound_127.0.3.5_9080`, `[::]` too. */
const HCM = String.raw`(?:inbound|outbound)_(?:[\d.]+|\[[\da-fA-F:.]*\])_\d+`;
/** `_mutual_tls`, what an inbound mutual TLS chain's connection manager prefix ends with (inboundStatPrefix). */
const MTLS_SUFFIX = MUTUAL_TLS_STAT_SUFFIX;
/** Istio's connection_security_policy value for it. */
const MUTUAL_TLS = MTLS_SUFFIX.slice(1);

function tag(tagName: string, regex: string): EnvoyJson {
  return { tag_name: tagName, regex };
}

/**
 * Tag specifiers (envoy.config.metrics.v3.TagSpecifier) for Mast's names. In each regex the first
 * group is what leaves the stat name, the second the tag's value. Istio's response code regexes
 * are kept as they are.
 */
function nameTags(): EnvoyJson[] {
  return [
    // The whole cluster name leaves the stat name (as Envoy's envoy.cluster_name does), so every
    // cluster's stats share one metric name; the tags below read parts of the same name.
    tag('cluster_name', String.raw`^cluster\.((${OUTBOUND}|${INBOUND}|${PLAIN})\.)`),
    tag('tcp_prefix', String.raw`^tcp\.((${OUTBOUND}|${INBOUND}|${PLAIN})\.)`),
    tag('http_conn_manager_prefix', String.raw`^http\.((${HCM}|(?!(?:inbound|outbound)_)[^.]+)(?:${MTLS_SUFFIX})?\.)`),
    tag('listener_address', String.raw`^listener\.(((?:[\d.]+|\[[\da-fA-F:.]*\])_\d+|[^.]+)\.)`),
    tag('http_conn_manager_listener_prefix', String.raw`^listener\..*?\.http\.((${HCM}|[^.]+)(?:${MTLS_SUFFIX})?\.)`),
    // Who reports: the client's sidecar or gateway (Istio's reporter="source") or the server's.
    tag('direction', String.raw`^(?:(?:cluster|tcp)\.|(?:listener\..*?\.)?http\.)((inbound|outbound))[_|]`),
    tag('destination_service', String.raw`${CLUSTER_SCOPE}${OUTBOUND_HEAD}((${HOST}))`),
    tag('destination_service_name', String.raw`${CLUSTER_SCOPE}${OUTBOUND_HEAD}(([^.|]+))\.[^.|]+\.svc\.${HOST}`),
    tag('destination_service_namespace', String.raw`${CLUSTER_SCOPE}${OUTBOUND_HEAD}[^.|]+\.(([^.|]+))\.svc\.${HOST}`),
    tag('destination_subset', String.raw`${CLUSTER_SCOPE}outbound${SEP}\d+${SEP}(([^.|]+))${SEP}`),
    tag('destination_port', String.raw`${CLUSTER_SCOPE}(?:outbound${SEP}|inbound\|)((\d+))${SEP}`),
    // Which of a cluster's transport sockets each connection took: `tlsMode-istio` is mutual TLS
    // to a sidecar (auto-mTLS, src/policy/mtls/cluster-tls.ts), `tlsMode-disabled` plaintext.
    tag('transport_socket_match', String.raw`^cluster\..*\.(([^.]+)\.)total_match_count$`),
    tag('connection_security_policy', String.raw`^(?:listener\..*?\.)?http\.${HCM}(_(${MUTUAL_TLS}))\.`),
    tag('response_code', String.raw`_rq(_(\d{3}))$`),
    tag('response_code_class', String.raw`_rq(_(\dxx))$`),
  ];
}

function identityTags(id: StatsIdentity): EnvoyJson[] {
  const fixed: [string, string | undefined][] = [
    ['reporter_workload', id.workload],
    ['reporter_workload_namespace', id.namespace],
    ['reporter_app', id.app],
    ['reporter_version', id.version],
  ];
  return fixed.flatMap(([tagName, value]) => (value ? [{ tag_name: tagName, fixed_value: value }] : []));
}

/**
 * The bootstrap's `stats_config`: Mast's tags instead of Envoy's defaults (whose cluster name
 * regex stops at the first dot of `outbound|9080||reviews.default.svc.cluster.local`, and whose
 * HCM prefix regex at the first dot of `inbound_0.0.0.0_9080`), as Istio's bootstrap also sets
 * `use_all_default_tags: false`, and the proxy's identity as fixed tags (StatsIdentity).
 */
export function statsConfig(id: StatsIdentity): EnvoyJson {
  return { use_all_default_tags: false, stats_tags: [...nameTags(), ...identityTags(id)] };
}

/** Envoy's admin, as a cluster the stats listener routes to (Istio's `prometheus_stats`). */
export function prometheusStatsCluster(adminAddress: string, adminPort: number): EnvoyJson {
  return {
    name: PROMETHEUS_STATS_CLUSTER,
    type: 'STATIC',
    connect_timeout: '0.250s',
    load_assignment: {
      cluster_name: PROMETHEUS_STATS_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: adminAddress, port_value: adminPort } } } }] }],
    },
  };
}

/**
 * The listener Prometheus scrapes, `ADDRESS_PORT` on `address:port` (Istio: `0.0.0.0_15090`):
 * only `/stats/prometheus` is routed, to the admin, so the rest of the admin API (which can
 * change the proxy) is not exposed with it. Like Istio's, it ignores the global connection limit
 * and the overload manager, so a loaded proxy can still be observed.
 */
export function prometheusStatsListener(address: string, port: number): EnvoyJson {
  return {
    name: `${address}_${port}`,
    address: { socket_address: { address, port_value: port } },
    ignore_global_conn_limit: true,
    bypass_overload_manager: true,
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          codec_type: 'AUTO',
          stat_prefix: 'stats',
          route_config: {
            virtual_hosts: [{ name: 'backend', domains: ['*'], routes: [{ match: { prefix: PROMETHEUS_STATS_PATH }, route: { cluster: PROMETHEUS_STATS_CLUSTER } }] }],
          },
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
        },
      }],
    }],
  };
}
