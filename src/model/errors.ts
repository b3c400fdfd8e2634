// The one catalogue of coded diagnostics. Logs, status, /debug and `mast analyze` all speak these
// codes, so a user can search for one and find every place it comes from.
import { refKey, type Diagnostic, type ObjectRef, type Origin, type Severity } from './types';

interface CodeInfo {
  severity: Severity;
  title: string;
}

/**
 * MAST1xxx: reading and schema; MAST2xxx: one object's meaning (20xx Istio's rules, 21xx
 * Kubernetes' and the proxy's); MAST3xxx: references between objects; MAST4xxx: what Envoy itself
 * would reject, found in what translation made.
 */
export const DIAGNOSTIC_CODES = {
  MAST1001: { severity: 'error', title: 'malformed YAML' },
  MAST1002: { severity: 'error', title: 'document is not a Kubernetes object' },
  MAST1003: { severity: 'warning', title: 'kind is not known to Mast and is ignored' },
  MAST1004: { severity: 'warning', title: 'apiVersion is not supported for this kind and the object is ignored' },
  MAST1005: { severity: 'error', title: 'metadata.name is missing' },
  MAST1006: { severity: 'error', title: 'field does not match the schema' },
  MAST1007: { severity: 'warning', title: 'unknown field is ignored' },
  MAST1008: { severity: 'warning', title: 'field is not supported by Mast yet and is ignored' },
  MAST1009: { severity: 'error', title: 'file cannot be read' },
  MAST1010: { severity: 'warning', title: 'object is defined more than once; the definition already served (else the oldest file\'s) wins' },
  // MAST1011 (a kind watched but not translated yet) is retired: every Istio kind Mast reads is translated.
  MAST1012: { severity: 'error', title: 'file is not UTF-8 text and is not read' },
  MAST1013: { severity: 'error', title: 'file or document exceeds what Mast reads (size, nesting, alias expansion)' },
  MAST1014: { severity: 'warning', title: 'file is UTF-16; it is read, but other tools expect UTF-8' },
  MAST1015: { severity: 'warning', title: 'MeshConfig field or value is not supported by Mast; the field is ignored (or the value read as the one named)' },
  MAST1016: { severity: 'error', title: 'MeshConfig cannot be read (not YAML, not a mapping, or no `mesh` key); the last good mesh config keeps serving' },

  MAST2001: { severity: 'error', title: 'VirtualService route weights are not valid: a weight below 0, or several destinations that all weigh 0' },
  MAST2002: { severity: 'warning', title: 'VirtualService has no hosts: it is a delegate, serving only the root VirtualServices whose http routes delegate to it' },
  MAST2003: { severity: 'error', title: 'VirtualService http rule has no route, redirect or directResponse' },
  MAST2004: { severity: 'error', title: 'regular expression is not valid RE2' },
  MAST2005: { severity: 'error', title: 'destination host is empty' },
  MAST2006: { severity: 'error', title: 'duration is not valid' },
  MAST2007: { severity: 'error', title: 'DestinationRule has no host' },
  MAST2008: { severity: 'error', title: 'DestinationRule subset has no name' },
  MAST2009: { severity: 'error', title: 'DestinationRule subset name is not unique' },
  MAST2011: { severity: 'error', title: 'port number is not in 1..65535' },
  MAST2012: { severity: 'error', title: 'Gateway server has no hosts' },
  MAST2013: { severity: 'error', title: 'Service port is not unique' },
  MAST2014: { severity: 'error', title: 'EndpointSlice has no kubernetes.io/service-name label' },
  // Istio's own validation (pkg/config/validation), one code per kind of check; each message names
  // the Istio function it mirrors. Warnings are the findings Istio itself only warns about.
  MAST2015: { severity: 'error', title: 'host is not a valid DNS name, wildcard name or IP address' },
  MAST2016: { severity: 'error', title: 'string match is empty' },
  MAST2017: { severity: 'error', title: 'retry policy is not valid' },
  MAST2018: { severity: 'error', title: 'fault injection is not valid' },
  MAST2019: { severity: 'error', title: 'percentage is out of range' },
  MAST2020: { severity: 'error', title: 'HTTP header name or value is not valid' },
  MAST2021: { severity: 'error', title: 'VirtualService http rule sets fields that exclude each other' },
  MAST2022: { severity: 'error', title: 'redirect is not valid' },
  MAST2023: { severity: 'error', title: 'rewrite is not valid' },
  MAST2024: { severity: 'error', title: 'directResponse is not valid' },
  MAST2025: { severity: 'error', title: 'CORS policy is not valid' },
  MAST2026: { severity: 'error', title: 'name is not a valid DNS-1123 label' },
  MAST2027: { severity: 'error', title: 'label key or value is not valid' },
  MAST2028: { severity: 'error', title: 'exportTo is not valid' },
  MAST2029: { severity: 'error', title: 'VirtualService has no http, tcp or tls routes' },
  MAST2030: { severity: 'error', title: 'VirtualService hosts overlap' },
  MAST2031: { severity: 'error', title: 'VirtualService tcp or tls route is not valid' },
  MAST2032: { severity: 'error', title: 'DestinationRule traffic policy is not valid' },
  MAST2033: { severity: 'error', title: 'Gateway server is not valid' },
  MAST2034: { severity: 'error', title: 'Gateway server TLS settings are not valid' },
  MAST2035: { severity: 'error', title: 'annotation is not allowed on this object' },
  MAST2036: { severity: 'error', title: 'delegate VirtualService or delegating http rule is not valid' },
  MAST2037: { severity: 'error', title: 'JWT claim routing is only supported for gateways' },
  MAST2038: { severity: 'error', title: 'workload selector is not valid' },
  MAST2039: { severity: 'warning', title: 'VirtualService rule or match can never be reached' },
  MAST2040: { severity: 'warning', title: 'field is deprecated by Istio' },
  MAST2041: { severity: 'warning', title: 'setting is ignored or unusual (an Istio validation or translation warning)' },
  MAST2042: { severity: 'error', title: 'PeerAuthentication is not valid' },
  MAST2043: { severity: 'error', title: 'AuthorizationPolicy is not valid' },
  MAST2044: { severity: 'error', title: 'RequestAuthentication is not valid' },
  MAST2045: { severity: 'error', title: 'Sidecar is not valid' },
  MAST2046: { severity: 'error', title: 'ServiceEntry is not valid' },
  MAST2047: { severity: 'error', title: 'WorkloadEntry is not valid' },
  // EnvoyFilter (src/model/validate/envoy-filter.ts), as Istio's ValidateEnvoyFilter.
  MAST2048: { severity: 'warning', title: 'Gateway server in tls.mode AUTO_PASSTHROUGH is not of protocol TLS (on HTTP the mode does nothing; on HTTPS it passes mesh mTLS through as on TLS)' },
  MAST2049: { severity: 'warning', title: 'namespace part of an AUTO_PASSTHROUGH server\'s host does not limit it: services of that name in every namespace are reachable (Istio drops it too)' },
  MAST2051: { severity: 'error', title: 'Gateway server certificate path holds "~", which Istio\'s file SDS names (file-cert:CERT~KEY) cannot carry; the server would never get its certificate' },
  MAST2053: { severity: 'error', title: 'MeshConfig field value is not valid; the last good mesh config keeps serving' },
  MAST2054: { severity: 'warning', title: 'MeshConfig extension provider is of a type Mast does not support (Stackdriver, Datadog, ext_authz, ...); it provides nothing' },
  MAST2057: { severity: 'error', title: 'Telemetry is not valid' },
  MAST2058: { severity: 'error', title: 'Telemetry accessLogging filter expression is not a CEL expression' },
  MAST2063: { severity: 'error', title: 'EnvoyFilter configPatch is not valid (applyTo, patch operation or value missing, or a match that does not fit applyTo)' },
  MAST2064: { severity: 'error', title: 'EnvoyFilter patch value is not the Envoy message its applyTo takes (an unknown field, a wrong type, an unknown @type)' },
  MAST2065: { severity: 'warning', title: 'EnvoyFilter EXTENSION_CONFIG ADD names an extension config that a later-applied ADD reaching the same proxy also names; the later one is served' },
  MAST2066: { severity: 'warning', title: 'EnvoyFilter patch matches on proxy version or metadata, which Mast\'s proxies do not report; it applies to no proxy' },
  MAST2067: { severity: 'warning', title: 'EnvoyFilter match has no effect with this applyTo, or the operation is not one Istio applies to it' },
  MAST2068: { severity: 'error', title: 'EnvoyFilter EXTENSION_CONFIG typed_config is of a type that a filter discovering it (config_discovery.type_urls) does not accept; Envoy would refuse it, so the last good version is served' },

  // Kubernetes objects' meaning, as the API server validates it (file mode has no API server).
  MAST2101: { severity: 'error', title: 'EndpointSlice address is not an IP address of its addressType' },
  // What a proxy needs for itself.
  MAST2102: { severity: 'warning', title: 'Gateway server is on a port the gateway proxy keeps for itself; it is not served' },
  // The API server's checks of names and Service addresses (apimachinery's validation, pkg/apis/core/validation).
  MAST2103: { severity: 'error', title: 'name or namespace is not one Kubernetes accepts (a DNS-1035 label for Services, a DNS-1123 label for namespaces, a DNS-1123 subdomain otherwise)' },
  MAST2104: { severity: 'error', title: 'Service clusterIP is not an IP address, None or empty' },
  MAST2105: { severity: 'warning', title: 'Service clusterIP is already an older Service\'s (the API server allocates each once); this Service is served without it' },

  MAST3001: { severity: 'warning', title: 'route names a subset no DestinationRule for its host defines; that route answers 503' },
  MAST3002: { severity: 'warning', title: 'VirtualService host is also an older VirtualService\'s on sidecars; the older one routes it there (Istio: IST0109)' },
  MAST3003: { severity: 'warning', title: 'AuthorizationPolicy ALLOW rule tests HTTP attributes and is left out on the TCP ports of the workloads it selects, where it allows nothing' },
  MAST3004: { severity: 'warning', title: 'VirtualService http route delegates to a VirtualService that does not exist, has hosts, or is not exported to its namespace; that route is left out (Istio does the same)' },
  MAST3005: { severity: 'warning', title: 'delegate VirtualService route matches nothing its root route matches; it is left out (Istio: HTTPMatchRequests conflict)' },
  MAST3006: { severity: 'warning', title: 'Sidecar is one more for the same workloads (a second without workloadSelector in its namespace, or a second whose selector picks a Pod an older one picks; Istio: IST0111, IST0110); the oldest applies, in Istio and in Mast' },
  MAST3007: { severity: 'warning', title: 'Gateway server conflicts with an older Gateway\'s server for the same workloads and port (Istio: IST0145 ConflictingGateways); the older one is served, or for plain HTTP both are merged' },
  MAST3008: { severity: 'warning', title: 'credentialName names no Secret (or credential file) in the namespace of the gateway proxy that reads it; the TLS it configures waits for one and serves nothing meanwhile' },
  MAST3009: { severity: 'warning', title: 'Gateway server in tls.mode AUTO_PASSTHROUGH covers no service of the mesh: no SNI reaches anything through it' },
  MAST3010: { severity: 'warning', title: 'credentialName\'s key is refused to a proxy that uses it (a sidecar no selecting DestinationRule entitles, or a service account that may not read its namespace\'s Secrets); the TLS it configures waits for the key and serves nothing' },
  MAST3012: { severity: 'warning', title: 'Telemetry names a provider that MeshConfig extensionProviders does not define, or one that cannot serve this use (Istio: IST0157); it is left out, as Istio leaves it' },
  MAST3013: { severity: 'warning', title: 'Telemetry is one more for the same workloads (a second without selector in its namespace, or a second whose selector picks a Pod another picks; Istio: IST0160, IST0159); the oldest namespace-wide one applies, selecting ones merge in creation order, in Istio and in Mast' },
  MAST3014: { severity: 'warning', title: 'EnvoyFilter workloadSelector selects no Pod in its namespace (or, in the root namespace, in any namespace)' },

  // Envoy's own rules (src/xds/validate, docs/envoy-validation.md): the net under the checks above.
  MAST4001: { severity: 'error', title: 'Envoy would reject what this object translates to; its contribution is left out' },
  MAST4002: { severity: 'error', title: 'EnvoyFilter patch makes a resource Envoy would reject; the proxies it selects keep its last good version (or go without it)' },
  MAST4003: { severity: 'warning', title: 'EnvoyFilter patch names a filter no listener of a proxy it selects has; it does nothing there' },
  MAST4004: { severity: 'error', title: 'EnvoyFilter patch breaks the HTTP filter order (the router must be the last filter, once); the proxies it selects keep its last good version (or go without it)' },
} as const satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Where a finding points: the object, where it was read from, and the field inside it. */
export interface Location {
  object?: ObjectRef;
  origin?: Origin;
  field?: string;
}

export function diagnostic(code: DiagnosticCode, message: string, at: Location = {}): Diagnostic {
  const d: Diagnostic = { code, severity: DIAGNOSTIC_CODES[code].severity, message };
  if (at.object) d.object = at.object;
  if (at.origin) d.origin = at.origin;
  if (at.field) d.field = at.field;
  return d;
}

/** `file.yaml:LINE#DOC`, or the API path for objects read from Kubernetes. */
export function formatOrigin(origin: Origin): string {
  if (origin.apiPath) return origin.apiPath;
  let s = origin.file ?? '';
  if (origin.line !== undefined) s += `:${origin.line}`;
  if (origin.doc !== undefined) s += `#${origin.doc}`;
  return s;
}

/** A finding as told about its own object (an admission denial, a status condition): `spec.http[0].route: MAST2001 ...`. */
export function formatFieldDiagnostic(d: Diagnostic): string {
  return `${d.field ? `${d.field}: ` : ''}${d.code} ${d.message}`;
}

/** One line: `origin Kind/ns/name field: CODE message`, leaving out whatever is unknown. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.origin && formatOrigin(d.origin), d.object && refKey(d.object), d.field].filter(Boolean).join(' ');
  return `${where ? `${where}: ` : ''}${d.code} ${d.message}`;
}
