'use strict';
// Where Mast's .proto files come from: the envoy-api, xds, googleapis and protoc-gen-validate
// trees that @grpc/grpc-js-xds ships under deps/. Nothing third-party is copied into this repo.
const path = require('node:path');

const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d));

// The discovery services Mast serves.
const serviceProtos = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/service/secret/v3/sds.proto',
  'envoy/service/extension/v3/config_discovery.proto',
];

// The resource and extension types Mast encodes; every "@type" it emits must be reachable from
// these files.
const resourceProtos = [
  ...serviceProtos,
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/path/match/uri_template/v3/uri_template_match.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/filters/cel/v3/cel.proto',
  'envoy/extensions/formatter/req_without_query/v3/req_without_query.proto',
  'envoy/config/trace/v3/zipkin.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  // Extensions EnvoyFilter patches commonly add (src/model/envoy-proto-json.ts refuses an "@type"
  // no file here defines): Lua, rate limits (Istio's rate-limit task), external authorization,
  // header manipulation, compression, gRPC-Web, health checks, PROXY protocol.
  ...[
    'http/lua/v3/lua.proto',
    'http/ratelimit/v3/rate_limit.proto',
    'http/ext_authz/v3/ext_authz.proto',
    'http/ext_proc/v3/ext_proc.proto',
    'http/buffer/v3/buffer.proto',
    'http/header_mutation/v3/header_mutation.proto',
    'http/header_to_metadata/v3/header_to_metadata.proto',
    'http/compressor/v3/compressor.proto',
    'http/grpc_web/v3/grpc_web.proto',
    'http/grpc_stats/v3/config.proto',
    'http/health_check/v3/health_check.proto',
    'http/set_metadata/v3/set_metadata.proto',
    'network/ratelimit/v3/rate_limit.proto',
    'network/local_ratelimit/v3/local_rate_limit.proto',
    'network/ext_authz/v3/ext_authz.proto',
    'network/connection_limit/v3/connection_limit.proto',
    'listener/proxy_protocol/v3/proxy_protocol.proto',
  ].map((f) => `envoy/extensions/filters/${f}`),
  'envoy/extensions/compression/gzip/compressor/v3/gzip.proto',
];

module.exports = { includeDirs, serviceProtos, resourceProtos };
