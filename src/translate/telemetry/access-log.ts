// Envoy access logs for a proxy's listeners, HTTP connection managers and tcp_proxies, as Istio
// builds them: from the Telemetry API when any Telemetry (or MeshConfig defaultProviders) speaks
// of access logging (pilot/pkg/model/telemetry.go AccessLogging, mergeLogs), else from MeshConfig
// accessLogFile/accessLogEncoding/accessLogFormat (pilot/pkg/networking/core/accesslog.go
// setHTTPAccessLog, setTCPAccessLog, setListenerAccessLog). The formats are Istio's
// (pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat, EnvoyJSONLogFormatIstio,
// FileAccessLogFromMeshConfig, fileAccessLogFromTelemetry).
import type { Snapshot, Telemetry } from '../../model/types';
import type { Workload } from '../../model/workload-selection';
import { typed } from '../core';
import type { EnvoyJson } from '../types';
import { applicableTelemetries } from './applicable';
import { findProvider, type FileLogFormat, type TelemetryMesh } from './mesh';

/** Istio's EnvoyTextLogFormat (Istio 1.9 onwards). */
export const ISTIO_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
  '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** Istio's EnvoyJSONLogFormatIstio: the JSON labels of the default access log, in the order Istio's source lists them. */
export const ISTIO_JSON_FORMAT: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  route_name: '%ROUTE_NAME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER_RAW%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
};

const FILE_ACCESS_LOG = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
const CEL_FILTER = 'envoy.access_loggers.extension_filters.cel';

/**
 * Which side of the proxy a listener serves, Istio's ListenerClass seen as a Telemetry
 * WorkloadMode (telemetry.go workloadMode): a sidecar's inbound side is SERVER, its outbound side
 * and a gateway are CLIENT.
 */
export type WorkloadMode = 'CLIENT' | 'SERVER';

/** Where in a listener an access log goes: an HCM or tcp_proxy, or the listener itself (connections no filter chain takes). */
export type LogSite = 'filter' | 'listener';

/** What a proxy's listeners of one WorkloadMode log, and the Telemetries it came from. */
export interface AccessLogPlan {
  /** Entries for HCM and tcp_proxy `access_log`. */
  filter: EnvoyJson[];
  /** Entries for the listener's own `access_log`: the same logs, for NR (no filter chain) only. */
  listener: EnvoyJson[];
  /** `Telemetry/ns/name` of each Telemetry that shaped it, sorted. */
  sources: string[];
}

/**
 * The `envoy.formatter.req_without_query` extension when a format uses %REQ_WITHOUT_QUERY(...)%,
 * which Envoy parses only with it (accessLogTextFormatters, accessLogJSONFormatters).
 */
function formatters(values: readonly unknown[]): EnvoyJson {
  const needs = values.some((v) => typeof v === 'string' && v.includes('%REQ_WITHOUT_QUERY'));
  return needs ? { formatters: [{ name: 'envoy.formatter.req_without_query', typed_config: typed('envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery') }] } : {};
}

/** fileAccessLogFormat: the user's text with a newline ensured, or Istio's default. */
function textFormat(text: string, omitEmptyValues = false): EnvoyJson {
  const format = text === '' ? ISTIO_TEXT_FORMAT : text.endsWith('\n') ? text : `${text}\n`;
  return { text_format_source: { inline_string: format }, ...(omitEmptyValues ? { omit_empty_values: true } : {}), ...formatters([format]) };
}

function jsonFormat(labels: Readonly<Record<string, unknown>>, omitEmptyValues = false): EnvoyJson {
  const json = Object.keys(labels).length === 0 ? ISTIO_JSON_FORMAT : labels;
  return { json_format: json, json_format_options: { sort_properties: false }, ...(omitEmptyValues ? { omit_empty_values: true } : {}), ...formatters(Object.values(json)) };
}

function fileLog(path: string, logFormat: EnvoyJson): EnvoyJson {
  return { name: 'envoy.access_loggers.file', typed_config: typed(FILE_ACCESS_LOG, { path, log_format: logFormat }) };
}

/**
 * FileAccessLogFromMeshConfig: a file log at `path` in the mesh's encoding. For JSON,
 * accessLogFormat is a JSON object of labels; one that does not parse as an object gives Istio's
 * default labels, as Istio falls back (it logs the error; MeshConfig validation reports it).
 */
export function meshFileAccessLog(path: string, mesh: TelemetryMesh): EnvoyJson {
  if (mesh.accessLogEncoding === 'TEXT') return fileLog(path, textFormat(mesh.accessLogFormat));
  let labels: Record<string, unknown> = {};
  if (mesh.accessLogFormat !== '') {
    try {
      const parsed: unknown = JSON.parse(mesh.accessLogFormat);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) labels = parsed as Record<string, unknown>;
    } catch {
      // Istio's default labels, as FileAccessLogFromMeshConfig uses on a parse error.
    }
  }
  return fileLog(path, jsonFormat(labels));
}

/**
 * telemetryAccessLog for an envoyFileAccessLog provider: the built-in `envoy` provider without a
 * format of its own follows the mesh's encoding and format; any other uses its own logFormat
 * (text, labels, or Istio's default text). Other provider kinds give no file log (undefined).
 */
function providerAccessLog(name: string, mesh: TelemetryMesh): EnvoyJson | undefined {
  const provider = findProvider(mesh, name);
  if (provider?.kind !== 'envoyFileAccessLog' || !('envoyFileAccessLog' in provider)) return undefined;
  const p = provider.envoyFileAccessLog;
  const path = p.path || '/dev/stdout';
  if (provider.name === 'envoy' && !p.logFormat && !p.omitEmptyValues) return meshFileAccessLog(path, mesh);
  const format: FileLogFormat = p.logFormat ?? {};
  return fileLog(path, format.labels !== undefined ? jsonFormat(format.labels, p.omitEmptyValues) : textFormat(format.text ?? '', p.omitEmptyValues));
}

interface LoggingSpec {
  disabled?: boolean;
  filter?: { expression?: string };
}

type AccessLogging = NonNullable<Telemetry['spec']['accessLogging']>[number];

function modeMatches(entry: AccessLogging, mode: WorkloadMode): boolean {
  const m = entry.match?.mode;
  return m === undefined || m === 'CLIENT_AND_SERVER' || m === mode;
}

const providerNames = (entry: AccessLogging): string[] => (entry.providers ?? []).map((p) => p.name);

/**
 * mergeLogs: the providers in scope (the last level naming any, else the mesh's default
 * providers), each with the filter of the last entry naming it, or disabled by a later entry
 * that disables it (an entry naming no provider applies to its parent's).
 */
function mergeLogs(levels: readonly (readonly AccessLogging[])[], mesh: TelemetryMesh, mode: WorkloadMode): Map<string, LoggingSpec> {
  const providers = new Map<string, LoggingSpec>();
  const defaults = mesh.defaultProviders.accessLogging;
  if (levels.length === 0) {
    for (const d of defaults) providers.set(d, {});
    return providers;
  }
  let inScope: readonly string[] = defaults;
  const filters = new Map<string, LoggingSpec>();
  for (const level of levels) {
    const names = new Set<string>();
    for (const entry of level) {
      if (!modeMatches(entry, mode)) continue;
      for (const name of providerNames(entry)) {
        names.add(name);
        filters.set(name, entry.filter ? { filter: entry.filter } : {});
      }
    }
    if (names.size > 0) inScope = [...names];
  }
  const scope = new Set(inScope);
  let parent: readonly string[] = defaults;
  for (const level of levels) {
    for (const entry of level) {
      const named = providerNames(entry);
      const names = named.length > 0 ? named : parent;
      parent = names;
      for (const name of names) {
        if (!scope.has(name) || !modeMatches(entry, mode)) continue;
        providers.set(name, entry.disabled ? { disabled: true } : (filters.get(name) ?? {}));
      }
    }
  }
  return providers;
}

/** buildAccessLogFilter: one filter as it is, several under an and_filter. */
function combined(filters: EnvoyJson[]): EnvoyJson {
  return filters.length === 1 ? { filter: filters[0] } : filters.length > 1 ? { filter: { and_filter: { filters } } } : {};
}

/** Istio's listener access log filter: only what no filter chain took (NR), which no HCM or tcp_proxy logs. */
const NO_ROUTE: EnvoyJson = { response_flag_filter: { flags: ['NR'] } };

/**
 * What the listeners of `workload` on its `mode` side log (the sites of accesslog.go), or
 * undefined when nothing is logged there. Telemetry's providers when any Telemetry (or the
 * mesh's defaultProviders) configures access logging, else MeshConfig accessLogFile when set.
 */
export function accessLogPlan(snapshot: Snapshot, mesh: TelemetryMesh, workload: Workload, mode: WorkloadMode): AccessLogPlan | undefined {
  const telemetries = applicableTelemetries(snapshot, workload).filter((t) => (t.spec.accessLogging ?? []).length > 0);
  const configs: { log: EnvoyJson; spec: LoggingSpec }[] = [];
  if (telemetries.length > 0 || mesh.defaultProviders.accessLogging.length > 0) {
    const merged = mergeLogs(telemetries.map((t) => t.spec.accessLogging ?? []), mesh, mode);
    // Sorted by provider name for a deterministic order, as Istio sorts them.
    for (const [name, spec] of [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const log = providerAccessLog(name, mesh);
      if (log) configs.push({ log, spec });
    }
  }
  if (configs.length === 0) {
    // No Telemetry API logging: MeshConfig's accessLogFile, when set.
    if (mesh.accessLogFile === '') return undefined;
    const log = meshFileAccessLog(mesh.accessLogFile, mesh);
    return { filter: [log], listener: [{ ...log, filter: NO_ROUTE }], sources: [] };
  }
  const enabled = configs.filter((c) => !c.spec.disabled);
  if (enabled.length === 0) return undefined;
  const cel = (spec: LoggingSpec): EnvoyJson[] =>
    spec.filter?.expression ? [{ extension_filter: { name: CEL_FILTER, typed_config: typed('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', { expression: spec.filter.expression }) } }] : [];
  return {
    filter: enabled.map((c) => ({ ...c.log, ...combined(cel(c.spec)) })),
    listener: enabled.map((c) => ({ ...c.log, ...combined([NO_ROUTE, ...cel(c.spec)]) })),
    sources: telemetries.map((t) => `Telemetry/${t.meta.namespace}/${t.meta.name}`).sort(),
  };
}
