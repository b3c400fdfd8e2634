// The Envoy bootstrap a proxy starts with: who it is (node id and the metadata src/proxy/node.ts
// reads back) and where Mast is. Everything else reaches the proxy over ADS.
import { isIP } from 'node:net';
import { META, parseNodeId } from '../proxy/node';
import type { EnvoyJson, InterceptionMode } from '../translate/types';
import { REGEX_MAX_PROGRAM_SIZE, REGEX_MAX_PROGRAM_SIZE_KEY } from '../xds/validate/limits';

export interface BootstrapOptions {
  nodeId: string;
  /** `HOST:PORT` (`[V6]:PORT` for an IPv6 literal) of Mast's xDS server. */
  xdsAddress: string;
  delta?: boolean;
  adminAddress?: string;
  adminPort?: number;
  /** Defaults to the namespace in the node id. */
  namespace?: string;
  labels?: Record<string, string>;
  /** Defaults to the IP in the node id. */
  ip?: string;
  serviceAccount?: string;
  interceptionMode?: InterceptionMode;
  localAddress?: string;
  outboundAddress?: string;
  /** Envoy's service cluster; defaults to `APP.NAMESPACE` as Istio derives it. */
  cluster?: string;
  /** A CA file to trust: connect to Mast over TLS (its 15012), verifying its certificate. */
  xdsCa?: string;
  /** With xdsCa: the DNS name Mast's certificate must carry (SNI too); defaults to the xDS host. */
  xdsServerName?: string;
}

export const XDS_CLUSTER = 'xds-grpc';

/**
 * How soon a proxy redials Mast after its stream breaks (GrpcService.EnvoyGrpc.retry_policy, which
 * Envoy applies to xDS streams only). Envoy's default, 0.5 s doubling up to 30 s, left proxies up
 * to 16.5 s behind a restarted Mast. Istio's sidecars redial through pilot-agent with grpc-go's
 * backoff (1 s, x1.6, 20% jitter); a local control plane restarts in about a second, so Mast
 * starts lower and caps at 2 s: every proxy is back within about 2 s of Mast being ready. Envoy
 * jitters each wait (a random share of the current interval), so proxies do not redial in step.
 */
export const XDS_RECONNECT = { retry_back_off: { base_interval: '0.200s', max_interval: '2s' } };

interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(s: string): HostPort | { error: string } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) return { error: `"${s}" is not HOST:PORT` };
  return { host: (m[1] ?? m[2]) as string, port };
}

export function buildBootstrap(o: BootstrapOptions): EnvoyJson | { error: string } {
  const parsed = parseNodeId(o.nodeId);
  if ('error' in parsed) return parsed;
  const xds = parseHostPort(o.xdsAddress);
  if ('error' in xds) return { error: `--xds-address: ${xds.error}` };
  if (o.xdsServerName && !o.xdsCa) return { error: '--xds-server-name needs --xds-ca' };
  const serverName = o.xdsServerName ?? xds.host;
  if (o.xdsCa && isIP(serverName)) return { error: `--xds-ca: Mast's certificate names its Service, not ${serverName}; give --xds-server-name` };

  const namespace = o.namespace ?? parsed.namespace;
  const labels = o.labels ?? {};
  const suffix = `.${parsed.namespace}`;
  const podName = parsed.workloadName.endsWith(suffix) ? parsed.workloadName.slice(0, -suffix.length) : parsed.workloadName;
  const metadata: Record<string, unknown> = {
    [META.namespace]: namespace,
    [META.labels]: labels,
    [META.instanceIps]: o.ip ?? parsed.ip,
    [META.serviceAccount]: o.serviceAccount ?? 'default',
    [META.name]: podName,
    [META.interceptionMode]: o.interceptionMode ?? 'REDIRECT',
  };
  if (o.localAddress) metadata[META.localAddress] = o.localAddress;
  if (o.outboundAddress) metadata[META.outboundAddress] = o.outboundAddress;

  const ads = { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '0s' };
  return {
    node: {
      id: o.nodeId,
      cluster: o.cluster ?? `${labels['app'] ?? podName}.${namespace}`,
      metadata,
    },
    dynamic_resources: {
      ads_config: {
        api_type: o.delta ? 'DELTA_GRPC' : 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER, retry_policy: XDS_RECONNECT } }],
        set_node_on_first_message_only: true,
      },
      // initial_fetch_timeout 0s, as Istio sets it: the proxy stays un-ready until Mast has
      // answered, instead of going LIVE with no config after the default 15 s.
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: { clusters: [{ ...xdsCluster(xds), ...(o.xdsCa ? { transport_socket: xdsTls(o.xdsCa, serverName) } : {}) }] },
    admin: { address: socketAddress(o.adminAddress ?? '127.0.0.1', o.adminPort ?? 15000) },
    // An admin layer makes `/runtime_modify` work, for flipping runtime flags while debugging.
    // Regexes may compile to Istio's RE2 program size, the limit Mast's validator checks.
    layered_runtime: { layers: [{ name: 'mast', static_layer: { [REGEX_MAX_PROGRAM_SIZE_KEY]: REGEX_MAX_PROGRAM_SIZE } }, { name: 'admin', admin_layer: {} }] },
  };
}

/** TLS to Mast: its certificate must chain to `caFile` and name `serverName`. */
function xdsTls(caFile: string, serverName: string): EnvoyJson {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: serverName,
      common_tls_context: {
        // gRPC needs HTTP/2; over TLS Envoy negotiates it by ALPN.
        alpn_protocols: ['h2'],
        validation_context: {
          trusted_ca: { filename: caFile },
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: serverName } }],
        },
      },
    },
  };
}

function socketAddress(address: string, port: number): EnvoyJson {
  return { socket_address: { address, port_value: port } };
}

function xdsCluster({ host, port }: HostPort): EnvoyJson {
  return {
    name: XDS_CLUSTER,
    type: isIP(host) ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: XDS_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: {
          // HTTP/2 pings notice a control plane that vanished without closing the connection
          // (a killed process, a dropped route), so the proxy reconnects instead of waiting.
          http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '10s' } },
        },
      },
    },
    upstream_connection_options: { tcp_keepalive: { keepalive_time: 300 } },
  };
}
