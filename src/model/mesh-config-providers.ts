// MeshConfig.extensionProviders (istio.io/api mesh/v1alpha1/config.proto, message ExtensionProvider):
// a name and one provider. Mast reads the access log and tracing providers it translates and
// Prometheus; a provider of any other type Istio has is kept by name with no settings and a
// MAST2054 warning, so a Telemetry naming it is told "not supported", not "no such provider".
import { childPath, isRecord, type FieldReader } from './parse/read';
import { bool, duration, enumOf, jsonName, list, message, port, string, struct, uint, type Fields, type Reader } from './mesh-config-read';

/** ExtensionProvider.HttpHeader: a header or gRPC metadata entry, its value literal or from the proxy's environment. */
export interface HttpHeader {
  name: string;
  value?: string;
  envName?: string;
}

/** EnvoyFileAccessLogProvider.LogFormat and EnvoyOpenTelemetryLogProvider.LogFormat. */
export interface LogFormat {
  /** An Envoy format string (`%START_TIME% %REQ(:METHOD)%...`). */
  text?: string;
  /** JSON: label -> Envoy command (a google.protobuf.Struct). */
  labels?: Record<string, unknown>;
}

/** EnvoyFileAccessLogProvider. */
export interface EnvoyFileAccessLogProvider {
  /** Where Envoy writes; /dev/stdout when empty. */
  path?: string;
  /** Istio's default text format when unset. */
  logFormat?: LogFormat;
  omitEmptyValues?: boolean;
}

/** ZipkinTracingProvider. */
export interface ZipkinTracingProvider {
  /** The collector's host: a FQDN (`zipkin.istio-system.svc.cluster.local`), `ns/host`, or an IP. */
  service: string;
  port: number;
  maxTagLength?: number;
  enable64bitTraceId?: boolean;
  /** Istio's default is /api/v2/spans. */
  path?: string;
  traceContextOption?: 'USE_B3' | 'USE_B3_WITH_W3C_PROPAGATION';
  /** Seconds. */
  timeout?: number;
  headers?: HttpHeader[];
}

/** OpenTelemetryTracingProvider: OTLP over gRPC, or over HTTP when `http` is set. */
export interface OpenTelemetryTracingProvider {
  service: string;
  port: number;
  maxTagLength?: number;
  /** Seconds for `timeout`. */
  http?: { path?: string; timeout?: number; headers?: HttpHeader[] };
  grpc?: { timeout?: number; initialMetadata?: HttpHeader[] };
  resourceDetectors?: { environment?: Record<string, never> };
  serviceAttributeEnrichment?: 'ISTIO_CANONICAL' | 'OTEL_SEMANTIC_CONVENTIONS';
}

/** EnvoyOpenTelemetryLogProvider: access logs over OTLP/gRPC. */
export interface EnvoyOpenTelemetryLogProvider {
  service: string;
  port: number;
  logName?: string;
  logFormat?: LogFormat;
}

/** The provider types of Istio's ExtensionProvider oneof that Mast does not translate. */
export const UNSUPPORTED_PROVIDER_KINDS = [
  'envoyExtAuthzHttp',
  'envoyExtAuthzGrpc',
  'lightstep',
  'datadog',
  'stackdriver',
  'opencensus',
  'skywalking',
  'envoyHttpAls',
  'envoyTcpAls',
  'sds',
] as const;
export type UnsupportedProviderKind = (typeof UNSUPPORTED_PROVIDER_KINDS)[number];

/** One of MeshConfig.extensionProviders; `kind` is the name of the oneof field that is set. */
export type ExtensionProvider =
  | { name: string; kind: 'envoyFileAccessLog'; envoyFileAccessLog: EnvoyFileAccessLogProvider }
  | { name: string; kind: 'zipkin'; zipkin: ZipkinTracingProvider }
  | { name: string; kind: 'opentelemetry'; opentelemetry: OpenTelemetryTracingProvider }
  | { name: string; kind: 'envoyOtelAls'; envoyOtelAls: EnvoyOpenTelemetryLogProvider }
  | { name: string; kind: 'prometheus' }
  | { name: string; kind: UnsupportedProviderKind };

/** Istio's built-in providers (pkg/config/mesh/mesh.go DefaultMeshConfig), which configured ones of the same name replace. */
export const BUILT_IN_PROVIDERS: readonly ExtensionProvider[] = [
  { name: 'prometheus', kind: 'prometheus' },
  { name: 'stackdriver', kind: 'stackdriver' },
  { name: 'envoy', kind: 'envoyFileAccessLog', envoyFileAccessLog: { path: '/dev/stdout' } },
];

/** A message with no fields (Istio's PrometheusMetricsProvider, EnvironmentResourceDetector): any field is MAST1015. */
const empty = message<Record<string, never>>({}) as Reader<Record<string, never>>;

const header: Reader<HttpHeader> = (v, at, read) => {
  const h = message<HttpHeader>({ name: string, value: string, envName: string })(v, at, read);
  if (!h) return undefined;
  if (!h.name) return bad(read, childPath(at, 'name'), 'must be set');
  if (h.value !== undefined && h.envName !== undefined) return bad(read, at, 'sets value and envName; they are one of');
  return h as HttpHeader;
};

const logFormat: Reader<LogFormat> = (v, at, read) => {
  const f = message<LogFormat>({ text: string, labels: struct })(v, at, read);
  if (f?.text !== undefined && f.labels !== undefined) return bad(read, at, 'sets text and labels; they are one of');
  return f;
};

function bad(read: FieldReader, at: string, message: string): undefined {
  read.report('MAST2053', at, message);
  return undefined;
}

/** A provider message whose `service` and `port` Istio requires (validateExtensionProviderService, ValidatePort). */
function withService<T extends { service: string; port: number }>(fields: Fields<T>): Reader<T> {
  return (v, at, read) => {
    const p = message<T>(fields)(v ?? {}, at, read);
    if (!p) return undefined;
    if (!p.service) return bad(read, childPath(at, 'service'), 'must be set (the collector host)');
    if (p.port === undefined) return bad(read, childPath(at, 'port'), 'must be set');
    return p as T;
  };
}

/** The provider types Mast reads, by the oneof field's JSON name. */
export const PROVIDERS = {
  envoyFileAccessLog: message<EnvoyFileAccessLogProvider>({ path: string, logFormat, omitEmptyValues: bool }),
  zipkin: withService<ZipkinTracingProvider>({
    service: string,
    port,
    maxTagLength: uint(),
    enable64bitTraceId: bool,
    path: string,
    traceContextOption: enumOf(['USE_B3', 'USE_B3_WITH_W3C_PROPAGATION']),
    timeout: duration,
    headers: list(header),
  }),
  opentelemetry: withService<OpenTelemetryTracingProvider>({
    service: string,
    port,
    maxTagLength: uint(),
    http: message({ path: string, timeout: duration, headers: list(header) }),
    grpc: message({ timeout: duration, initialMetadata: list(header) }),
    resourceDetectors: message({ environment: empty }),
    serviceAttributeEnrichment: enumOf(['ISTIO_CANONICAL', 'OTEL_SEMANTIC_CONVENTIONS']),
  }),
  envoyOtelAls: withService<EnvoyOpenTelemetryLogProvider>({ service: string, port, logName: string, logFormat }),
  prometheus: empty,
} as const satisfies Record<string, Reader<object>>;

/**
 * One ExtensionProvider: `name` and exactly one provider field. A type Mast does not translate is
 * kept by name (MAST2054); a field of a supported type that Mast does not read is MAST1015; a bad
 * value, a missing name or not exactly one provider is MAST2053.
 */
export const extensionProvider: Reader<ExtensionProvider> = (v, at, read) => {
  if (!isRecord(v)) return bad(read, at, 'must be a mapping');
  const name = v.name;
  if (typeof name !== 'string' || !name) return bad(read, childPath(at, 'name'), 'must be a non-empty string');
  const set = Object.keys(v).filter((k) => k !== 'name' && v[k] !== null && v[k] !== undefined);
  if (set.length !== 1) return bad(read, at, `sets ${set.length ? set.join(', ') : 'no provider'}; an extension provider is exactly one of ${[...Object.keys(PROVIDERS), ...UNSUPPORTED_PROVIDER_KINDS].join(', ')}`);
  const raw = set[0] as string;
  const kind = jsonName(raw);
  const path = childPath(at, raw);
  if ((UNSUPPORTED_PROVIDER_KINDS as readonly string[]).includes(kind)) {
    read.report('MAST2054', path, `extension provider ${name} is of type ${kind}, which Mast does not support; Telemetry naming it gets nothing from it`);
    return { name, kind: kind as UnsupportedProviderKind };
  }
  if (!Object.prototype.hasOwnProperty.call(PROVIDERS, kind)) return bad(read, path, `${raw} is not an extension provider type Istio knows`);
  const k = kind as keyof typeof PROVIDERS;
  const config = PROVIDERS[k](v[raw], path, read);
  if (config === undefined) return undefined;
  return (k === 'prometheus' ? { name, kind: k } : { name, kind: k, [k]: config }) as ExtensionProvider;
};

/**
 * The configured providers over the built-in ones, as Istio's ApplyMeshConfig merges them: one of
 * a built-in's name replaces it in place, others follow in order; of two configured with one name
 * the later wins (Istio does the same; Mast also warns, MAST2041).
 */
export function mergeProviders(configured: readonly ExtensionProvider[], at: string, read: FieldReader): ExtensionProvider[] {
  const merged = [...BUILT_IN_PROVIDERS];
  const seen = new Set<string>();
  configured.forEach((p, i) => {
    if (seen.has(p.name)) read.report('MAST2041', childPath(at, i), `extension provider ${p.name} is defined twice; the later definition applies`);
    seen.add(p.name);
    const same = merged.findIndex((e) => e.name === p.name);
    if (same >= 0) merged[same] = p;
    else merged.push(p);
  });
  return merged;
}
