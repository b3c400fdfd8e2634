// Distributed tracing through real Envoy into a real Jaeger (issue 9, item 3), as Istio's
// "Distributed Tracing" tasks set it up: MeshConfig extensionProviders name Jaeger's Zipkin and
// OTLP/gRPC receivers (a ServiceEntry puts Jaeger in the registry, as a Service would), and a
// Telemetry in the root namespace picks the provider and the sampling. One request through
// gateway -> productpage -> reviews -> ratings is one trace holding spans of every proxy on the
// path, found through Jaeger's own query API; at 0% sampling no trace arrives. The example app
// forwards x-request-id, B3 and traceparent (examples/app/echo.ts), as bookinfo's apps do.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { startJaeger, type Jaeger, type JaegerTrace } from '../harness/jaeger';
import type { Mesh } from '../harness/mesh';
import { get, sleep, waitFor } from '../harness/net';
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
const PATH = ['productpage.default', 'reviews.default', 'ratings.default'];

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

/** GET /productpage through the gateway. */
async function request(mesh: Mesh): Promise<void> {
  assert.equal((await get(mesh.gatewayUrl())).status, 200);
}

/**
 * A request whose trace reached ratings (reviews v1 calls no ratings), with spans of every proxy on
 * its path. Envoy's Zipkin tracer sends its spans every 5 s (and Jaeger batches them), so each
 * request is looked for a while.
 */
async function fullTrace(t: TestContext, mesh: Mesh, what: string): Promise<{ counts: Record<string, number>; trace: JaegerTrace }> {
  let counts: Record<string, number> = {};
  let found: JaegerTrace | undefined;
  const since = Date.now();
  const ms = await waitFor(async () => {
    await request(mesh);
    for (const trace of await tracesSince(since)) {
      counts = spansByService(trace);
      found = trace;
      if (counts['ratings.default']) return true;
    }
    return false;
  }, 60_000, what, 1000).catch(async (e: unknown) => {
    t.diagnostic(`jaeger services: ${JSON.stringify(await jaeger!.services())}; last trace: ${JSON.stringify(counts)}`);
    throw e;
  });
  t.diagnostic(`${what} after ${Math.round(ms)} ms`);
  return { counts, trace: found! };
}

/** How many of the trace's spans came over OTLP: Envoy's OpenTelemetry tracer names its SDK in the resource, Zipkin spans carry none. */
function otlpSpans(trace: JaegerTrace): number {
  return trace.spans.filter((sp) => trace.processes[sp.processID]?.tags.some((tag) => tag.key === 'telemetry.sdk.name' && tag.value === 'envoy')).length;
}

function assertEveryProxy(counts: Record<string, number>): void {
  assert.ok(counts[GATEWAY], `a span of the gateway: ${JSON.stringify(counts)}`);
  // Each sidecar on the path reports its server side; productpage and reviews their client side too.
  assert.ok((counts['productpage.default'] ?? 0) >= 2, `productpage's inbound and outbound spans: ${JSON.stringify(counts)}`);
  assert.ok((counts['reviews.default'] ?? 0) >= 2, `reviews' inbound and outbound spans: ${JSON.stringify(counts)}`);
  assert.ok((counts['ratings.default'] ?? 0) >= 1, `ratings' inbound span: ${JSON.stringify(counts)}`);
}

describeMesh(
  'Tracing',
  (mesh) => {
    test('Zipkin: one request through gateway, productpage, reviews and ratings is one trace with spans of every proxy', async (t) => {
      await mesh().apply(`${collectorEntry(jaeger!)}\n---\n${tracing('zipkin', 100)}`);
      const { counts, trace } = await fullTrace(t, mesh(), 'a Zipkin trace through ratings');
      t.diagnostic(JSON.stringify(counts));
      assertEveryProxy(counts);
      assert.ok(PATH.every((s) => counts[s]));
      assert.equal(otlpSpans(trace), 0, 'every span came by Zipkin');
    });

    test('at 0% sampling no trace arrives', async () => {
      await mesh().apply(tracing('zipkin', 0));
      // Past the push, then past Envoy's Zipkin flush (5 s) and Jaeger's batch for what was sent.
      await sleep(2000);
      const since = Date.now();
      for (let i = 0; i < 5; i++) await request(mesh());
      await sleep(8000);
      assert.deepEqual(await tracesSince(since), [], 'no trace of the five requests');
    });

    test('OpenTelemetry (OTLP/gRPC): the same trace through the other provider', async (t) => {
      await mesh().apply(tracing('otel', 100));
      const { counts, trace } = await fullTrace(t, mesh(), 'an OTLP trace through ratings');
      t.diagnostic(JSON.stringify(counts));
      assertEveryProxy(counts);
      assert.equal(otlpSpans(trace), trace.spans.length, 'every span came by OTLP');
    });
  },
  { mastArgs: ['--mesh-config', MESH_CONFIG] },
);
