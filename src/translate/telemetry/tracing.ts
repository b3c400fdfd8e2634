// The HTTP connection manager's `tracing`, as Istio builds it (pilot/pkg/model/telemetry.go
// Telemetries.Tracing; pilot/pkg/networking/core/tracing.go configureTracingFromTelemetry,
// configureFromProviderConfig, zipkinConfig, otelConfig, configureSampling, configureCustomTags,
// buildServiceTags): the provider from MeshConfig extensionProviders (Zipkin, or OpenTelemetry
// over OTLP/gRPC) sending to the outbound cluster of its collector Service, the sampling
// percentage, and the span tags.
//
// Where Mast differs: without a Telemetry or a default tracing provider Istio still writes a
// provider-less `tracing` on every HCM (MeshConfig enableTracing), for a tracer the bootstrap may
// hold; Mast's bootstrap holds none, so that block would do nothing and Mast leaves it out. The
// Envoy API Mast encodes against (the envoy-api tree @grpc/grpc-js-xds ships) predates Zipkin's
// `collector_service` and `trace_context_option` and the HCM's `spawn_upstream_span`, so Zipkin
// goes through collector_cluster/collector_endpoint/collector_hostname, as Istio configures
// proxies older than 1.29, and propagates B3 only.
import type { Snapshot, Telemetry } from '../../model/types';
import { exportedTo } from '../../model/service-entries';
import { collectorService } from '../../model/validate/telemetry-providers';
import type { Workload } from '../../model/workload-selection';
import { typed } from '../core';
import { outboundClusterName } from '../names';
import { portProtocol } from '../protocol';
import type { EnvoyJson } from '../types';
import type { WorkloadMode } from './access-log';
import { applicableTelemetries } from './applicable';
import { findProvider, type TelemetryMesh, type TelemetryProvider } from './mesh';

type TracingEntry = NonNullable<Telemetry['spec']['tracing']>[number];
type CustomTag = NonNullable<TracingEntry['customTags']>[string];

/** Istio's TracingSpec for one side of a proxy. */
interface TracingSpec {
  provider?: TelemetryProvider;
  disabled: boolean;
  randomSamplingPercentage?: number;
  customTags?: Readonly<Record<string, CustomTag>>;
}

/**
 * Telemetries.Tracing for one side: the mesh's first default tracing provider, then each applying
 * Telemetry's tracing entries in order (root, namespace, workload), an entry's provider (its
 * first), disableSpanReporting, customTags (replacing, not merged) and randomSamplingPercentage
 * overriding what came before on the sides its match.mode names. Undefined when neither a
 * Telemetry nor the mesh speaks of tracing.
 */
function tracingSpec(snapshot: Snapshot, mesh: TelemetryMesh, workload: Workload, mode: WorkloadMode): { spec: TracingSpec; sources: string[] } | undefined {
  const telemetries = applicableTelemetries(snapshot, workload).filter((t) => (t.spec.tracing ?? []).length > 0);
  const defaults = mesh.defaultProviders.tracing;
  if (telemetries.length === 0 && defaults.length === 0) return undefined;
  const spec: TracingSpec = { disabled: false, ...(defaults[0] !== undefined ? { provider: findProvider(mesh, defaults[0]) } : {}) };
  for (const entry of telemetries.flatMap((t) => t.spec.tracing ?? [])) {
    const m = entry.match?.mode;
    if (m !== undefined && m !== 'CLIENT_AND_SERVER' && m !== mode) continue;
    const first = entry.providers?.[0];
    if (first) spec.provider = findProvider(mesh, first.name);
    if (entry.disableSpanReporting !== undefined) spec.disabled = entry.disableSpanReporting;
    if (entry.customTags !== undefined) spec.customTags = entry.customTags;
    if (entry.randomSamplingPercentage !== undefined) spec.randomSamplingPercentage = entry.randomSamplingPercentage;
  }
  return { spec, sources: telemetries.map((t) => `Telemetry/${t.meta.namespace}/${t.meta.name}`).sort() };
}

/**
 * LookupCluster: the collector's Service and the outbound cluster of its port, which Mast builds
 * like any other, but only when the proxy in `namespace` is sent that cluster: the Service is
 * exported to it (servicePorts' rule) and proxies that port. `snapshot` is the proxy's Sidecar
 * view when one applies (telemetry/listeners.ts), so a host outside its egress is unknown here.
 * Envoy checks a tracer's cluster when it loads the listener, so naming a cluster the proxy does
 * not have would get the whole listener refused.
 */
function collector(snapshot: Snapshot, namespace: string, service: string, port: number): { hostname: string; cluster: string } | undefined {
  const found = collectorService((host) => snapshot.serviceByHost(host), service);
  if (!found || !exportedTo(found, namespace, snapshot.meshConfig.defaultServiceExportTo)) return undefined;
  if (!found.ports.some((p) => p.port === port && portProtocol(p) !== undefined)) return undefined;
  return { hostname: found.hostname, cluster: outboundClusterName(port, found.hostname) };
}

/** The tracer for `provider`, or undefined when it cannot trace or its collector is not among the proxy's clusters. */
function tracer(snapshot: Snapshot, namespace: string, provider: TelemetryProvider, serviceName: string): { http: EnvoyJson; maxTagLength?: number } | undefined {
  if (provider.kind === 'zipkin' && 'zipkin' in provider) {
    const z = provider.zipkin;
    const c = collector(snapshot, namespace, z.service, z.port);
    if (!c) return undefined;
    const config = typed('envoy.config.trace.v3.ZipkinConfig', {
      collector_cluster: c.cluster,
      collector_endpoint: z.path || '/api/v2/spans',
      collector_hostname: c.hostname,
      collector_endpoint_version: 'HTTP_JSON',
      // Istio's default is 128-bit trace ids.
      trace_id_128bit: !z.enable64bitTraceId,
      shared_span_context: false,
    });
    return { http: { name: 'envoy.tracers.zipkin', typed_config: config }, ...(z.maxTagLength ? { maxTagLength: z.maxTagLength } : {}) };
  }
  if (provider.kind === 'opentelemetry' && 'opentelemetry' in provider) {
    const o = provider.opentelemetry;
    const c = collector(snapshot, namespace, o.service, o.port);
    if (!c) return undefined;
    const config = typed('envoy.config.trace.v3.OpenTelemetryConfig', { grpc_service: { envoy_grpc: { cluster_name: c.cluster, authority: c.hostname } }, service_name: serviceName });
    return { http: { name: 'envoy.tracers.opentelemetry', typed_config: config }, ...(o.maxTagLength ? { maxTagLength: o.maxTagLength } : {}) };
  }
  return undefined;
}

/** What the tracing of a proxy reads besides the mesh: its workload and the name its spans carry. */
export interface TracedProxy extends Workload {
  /** Envoy's node cluster (`APP.NAMESPACE`), the service its spans are reported under. */
  serviceCluster: string;
}

const literal = (tag: string, value: string): EnvoyJson => ({ tag, literal: { value } });

/** buildServiceTags: Istio's span tags naming the proxy's workload (canonical service and revision from its labels). */
function serviceTags(proxy: TracedProxy): EnvoyJson[] {
  return [
    literal('istio.canonical_revision', proxy.labels['service.istio.io/canonical-revision'] || 'latest'),
    literal('istio.canonical_service', proxy.labels['service.istio.io/canonical-name'] || 'unknown'),
    literal('istio.mesh_id', 'unknown'),
    literal('istio.namespace', proxy.namespace || 'default'),
    literal('istio.cluster_id', 'unknown'),
  ];
}

/** buildCustomTagsFromProvider: Telemetry customTags as Envoy's CustomTag. */
function customTags(tags: Readonly<Record<string, CustomTag>>): EnvoyJson[] {
  return Object.entries(tags).flatMap(([tag, t]): EnvoyJson[] => {
    if (t.literal) return [literal(tag, t.literal.value)];
    if (t.header) return [{ tag, request_header: { name: t.header.name, ...(t.header.defaultValue ? { default_value: t.header.defaultValue } : {}) } }];
    if (t.environment) return [{ tag, environment: { name: t.environment.name, ...(t.environment.defaultValue ? { default_value: t.environment.defaultValue } : {}) } }];
    return [];
  });
}

/** The HCM `tracing` of one side of a proxy, and the Telemetries it came from; undefined for no tracing. */
export interface TracingPlan {
  tracing: EnvoyJson;
  sources: string[];
}

/**
 * The `tracing` of the HCMs on `mode`'s side of `proxy`: undefined when no Telemetry or default
 * provider asks for tracing, span reporting is disabled, or the provider is missing, cannot
 * trace, or names a collector Service the registry does not have (Istio then leaves tracing out
 * too). Sampling: the Telemetry's randomSamplingPercentage, else MeshConfig
 * defaultConfig.tracing.sampling (Istio's 1%); client and overall sampling 100%.
 */
export function tracingPlan(snapshot: Snapshot, mesh: TelemetryMesh, proxy: TracedProxy, mode: WorkloadMode): TracingPlan | undefined {
  const found = tracingSpec(snapshot, mesh, proxy, mode);
  if (!found || found.spec.disabled || !found.spec.provider) return undefined;
  const { spec, sources } = found;
  const t = tracer(snapshot, proxy.namespace, spec.provider!, proxy.serviceCluster);
  if (!t) return undefined;
  const tags = [...serviceTags(proxy), ...customTags(spec.customTags ?? {})].sort((a, b) => (String(a.tag) < String(b.tag) ? -1 : String(a.tag) > String(b.tag) ? 1 : 0));
  return {
    tracing: {
      client_sampling: { value: 100 },
      random_sampling: { value: spec.randomSamplingPercentage ?? mesh.defaultConfig.tracing.sampling },
      overall_sampling: { value: 100 },
      custom_tags: tags,
      provider: t.http,
      ...(t.maxTagLength ? { max_path_tag_length: t.maxTagLength } : {}),
    },
    sources,
  };
}
