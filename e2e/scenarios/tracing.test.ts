// Distributed tracing through real Envoy into a real Jaeger (issue 9, item 3), as Istio's
// "Distributed Tracing" tasks set it up: MeshConfig extensionProviders name Jaeger's Zipkin and
// OTLP/gRPC receivers (a ServiceEntry puts Jaeger in the registry, as a Service would), and a
// Telemetry in the root namespace picks the provider and the sampling. One request through
// gateway -> productpage -> reviews -> ratings is one trace holding spans of every proxy on the
// path, found through Jaeger's own query API; at 0% sampling no trace arrives. The example app
// forwards x-request-id, B3 and traceparent (examples/app/echo.ts), as bookinfo's apps do.
// Envoy's tracers report a proxy's finished spans once it holds 5 of them, else every 5 s
// (tracing.zipkin and tracing.opentelemetry min_flush_spans and flush_interval_ms), so requests go
// in bursts of 5: each proxy on the path fills its batch and reports at once, where one request at
// a time waited out the 5 s timer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { startJaeger, type Jaeger, type JaegerTrace } from '../harness/jaeger';
import type { Mesh } from '../harness/mesh';
import { get, waitFor } from '../harness/net';
import { tempDir } from '../harness/processes';
import { describeMesh } from '../harness/scenario';

const COLLECTOR = 'jaeger.observability.test';
const MESH_CONFIG = path.join(tempDir('tracing'), 'mesh.yaml');
let jaeger: Jaeger | undefined;

before(async () => {
  jaeger = await startJaeger();
  writeFileSync(
    MESH_CONFIG,
    JSON.stringify({
      extensionProviders: [
        { name: 'zipkin', zipkin: { service: COLLECTOR, port: jaeger.zipkinPort } },
        { name: 'otel', opentelemetry: { service: COLLECTOR, port: jaeger.otlpGrpcPort } },
      ],
    }),
  );
});
after(() => jaeger?.stop());

/** Jaeger in the registry: its Zipkin (HTTP) and OTLP (gRPC) ports at its address. */
function collectorEntry(j: Jaeger): string {
  return JSON.stringify({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { namespace: 'istio-system', name: 'jaeger' },
    spec: {
      hosts: [COLLECTOR],
      location: 'MESH_EXTERNAL',
      resolution: 'STATIC',
      ports: [
        { number: j.zipkinPort, name: 'http-zipkin', protocol: 'HTTP' },
        { number: j.otlpGrpcPort, name: 'grpc-otlp', protocol: 'GRPC' },
      ],
      endpoints: [{ address: j.host }],
    },
  });
}

const tracing = (provider: string, randomSamplingPercentage: number) =>
  JSON.stringify({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { namespace: 'istio-system', name: 'mesh-default' }, spec: { tracing: [{ providers: [{ name: provider }], randomSamplingPercentage }] } });

const GATEWAY = 'istio-ingressgateway.istio-system';

/**
 * The traces the gateway started since `sinceMs` (Jaeger's times are microseconds). The gateway is
 * the edge: it makes a new x-request-id for each request, so a request is found by time.
 */
async function tracesSince(sinceMs: number): Promise<JaegerTrace[]> {
  const recent = await jaeger!.traces(GATEWAY, { limit: 200 });
  return recent.filter((t) => Math.min(...t.spans.map((s) => s.startTime)) >= sinceMs * 1000);
}

/** Span counts by the service (proxy) that reported them. */
function spansByService(t: JaegerTrace): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of t.spans) {
    const name = t.processes[s.processID]?.serviceName ?? '?';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** GET /productpage through the gateway, with `headers`. */
async function request(mesh: Mesh, headers: Record<string, string> = {}): Promise<void> {
  assert.equal((await get(mesh.gatewayUrl(), { headers })).status, 200);
}

/** Requests sent at once: a proxy's tracer reports its spans as soon as it holds 5 (min_flush_spans). */
const BURST = 5;

/** `BURST` requests at once, the i-th with `headers(i)`. */
async function burst(mesh: Mesh, headers: (i: number) => Record<string, string> = () => ({})): Promise<void> {
  await Promise.all(Array.from({ length: BURST }, (_, i) => request(mesh, headers(i))));
}

/** Whether a trace's span counts (by proxy) hold every proxy on the gateway -> productpage -> reviews -> ratings path. */
function throughEveryProxy(counts: Record<string, number>): boolean {
  // Each sidecar on the path reports its server side; productpage and reviews their client side too.
  return !!counts[GATEWAY] && (counts['productpage.default'] ?? 0) >= 2 && (counts['reviews.default'] ?? 0) >= 2 && (counts['ratings.default'] ?? 0) >= 1;
}

/**
 * A request whose trace holds spans of every proxy on its path through ratings (reviews v1 calls
 * no ratings), sending bursts of requests until one's is complete in Jaeger: a proxy reports a
 * request's spans in whichever batch they fall into, so a trace fills up over a few reports.
 * Fails after 60 s, naming the spans of the most complete trace seen.
 */
async function fullTrace(t: TestContext, mesh: Mesh, what: string): Promise<{ counts: Record<string, number>; trace: JaegerTrace }> {
  let best: Record<string, number> = {};
  let found: JaegerTrace | undefined;
  const since = Date.now();
  const ms = await waitFor(async () => {
    await burst(mesh);
    for (const trace of await tracesSince(since)) {
      const counts = spansByService(trace);
      if (throughEveryProxy(counts)) {
        found = trace;
        return true;
      }
      if (Object.keys(counts).length > Object.keys(best).length) best = counts;
    }
    return false;
  }, 60_000, what, 250).catch(async (e: unknown) => {
    t.diagnostic(`jaeger services: ${JSON.stringify(await jaeger!.services())}; most complete trace: ${JSON.stringify(best)}`);
    throw e;
  });
  t.diagnostic(`${what} after ${Math.round(ms)} ms`);
  return { counts: spansByService(found!), trace: found! };
}

/**
 * The random_sampling percentages of the gateway's traced HTTP connection managers, as Envoy holds
 * them (proto3 JSON leaves a 0 out, so an empty Percent is 0).
 */
async function gatewaySampling(mesh: Mesh): Promise<number[]> {
  type Filter = { typed_config?: { tracing?: { random_sampling?: { value?: number } } } };
  type Entry = { active_state?: { listener?: { filter_chains?: { filters?: Filter[] }[] } } };
  const listeners = (await mesh.gateway.envoy.dynamic('listener')) as Entry[];
  const filters = listeners.flatMap((l) => (l.active_state?.listener?.filter_chains ?? []).flatMap((c) => c.filters ?? []));
  return filters.flatMap((f) => (f.typed_config?.tracing ? [f.typed_config.tracing.random_sampling?.value ?? 0] : []));
}

/** How many of the trace's spans came over OTLP: Envoy's OpenTelemetry tracer names its SDK in the resource, Zipkin spans carry none. */
function otlpSpans(trace: JaegerTrace): number {
  return trace.spans.filter((sp) => trace.processes[sp.processID]?.tags.some((tag) => tag.key === 'telemetry.sdk.name' && tag.value === 'envoy')).length;
}

describeMesh(
  'Tracing',
  (mesh) => {
    test('Zipkin: one request through gateway, productpage, reviews and ratings is one trace with spans of every proxy', async (t) => {
      await mesh().apply(`${collectorEntry(jaeger!)}\n---\n${tracing('zipkin', 100)}`);
      const { counts, trace } = await fullTrace(t, mesh(), 'a Zipkin trace through ratings');
      t.diagnostic(JSON.stringify(counts));
      assert.equal(otlpSpans(trace), 0, 'every span came by Zipkin');
    });

    test('at 0% sampling no trace arrives', async () => {
      await mesh().apply(tracing('zipkin', 0));
      await waitFor(async () => {
        const sampling = await gatewaySampling(mesh());
        return sampling.length > 0 && sampling.every((v) => v === 0);
      }, 10_000, 'the gateway to sample 0%', 100);
      const since = Date.now();
      for (let i = 0; i < 5; i++) await request(mesh());
      // Then a burst the client marks sampled (x-b3-sampled: 1, which Envoy's Zipkin tracer obeys
      // over its own decision): the gateway, whose one worker reports its spans in the order they
      // finish, reports these after any of the five. Once they are all in Jaeger, so is anything of
      // the five that was reported.
      // 128-bit ids with a first nibble that is not 0, which Jaeger would leave out of the hex it shows.
      const marked = Array.from({ length: BURST }, () => `f${randomBytes(16).toString('hex').slice(1)}`);
      await burst(mesh(), (i) => ({ 'x-b3-traceid': marked[i]!, 'x-b3-spanid': marked[i]!.slice(0, 16), 'x-b3-sampled': '1' }));
      await waitFor(async () => {
        const ids = new Set((await tracesSince(since)).map((tr) => tr.traceID));
        return marked.every((id) => ids.has(id));
      }, 30_000, 'the sampled burst in Jaeger', 250);
      assert.deepEqual((await tracesSince(since)).filter((tr) => !marked.includes(tr.traceID)), [], 'no trace of the five requests');
    });

    test('OpenTelemetry (OTLP/gRPC): the same trace through the other provider', async (t) => {
      await mesh().apply(tracing('otel', 100));
      const { counts, trace } = await fullTrace(t, mesh(), 'an OTLP trace through ratings');
      t.diagnostic(JSON.stringify(counts));
      assert.equal(otlpSpans(trace), trace.spans.length, 'every span came by OTLP');
    });
  },
  { mastArgs: ['--mesh-config', MESH_CONFIG] },
);
