// Istio's MeshConfig as Mast reads it: the `mesh` key of the `istio` ConfigMap in the root
// namespace (what istiod reads from its own namespace), or `mast serve --mesh-config FILE`. Fields
// are named as Istio names them (istio.io/api mesh/v1alpha1/config.proto) and Istio's defaults
// apply (pkg/config/mesh/mesh.go DefaultMeshConfig, merged as ApplyMeshConfig merges: each field
// set replaces the default, except defaultConfig, merged field by field, and extensionProviders,
// merged by name). Any other field is a MAST1015 finding naming it; a value Istio would refuse is
// MAST2053, and the mesh config keeps its last good version.
import { CORE_SCHEMA, load } from 'js-yaml';
import { diagnostic } from './errors';
import { bool, double, enumOf, list, message, string, type Reader } from './mesh-config-read';
import { extensionProvider, mergeProviders, BUILT_IN_PROVIDERS, type ExtensionProvider } from './mesh-config-providers';
import { childPath, FieldReader } from './parse/read';
import type { Diagnostic, ObjectRef, Origin, OutboundTrafficPolicyMode } from './types';

export type { EnvoyFileAccessLogProvider, EnvoyOpenTelemetryLogProvider, ExtensionProvider, HttpHeader, LogFormat, OpenTelemetryTracingProvider, UnsupportedProviderKind, ZipkinTracingProvider } from './mesh-config-providers';

export type AccessLogEncoding = 'TEXT' | 'JSON';

/** The MeshConfig fields Mast reads, every one with Istio's default filled in. */
export interface MeshConfig {
  /** Where requests for hosts the registry does not know go; Istio's default ALLOW_ANY. */
  readonly outboundTrafficPolicy: { readonly mode: OutboundTrafficPolicyMode };
  /** Trace spans and request ids without a Telemetry resource saying otherwise; default true. */
  readonly enableTracing: boolean;
  /** The mesh-wide access log's path (`/dev/stdout`); empty (the default) is none. */
  readonly accessLogFile: string;
  /** Default TEXT. */
  readonly accessLogEncoding: AccessLogEncoding;
  /** An Envoy format string (for JSON, a JSON object of label -> command); empty is Istio's default format. */
  readonly accessLogFormat: string;
  /** Providers used where no Telemetry names any; each list empty by default. */
  readonly defaultProviders: { readonly metrics: readonly string[]; readonly tracing: readonly string[]; readonly accessLogging: readonly string[] };
  /** Istio's built-in `prometheus`, `stackdriver` and `envoy` (file log to /dev/stdout), then the configured ones. */
  readonly extensionProviders: readonly ExtensionProvider[];
  /** ProxyConfig defaults. `tracing.sampling`: percent of requests traced (0-100), Istio's 1 when unset or 0, 1 above 100 (tracing.go proxyConfigSamplingValue). */
  readonly defaultConfig: { readonly tracing: { readonly sampling: number } };
  /** exportTo of Services and ServiceEntries that set none; `*`, `.`, `~` or namespace names; default `*`. */
  readonly defaultServiceExportTo: readonly string[];
  /** exportTo of VirtualServices that set none; default `*`. */
  readonly defaultVirtualServiceExportTo: readonly string[];
  /** exportTo of DestinationRules that set none; default `*`. */
  readonly defaultDestinationRuleExportTo: readonly string[];
}

/** PILOT_TRACE_SAMPLING's default (pilot/pkg/features/telemetry.go): what sampling 0 or unset means. */
const DEFAULT_SAMPLING = 1;

function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) freeze(v);
  }
  return value;
}

/** Istio's DefaultMeshConfig, for the fields Mast reads. Frozen: snapshots share it. */
export const DEFAULT_MESH_CONFIG: MeshConfig = freeze({
  outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
  enableTracing: true,
  accessLogFile: '',
  accessLogEncoding: 'TEXT',
  accessLogFormat: '',
  defaultProviders: { metrics: [], tracing: [], accessLogging: [] },
  extensionProviders: BUILT_IN_PROVIDERS,
  defaultConfig: { tracing: { sampling: DEFAULT_SAMPLING } },
  defaultServiceExportTo: ['*'],
  defaultVirtualServiceExportTo: ['*'],
  defaultDestinationRuleExportTo: ['*'],
});

/** An exportTo entry as a mesh default: `*`, `.`, `~` (none) or a namespace (a DNS-1123 label). */
const exportToEntry: Reader<string> = (v, at, read) => {
  if (typeof v === 'string' && (v === '*' || v === '.' || v === '~' || /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v))) return v;
  read.report('MAST2053', at, `${JSON.stringify(v)} is not *, ., ~ or a namespace name`);
  return undefined;
};

const names = list(string);
const exportTo = list(exportToEntry);

/** What a document sets, before defaults. */
type Written = Partial<Omit<MeshConfig, 'defaultProviders' | 'defaultConfig' | 'outboundTrafficPolicy'>> & {
  outboundTrafficPolicy?: Partial<MeshConfig['outboundTrafficPolicy']>;
  defaultProviders?: Partial<MeshConfig['defaultProviders']>;
  defaultConfig?: { tracing?: { sampling?: number } };
};

/** The one table of MeshConfig fields Mast reads; NOTES say what stands in for some it does not. */
const FIELDS = {
  outboundTrafficPolicy: message<{ mode: OutboundTrafficPolicyMode }>({ mode: enumOf(['REGISTRY_ONLY', 'ALLOW_ANY'], { ALLOW_ANY_DYNAMIC_DNS: 'ALLOW_ANY' }) }),
  enableTracing: bool,
  accessLogFile: string,
  accessLogEncoding: enumOf(['TEXT', 'JSON']),
  accessLogFormat: string,
  defaultProviders: message<MeshConfig['defaultProviders']>({ metrics: names, tracing: names, accessLogging: names }),
  extensionProviders: list(extensionProvider),
  defaultConfig: message<{ tracing: { sampling?: number } }>({ tracing: message<{ sampling: number }>({ sampling: double }) }),
  defaultServiceExportTo: exportTo,
  defaultVirtualServiceExportTo: exportTo,
  defaultDestinationRuleExportTo: exportTo,
} as const;

/** The JSON names of the MeshConfig fields Mast reads. */
export const MESH_CONFIG_FIELDS: readonly string[] = Object.keys(FIELDS);

const NOTES: Readonly<Record<string, string>> = {
  rootNamespace: 'Mast takes it from --root-namespace',
  trustDomain: 'Mast takes it from --trust-domain',
};

/**
 * A MeshConfig document (already YAML-decoded) over Istio's defaults. Findings go to `read`, at
 * paths under `at` (`data.mesh` for a ConfigMap, empty for a bare file); when `read` then holds an
 * error the result must not be served. Unknown and unsupported fields are MAST1015 and ignored.
 */
export function readMeshConfig(doc: unknown, read: FieldReader, at = ''): MeshConfig {
  const w = (message(FIELDS, NOTES)(doc ?? {}, at, read) ?? {}) as Written;
  const field = (rel: string): string => (at ? `${at}.${rel}` : rel);
  const sampling = w.defaultConfig?.tracing?.sampling;
  if (sampling !== undefined && (sampling < 0 || sampling > 100)) {
    read.report('MAST2041', field('defaultConfig.tracing.sampling'), `${sampling} is not a percentage (0-100); Istio traces ${DEFAULT_SAMPLING}% instead`);
  }
  const providers = w.extensionProviders ? mergeProviders(w.extensionProviders, childPath(at, 'extensionProviders'), read) : BUILT_IN_PROVIDERS;
  const defaultProviders = { ...DEFAULT_MESH_CONFIG.defaultProviders, ...w.defaultProviders };
  for (const [kind, list] of Object.entries(defaultProviders)) {
    for (const name of list) {
      if (!providers.some((p) => p.name === name)) read.report('MAST2041', field(`defaultProviders.${kind}`), `no extension provider is named ${name}; it provides nothing`);
    }
  }
  return freeze({
    ...DEFAULT_MESH_CONFIG,
    ...w,
    outboundTrafficPolicy: { mode: w.outboundTrafficPolicy?.mode ?? (w.outboundTrafficPolicy ? 'REGISTRY_ONLY' : DEFAULT_MESH_CONFIG.outboundTrafficPolicy.mode) },
    defaultProviders,
    extensionProviders: providers,
    defaultConfig: { tracing: { sampling: sampling && sampling > 0 && sampling <= 100 ? sampling : DEFAULT_SAMPLING } },
  });
}

/**
 * MeshConfig YAML text (a `--mesh-config` file, or a ConfigMap's `mesh` value) over Istio's
 * defaults. `config` is absent when the text has an error (MAST1016: not YAML or not a mapping;
 * MAST2053: a bad value), so the caller keeps its last good one. An empty text is the defaults.
 */
export function parseMeshConfig(text: string, origin: Origin, object?: ObjectRef, at = ''): { config?: MeshConfig; diagnostics: Diagnostic[] } {
  let doc: unknown;
  try {
    // Only blanks and comments: js-yaml refuses a text with no document, Istio reads the defaults.
    doc = /^(\s*(#.*)?(\n|$))*$/.test(text) ? {} : (load(text, { schema: CORE_SCHEMA }) ?? {});
  } catch (e) {
    return { diagnostics: [diagnostic('MAST1016', `MeshConfig is not YAML: ${(e as Error).message.split('\n')[0]}`, { origin, object, field: at || undefined })] };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { diagnostics: [diagnostic('MAST1016', `MeshConfig must be a mapping of fields`, { origin, object, field: at || undefined })] };
  }
  const read = new FieldReader(origin, object);
  const config = readMeshConfig(doc, read, at);
  return read.hasErrors() ? { diagnostics: read.diagnostics } : { config, diagnostics: read.diagnostics };
}
