// The demo's tracing (`make run`, tools/trace-screenshot.ts): a real Jaeger (`make tracing`) where
// examples/tracing/ says it is (127.0.9.1 on Jaeger's usual ports, moved with the mesh's address
// prefix), and the trace of one request through the ingress gateway, read through Jaeger's own
// query API.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EchoAnswer } from '../examples/app/echo';
import { backendBin } from './harness/backends';
import { startJaeger, type Jaeger, type JaegerPorts, type JaegerTrace } from './harness/jaeger';
import type { Mesh } from './harness/mesh';
import { get, sleep, type Reply } from './harness/net';

/** Extra config for the demo mesh: the mesh config's provider, Jaeger's ServiceEntry, the mesh-wide Telemetry. */
export const TRACING_EXAMPLE = path.join(__dirname, '..', 'examples', 'tracing');
/** Jaeger's usual ports, as examples/tracing/tracing-jaeger.yaml names them. */
const PORTS: JaegerPorts = { otlpGrpc: 4317, otlpHttp: 4318, zipkin: 9411, query: 16686, queryGrpc: 16685 };
/** The gateway's Envoy as Jaeger names it (service.name: `<cluster>.<namespace>`, Envoy's --service-cluster). */
export const GATEWAY_SERVICE = 'istio-ingressgateway.istio-system';

/**
 * Why there is no Jaeger for the demo (the binary is not built and JAEGER_BIN is unset), or
 * undefined when there is one.
 */
export function jaegerMissing(): string | undefined {
  try {
    backendBin('jaeger');
    return undefined;
  } catch (err) {
    // build.sh's own complaint (a bad JAEGER_BIN) is the last line of execFileSync's message.
    return (err as Error).message.split('\n').filter((l) => l.trim() !== '').pop();
  }
}

/**
 * Starts Jaeger for a mesh whose addresses start with `prefix` (`127.0` for `make run`), on the
 * address and ports examples/tracing/ gives it, keeping its config and log in `dir`. JAEGER_UI_ASSETS
 * names a directory holding jaeger-ui's build, which it then serves as its UI.
 */
export function startDemoJaeger(prefix: string, dir: string): Promise<Jaeger> {
  mkdirSync(dir, { recursive: true });
  const uiAssets = process.env['JAEGER_UI_ASSETS'];
  return startJaeger({ host: `${prefix}.9.1`, dir, ports: PORTS, ...(uiAssets ? { uiAssets } : {}) });
}

/** What the UI shows for `traceId`. */
export function traceUrl(jaeger: Jaeger, traceId: string): string {
  return `${jaeger.queryUrl}/trace/${traceId}`;
}

/** Span counts by the proxy (Jaeger service) that reported them. */
export function spansByService(t: JaegerTrace): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of t.spans) {
    const name = t.processes[s.processID]?.serviceName ?? '?';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/**
 * Whether trace `t` (its spans, as Jaeger or Zipkin returns them) holds every span of the request
 * `reply` answers (examples/app/echo.ts's call tree): each hop is the caller's client span (the
 * gateway's, or the calling sidecar's outbound) and the callee sidecar's server span, so two per
 * workload in the tree.
 */
export function everyHop(t: { spans: readonly unknown[] }, reply: Reply): boolean {
  const count = (a: EchoAnswer): number => 1 + a.calls.reduce((n, c) => n + (c.body ? count(c.body) : 0), 0);
  try {
    return t.spans.length >= 2 * count(JSON.parse(reply.text) as EchoAnswer);
  } catch {
    return true;
  }
}

/**
 * Sends GET /productpage through the mesh's ingress gateway as the first hop of a new W3C trace
 * (`traceparent`, sampled; Envoy's OpenTelemetry tracer continues it), and resolves with the reply
 * and that trace once Jaeger holds it and `complete(trace, reply)` says it has all its spans
 * (proxies export every few seconds, each on its own), or with no trace after `timeoutMs`. The
 * trace id is chosen here because the gateway, an edge proxy, replaces a client's x-request-id.
 */
export async function tracedRequest(mesh: Mesh, jaeger: Jaeger, o: { complete?: (t: JaegerTrace, reply: Reply) => boolean; timeoutMs?: number } = {}): Promise<{ reply: Reply; traceId: string; trace?: JaegerTrace }> {
  const traceId = randomBytes(16).toString('hex');
  const reply = await get(mesh.gatewayUrl(), { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
  const complete = o.complete ?? (() => true);
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  let trace: JaegerTrace | undefined;
  while (Date.now() < deadline) {
    await sleep(500);
    trace = await jaeger.trace(traceId).catch(() => undefined);
    if (trace && complete(trace, reply)) break;
  }
  return { reply, traceId, ...(trace ? { trace } : {}) };
}
