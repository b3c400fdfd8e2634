// DestinationRule connectionPool as Istio's applyConnectionPool maps it: circuit-breaker
// thresholds, connect timeout, TCP keepalive, and the upstream HTTP protocol options.
import type { EnvoyJson } from '../types';
import { typed } from '../core';
import { durationSeconds, protoDuration } from '../durations';
import { isHttp, type Protocol } from '../protocol';
import type { ClusterPolicy } from './effective';

/**
 * Envoy's default thresholds (1024 connections and requests, 3 retries) surprise users with 503s
 * under ordinary load, so Istio raises them to the maximum unless a DestinationRule sets them.
 */
const UNLIMITED = 4294967295;

type ConnectionPool = NonNullable<ClusterPolicy['connectionPool']>;

function thresholds(pool: ConnectionPool | undefined): EnvoyJson {
  const http = pool?.http;
  // Zero means "not set" in Istio's API, so only positive values replace the defaults.
  const positive = (n: number | undefined): number => (n && n > 0 ? n : UNLIMITED);
  return {
    max_connections: positive(pool?.tcp?.maxConnections),
    max_pending_requests: positive(http?.http1MaxPendingRequests),
    max_requests: positive(http?.http2MaxRequests),
    max_retries: positive(http?.maxRetries),
    track_remaining: true,
  };
}

function tcpKeepalive(pool: ConnectionPool | undefined): EnvoyJson | undefined {
  const ka = pool?.tcp?.tcpKeepalive;
  if (!ka) return undefined;
  const out: EnvoyJson = {};
  if (ka.probes) out.keepalive_probes = ka.probes;
  const time = ka.time && durationSeconds(ka.time);
  if (time) out.keepalive_time = time;
  const interval = ka.interval && durationSeconds(ka.interval);
  if (interval) out.keepalive_interval = interval;
  return out;
}

/** Whether a cluster speaks HTTP/2 upstream: http2 and grpc ports, and ports the policy upgrades. */
export function speaksHttp2(pool: ConnectionPool | undefined, protocol: Protocol): boolean {
  return protocol === 'HTTP2' || (isHttp(protocol) && pool?.http?.h2UpgradePolicy === 'UPGRADE');
}

/**
 * `envoy.extensions.upstreams.http.v3.HttpProtocolOptions`: which HTTP version to speak upstream
 * (HTTP/2 for http2/grpc ports, or when the policy asks to upgrade), the pool's HTTP limits, and
 * `upstream` (UpstreamHttpProtocolOptions: the SNI of originated TLS).
 */
function httpProtocolOptions(pool: ConnectionPool | undefined, protocol: Protocol, upstream: EnvoyJson | undefined): EnvoyJson | undefined {
  const http = pool?.http;
  const tcp = pool?.tcp;
  const common: EnvoyJson = {};
  const idle = http?.idleTimeout && protoDuration(http.idleTimeout);
  if (idle) common.idle_timeout = idle;
  const maxDuration = tcp?.maxConnectionDuration && protoDuration(tcp.maxConnectionDuration);
  if (maxDuration) common.max_connection_duration = maxDuration;
  if (http?.maxRequestsPerConnection) common.max_requests_per_connection = http.maxRequestsPerConnection;

  const h2 = speaksHttp2(pool, protocol);
  if (!h2 && Object.keys(common).length === 0 && !upstream) return undefined;
  const http2Options: EnvoyJson = http?.maxConcurrentStreams ? { max_concurrent_streams: http.maxConcurrentStreams } : {};
  return typed('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', {
    ...(Object.keys(common).length > 0 ? { common_http_protocol_options: common } : {}),
    ...(upstream ? { upstream_http_protocol_options: upstream } : {}),
    explicit_http_config: h2 ? { http2_protocol_options: http2Options } : { http_protocol_options: {} },
  });
}

/**
 * The cluster fields a connection pool decides; `connect_timeout` only when the policy sets one.
 * `upstreamHttp` (UpstreamHttpProtocolOptions) joins the HTTP protocol options of an HTTP cluster.
 */
export function connectionPoolFields(policy: ClusterPolicy, protocol: Protocol, upstreamHttp?: EnvoyJson): EnvoyJson {
  const pool = policy.connectionPool;
  const out: EnvoyJson = {};
  const connectTimeout = pool?.tcp?.connectTimeout && protoDuration(pool.tcp.connectTimeout);
  if (connectTimeout) out.connect_timeout = connectTimeout;
  out.circuit_breakers = { thresholds: [thresholds(pool)] };
  const options = isHttp(protocol) ? httpProtocolOptions(pool, protocol, upstreamHttp) : undefined;
  if (options) out.typed_extension_protocol_options = { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': options };
  const keepalive = tcpKeepalive(pool);
  if (keepalive) out.upstream_connection_options = { tcp_keepalive: keepalive };
  return out;
}
