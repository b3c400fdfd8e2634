// Traces of Mast's own push pipeline (source event -> rebuild -> translate/encode -> each
// stream's send and ACK), exported by OTLP/HTTP (protobuf) when an endpoint is configured, as the
// OpenTelemetry SDK environment specification defines it:
// https://opentelemetry.io/docs/specs/otel/protocol/exporter/ (OTEL_EXPORTER_OTLP_ENDPOINT is a
// base URL to which /v1/traces is appended; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL).
//
// With no endpoint nothing is registered: `pipelineTracer()` is undefined, and every call site
// checks that before it builds a span name or an attribute, so an untraced push costs one
// comparison per step.
import { context, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

let tracer: Tracer | undefined;

/** The tracer of the push pipeline, or undefined when Mast exports no traces. */
export function pipelineTracer(): Tracer | undefined {
  return tracer;
}

export interface TracingOptions {
  /** `--otlp-endpoint`: an OTLP/HTTP base URL (`http://jaeger:4318`); wins over the environment. */
  endpoint?: string;
  env?: NodeJS.ProcessEnv;
  version?: string;
  /** Where spans go instead of OTLP, each as it ends (unit tests: the SDK's InMemorySpanExporter). */
  exporter?: SpanExporter;
}

/**
 * The URL traces are posted to: `--otlp-endpoint` or OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces`
 * appended, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is; undefined when none is set or
 * OTEL_SDK_DISABLED is `true`. Throws on a value that is not an http(s) URL.
 */
export function otlpTracesUrl(o: TracingOptions): string | undefined {
  const env = o.env ?? process.env;
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  const signal = o.endpoint === undefined ? env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim() : undefined;
  const base = o.endpoint ?? env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  const url = signal || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`OTLP endpoint "${url}" is not a URL (expected http://HOST:PORT, OTLP/HTTP)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`OTLP endpoint "${url}" is not http(s): Mast exports OTLP/HTTP (protobuf)`);
  return url;
}

export interface Tracing {
  url: string;
  /** Exports what has ended so far. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts exporting the pipeline's spans (batched) when an endpoint is configured; undefined
 * otherwise. One per process: the tracer and context manager are process-wide.
 */
export function startTracing(o: TracingOptions): Tracing | undefined {
  const url = o.exporter ? 'in-process' : otlpTracesUrl(o);
  if (url === undefined) return undefined;
  const env = o.env ?? process.env;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env['OTEL_SERVICE_NAME'] || 'mast', ...(o.version ? { [ATTR_SERVICE_VERSION]: o.version } : {}) }),
    spanProcessors: [o.exporter ? new SimpleSpanProcessor({ exporter: o.exporter }) : new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 500 })],
  });
  // Spans nest through the active context (rebuild -> translate); only installed when traced.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  tracer = provider.getTracer('mast');
  return {
    url,
    flush: () => provider.forceFlush(),
    async shutdown() {
      tracer = undefined;
      await provider.shutdown();
      context.disable();
    },
  };
}

/**
 * Runs `fn` inside a span `name` (a child of the active span) when tracing is on and a push is
 * being traced; otherwise just runs it. `attrs` is a function so that nothing is built untraced.
 */
export function inSpan<T>(name: () => string, attrs: () => Attributes, fn: (span?: Span) => T): T {
  if (!tracer || !trace.getSpan(context.active())) return fn();
  const span = tracer.startSpan(name(), { attributes: attrs() });
  try {
    return context.with(trace.setSpan(context.active(), span), () => fn(span));
  } finally {
    span.end();
  }
}

/** The active context if a push is being traced, to carry into later (asynchronous) steps. */
export function tracedContext(): Context | undefined {
  return tracer && trace.getSpan(context.active()) ? context.active() : undefined;
}
