// The Envoy bootstrap a proxy starts with: who it is (node id and the metadata src/proxy/node.ts
// reads back) and where Mast is. Everything else reaches the proxy over ADS.
import { isIP } from 'node:net';
import path from 'node:path';
import { XDS_CA_SECRET } from '../ca/bundle-file';
import { META, parseNodeId } from '../proxy/node';
import { tokenFilters } from './token-sds';
import { PROMETHEUS_STATS_PORT, prometheusStatsCluster, prometheusStatsListener, statsConfig } from './stats';
import type { EnvoyJson, InterceptionMode } from '../translate/types';
import { REGEX_MAX_PROGRAM_SIZE, REGEX_MAX_PROGRAM_SIZE_KEY } from '../xds/validate/limits';

export interface BootstrapOptions {
  nodeId: string;
  /** `HOST:PORT` (`[V6]:PORT` for an IPv6 literal) of Mast's xDS server. */
  xdsAddress: string;
  delta?: boolean;
  adminAddress?: string;
  adminPort?: number;
  /**
   * Where Prometheus scrapes `/stats/prometheus` (stats.ts). Defaults to Istio's 0.0.0.0; without
   * capture (NONE) to the pod's local address (else the admin's), as several proxies then share
   * a host and each binds addresses of its own (docs/conventions.md, the laptop plan).
   */
  statsAddress?: string;
  /** Istio's 15090 by default; 0 binds any free port (tests that run proxies side by side and read no stats). */
  statsPort?: number;
  /** The workload the proxy's stats name as `reporter_workload` (Istio's WORKLOAD_NAME); defaults to the Pod's name. */
  workloadName?: string;
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
  /**
   * What to trust: connect to Mast over TLS (its 15012), verifying its certificate. Required
   * unless `insecureXds`: proxies reach Mast over TLS by default. Either a file-based SDS resource
   * (`.yaml`, `.yml` or `.json`, as Envoy tells formats apart: Mast's `STATE_DIR/root-cert.sds.yaml`),
   * whose PEM Envoy reads again when it is replaced, so proxies follow a root rotation; or a PEM
   * file, read once when Envoy starts (see isSdsFile).
   */
  xdsCa?: string;
  /** With xdsCa: the DNS name Mast's certificate must carry (SNI too); defaults to the xDS host. */
  xdsServerName?: string;
  /** Plaintext xDS without a token (Mast's `--insecure-xds` listener, local development only). */
  insecureXds?: boolean;
  /**
   * A bearer token for authenticated xDS, embedded in the bootstrap (`initial_metadata`): a token
   * Mast signed (`mast bootstrap --bootstrap-token`), or any token that outlives the proxy.
   */
  token?: string;
  /**
   * Where the bearer token (a projected service-account token) is, so a token kubelet rotates
   * keeps working. Either a file-based SDS resource naming the token file (`.yaml`, `.yml` or
   * `.json`, see isSdsFile; its text from tokenSdsResource in token-sds.ts): Envoy's own gRPC
   * client sends it, re-read when the token file is replaced, and `xdsCa` may be an SDS file too
   * (see tokenFilters); or the token file itself, read for every new stream by Envoy's Google gRPC
   * client, whose roots are a PEM `xdsCa` read once (see tokenFileGrpc).
   */
  tokenFile?: string;
}

export const XDS_CLUSTER = 'xds-grpc';

/**
 * True if `file` names a file-based SDS resource rather than a PEM bundle: Envoy reads a
 * path_config_source as YAML for `.yaml`/`.yml` and as JSON for `.json`
 * (MessageUtil::loadFromFile), and a PEM file has none of these names.
 */
export function isSdsFile(file: string): boolean {
  return /\.(ya?ml|json)$/i.test(file);
}

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
  if (o.insecureXds && o.xdsCa) return { error: '--insecure-xds and --xds-ca: choose plaintext or TLS' };
  if (!o.insecureXds && !o.xdsCa) return { error: "proxies reach Mast over TLS: give --xds-ca FILE (Mast's root certificate), or --insecure-xds for plaintext" };
  if (o.token !== undefined && o.tokenFile !== undefined) return { error: 'give a token or a token file, not both' };
  if (o.insecureXds && (o.token !== undefined || o.tokenFile !== undefined)) return { error: 'a token is sent over TLS only: drop --insecure-xds' };
  const googleGrpc = o.tokenFile !== undefined && !isSdsFile(o.tokenFile);
  if (googleGrpc && o.xdsCa && isSdsFile(o.xdsCa)) return { error: "an SDS --xds-ca needs --token-file as an SDS file naming the token (.yaml/.json): a bare token file is read by Envoy's Google gRPC client, which cannot take its roots over SDS" };
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

  const adminAddress = o.adminAddress ?? '127.0.0.1';
  const adminPort = o.adminPort ?? 15000;
  const ads = { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '0s' };
  const tls = o.xdsCa ? { caFile: o.xdsCa, serverName } : undefined;
  const grpcService = tls && googleGrpc
    ? tokenFileGrpc(xds, tls, o.tokenFile as string)
    : { envoy_grpc: { cluster_name: XDS_CLUSTER, retry_policy: XDS_RECONNECT }, ...(o.token !== undefined ? { initial_metadata: [{ key: 'authorization', value: `Bearer ${o.token}` }] } : {}) };
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
        grpc_services: [grpcService],
        set_node_on_first_message_only: true,
      },
      // initial_fetch_timeout 0s, as Istio sets it: the proxy stays un-ready until Mast has
      // answered, instead of going LIVE with no config after the default 15 s.
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: {
      listeners: [prometheusStatsListener(o.statsAddress ?? (o.interceptionMode === 'NONE' ? o.localAddress ?? adminAddress : '0.0.0.0'), o.statsPort ?? PROMETHEUS_STATS_PORT)],
      clusters: [
        ...('google_grpc' in grpcService ? [] : [{ ...xdsCluster(xds, googleGrpc ? undefined : o.tokenFile), ...(tls ? { transport_socket: xdsTls(tls.caFile, tls.serverName) } : {}) }]),
        prometheusStatsCluster(adminAddress, adminPort),
      ],
    },
    stats_config: statsConfig({ workload: o.workloadName ?? podName, namespace, app: labels['app'], version: labels['version'] }),
    admin: { address: socketAddress(adminAddress, adminPort) },
    // An admin layer makes `/runtime_modify` work, for flipping runtime flags while debugging.
    // Regexes may compile to Istio's RE2 program size, the limit Mast's validator checks.
    layered_runtime: { layers: [{ name: 'mast', static_layer: { [REGEX_MAX_PROGRAM_SIZE_KEY]: REGEX_MAX_PROGRAM_SIZE } }, { name: 'admin', admin_layer: {} }] },
  };
}

/**
 * How the xds cluster validates Mast's certificate: against the roots in `caFile` and for
 * `serverName`. An SDS file is Envoy's documented way to rotate the roots of the xDS connection
 * itself (docs/root/configuration/security/secret.rst, "certificate rotation for xDS gRPC
 * connection"): the Secret comes over file-based SDS, and watched_directory has Envoy read the
 * file again after a file is moved into its directory (a rename, or kubelet's `..data` swap), so a
 * reconnect after a root rotation verifies Mast's new certificate. The SAN check stays in the
 * bootstrap (combined_validation_context). A PEM file in trusted_ca is read once, at start.
 */
function xdsValidation(caFile: string, serverName: string): EnvoyJson {
  const san = { match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: serverName } }] };
  if (!isSdsFile(caFile)) return { validation_context: { trusted_ca: { filename: caFile }, ...san } };
  return {
    combined_validation_context: {
      default_validation_context: san,
      validation_context_sds_secret_config: {
        name: XDS_CA_SECRET,
        sds_config: { path_config_source: { path: caFile, watched_directory: { path: path.dirname(caFile) } }, resource_api_version: 'V3' },
      },
    },
  };
}

/** TLS to Mast: its certificate must chain to the roots `caFile` gives and name `serverName`. */
function xdsTls(caFile: string, serverName: string): EnvoyJson {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: serverName,
      common_tls_context: {
        // gRPC needs HTTP/2; over TLS Envoy negotiates it by ALPN.
        alpn_protocols: ['h2'],
        ...xdsValidation(caFile, serverName),
      },
    },
  };
}

const FILE_BASED_METADATA = 'envoy.grpc_credentials.file_based_metadata';

/**
 * xDS through Envoy's Google gRPC client, which alone can take call credentials from a file:
 * the file_based_metadata plugin reads `tokenFile` for every new stream
 * (source/extensions/grpc_credentials/file_based_metadata/config.cc, GetMetadata), where
 * `initial_metadata` is fixed at start-up and a projected token expires within the hour. The
 * costs: Envoy's default redial backoff (0.5 s doubling to 30 s; retry_policy is Envoy gRPC's
 * only) and gRPC's own TLS, verifying Mast's certificate for `serverName`.
 */
function tokenFileGrpc({ host, port }: HostPort, tls: { caFile: string; serverName: string }, tokenFile: string): EnvoyJson {
  return {
    google_grpc: {
      target_uri: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      stat_prefix: XDS_CLUSTER,
      channel_credentials: { ssl_credentials: { root_certs: { filename: tls.caFile } } },
      call_credentials: [{
        from_plugin: {
          name: FILE_BASED_METADATA,
          typed_config: {
            '@type': 'type.googleapis.com/envoy.config.grpc_credential.v3.FileBasedMetadataConfig',
            secret_data: { filename: tokenFile },
            header_prefix: 'Bearer ',
          },
        },
      }],
      credentials_factory_name: FILE_BASED_METADATA,
      channel_args: {
        args: {
          'grpc.ssl_target_name_override': { string_value: tls.serverName },
          // As the Envoy gRPC cluster's HTTP/2 pings: notice a control plane that vanished.
          'grpc.keepalive_time_ms': { int_value: 30000 },
          'grpc.keepalive_timeout_ms': { int_value: 10000 },
        },
      },
    },
  };
}

function socketAddress(address: string, port: number): EnvoyJson {
  return { socket_address: { address, port_value: port } };
}

/** The cluster Envoy's own gRPC client reaches Mast through; with `tokenSds`, its streams carry that token (tokenFilters). */
function xdsCluster({ host, port }: HostPort, tokenSds?: string): EnvoyJson {
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
        ...(tokenSds !== undefined ? { http_filters: tokenFilters(tokenSds) } : {}),
      },
    },
    upstream_connection_options: { tcp_keepalive: { keepalive_time: 300 } },
  };
}
