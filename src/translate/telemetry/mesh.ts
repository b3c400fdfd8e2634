// The MeshConfig fields telemetry translation reads: a structural subset of src/model/mesh-config.ts
// MeshConfig (accessLogFile, accessLogEncoding, accessLogFormat, defaultProviders,
// extensionProviders, enableTracing, defaultConfig.tracing.sampling), so the translators take a
// plain typed input (what unit tests build) and any MeshConfig is one.
import type { Snapshot } from '../../model/types';

export interface FileLogFormat {
  text?: string;
  labels?: Record<string, unknown>;
}

/** The extension providers telemetry translation reads; others (`kind` any other oneof name) provide no access log or tracer. */
export type TelemetryProvider =
  | { name: string; kind: 'envoyFileAccessLog'; envoyFileAccessLog: { path?: string; logFormat?: FileLogFormat; omitEmptyValues?: boolean } }
  | { name: string; kind: 'zipkin'; zipkin: { service: string; port: number; maxTagLength?: number; enable64bitTraceId?: boolean; path?: string; traceContextOption?: string } }
  | { name: string; kind: 'opentelemetry'; opentelemetry: { service: string; port: number; maxTagLength?: number; http?: unknown } }
  | { name: string; kind: string };

export interface TelemetryMesh {
  readonly accessLogFile: string;
  readonly accessLogEncoding: 'TEXT' | 'JSON';
  readonly accessLogFormat: string;
  readonly defaultProviders: { readonly accessLogging: readonly string[]; readonly tracing: readonly string[] };
  readonly extensionProviders: readonly TelemetryProvider[];
  readonly enableTracing: boolean;
  readonly defaultConfig: { readonly tracing: { readonly sampling: number } };
}

/** The mesh config a snapshot was built with (the `istio` ConfigMap or `--mesh-config`, over Istio's defaults). */
export function telemetryMesh(snapshot: Snapshot): TelemetryMesh {
  return snapshot.meshConfig;
}

/** fetchProvider: the provider named `name` (case-insensitive, as Istio's strings.EqualFold). */
export function findProvider(mesh: TelemetryMesh, name: string): TelemetryProvider | undefined {
  const lower = name.toLowerCase();
  return mesh.extensionProviders.find((p) => p.name.toLowerCase() === lower);
}
