// A real Jaeger (`make tracing`: github.com/jaegertracing/jaeger/cmd/jaeger, the v2 binary, an
// OpenTelemetry Collector build) with in-memory storage, receiving OTLP (gRPC and HTTP) and Zipkin
// on free ports, and the tests reading what it got through its own query API, as a user's UI does.
// Its config is the collector-style YAML of cmd/jaeger/internal/all-in-one.yaml (the config the
// binary runs with no --config), cut to the receivers the tests use and given our addresses.
// Registered with processes.ts, so cleanup() stops it.
import net from 'node:net';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { backendBin } from './backends';
import { freePort, getJson } from './net';
import { spawnLogged, stop, tempDir, waitReady, type Proc } from './processes';

/** A span as Jaeger's query API (/api/traces) returns it; times in microseconds. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; type: string; value: unknown }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

export interface Jaeger {
  host: string;
  /** OTLP/gRPC (Jaeger's 4317). */
  otlpGrpcPort: number;
  /** OTLP/HTTP (Jaeger's 4318): `http://host:port` is an OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpHttpPort: number;
  /** Zipkin v1/v2 JSON and protobuf at /api/v2/spans (Jaeger's 9411). */
  zipkinPort: number;
  /** Query API and UI (Jaeger's 16686). */
  queryPort: number;
  queryUrl: string;
  proc: Proc;
  services(): Promise<string[]>;
  /** Traces with a span of `service` (and `operation`, if given) in the last hour. */
  traces(service: string, o?: { operation?: string; limit?: number; tags?: Record<string, string> }): Promise<JaegerTrace[]>;
  trace(traceId: string): Promise<JaegerTrace>;
  stop(): Promise<void>;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The collector-style config: OTLP and Zipkin receivers into memory, the query extension on top. */
/** Jaeger's listening ports, by receiver or API. */
export interface JaegerPorts { otlpGrpc: number; otlpHttp: number; zipkin: number; query: number; queryGrpc: number }

function config(host: string, p: JaegerPorts, uiAssets?: string): string {
  const at = (port: number) => `${host}:${port}`;
  return stringify({
    service: {
      extensions: ['jaeger_storage', 'jaeger_query'],
      pipelines: { traces: { receivers: ['otlp', 'zipkin'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
      // Jaeger's own metrics would take 8888 on every test run: none.
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
    },
    extensions: {
      jaeger_query: {
        storage: { traces: 'memstore' },
        http: { endpoint: at(p.query) },
        grpc: { endpoint: at(p.queryGrpc) },
        // A binary built from the module has a placeholder page for a UI (cmd/query/app/ui/assets.go):
        // the real one is jaeger-ui's build, served from a directory (QueryOptions.UIConfig.AssetsPath).
        ...(uiAssets ? { ui: { assets_path: uiAssets } } : {}),
      },
      jaeger_storage: { backends: { memstore: { memory: { max_traces: 100000 } } } },
    },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: at(p.otlpGrpc) }, http: { endpoint: at(p.otlpHttp) } } },
      zipkin: { endpoint: at(p.zipkin) },
    },
    // A short batch: tests wait for traces, and nothing here needs large exports.
    processors: { batch: { timeout: '100ms' } },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
  });
}

/**
 * Starts Jaeger on `host` (127.0.0.1 by default) and resolves once its query API answers and its
 * OTLP and Zipkin receivers accept connections. Fails with its log if it exits or is not ready
 * in 30 s. `ports` fixes ports (the demo's config names Jaeger's usual ones), else free ports;
 * `uiAssets` is a directory holding jaeger-ui's build, served as the UI.
 */
export async function startJaeger(o: { host?: string; dir?: string; ports?: JaegerPorts; uiAssets?: string } = {}): Promise<Jaeger> {
  const host = o.host ?? '127.0.0.1';
  const dir = o.dir ?? tempDir('jaeger');
  const ports = o.ports ?? { otlpGrpc: await freePort(host), otlpHttp: await freePort(host), zipkin: await freePort(host), query: await freePort(host), queryGrpc: await freePort(host) };
  const file = path.join(dir, 'jaeger.yaml');
  writeFileSync(file, config(host, ports, o.uiAssets));
  const proc = spawnLogged('jaeger', backendBin('jaeger'), ['--config', file], path.join(dir, 'jaeger.log'));
  const queryUrl = `http://${host}:${ports.query}`;
  await waitReady(proc, async () => {
    await getJson(`${queryUrl}/api/services`, { timeoutMs: 1000 });
    for (const port of [ports.otlpGrpc, ports.otlpHttp, ports.zipkin]) if (!(await accepts(host, port))) return false;
    return true;
  }, 30_000);
  const data = async <T>(p: string): Promise<T> => (await getJson<{ data: T }>(`${queryUrl}${p}`, { timeoutMs: 5000 })).data;
  return {
    host,
    otlpGrpcPort: ports.otlpGrpc,
    otlpHttpPort: ports.otlpHttp,
    zipkinPort: ports.zipkin,
    queryPort: ports.query,
    queryUrl,
    proc,
    services: async () => (await data<string[] | null>('/api/services')) ?? [],
    traces: async (service, q = {}) => {
      const params = new URLSearchParams({ service, lookback: '1h', limit: String(q.limit ?? 100) });
      if (q.operation) params.set('operation', q.operation);
      if (q.tags) params.set('tags', JSON.stringify(q.tags));
      return (await data<JaegerTrace[] | null>(`/api/traces?${params}`)) ?? [];
    },
    trace: async (traceId) => {
      const [t] = await data<JaegerTrace[]>(`/api/traces/${traceId}`);
      if (!t) throw new Error(`jaeger has no trace ${traceId}`);
      return t;
    },
    stop: () => stop(proc),
  };
}
