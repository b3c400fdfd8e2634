// Traces of the push pipeline (src/telemetry/push-trace.ts): their shape with the SDK's in-memory
// exporter, through the real ViewCache and SotW connection; nothing made when Mast exports none;
// and where OTLP goes by the OpenTelemetry environment's rules. The export to a real Jaeger is
// e2e/scenarios/mast-traces.test.ts.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { TYPE_URLS, type ProxyClass, type ResourceSet } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { XdsMetrics } from '../../src/xds/metrics';
import { SotwConnection } from '../../src/xds/sotw';
import { createTelemetry } from '../../src/telemetry/metrics';
import { ChangeTrace } from '../../src/telemetry/push-trace';
import { inSpan, otlpTracesUrl, pipelineTracer, startTracing, tracedContext } from '../../src/telemetry/tracing';
import { resourceTypes } from '../../src/envoy-api/protos';
import { cluster, endpoints, fakeSnapshot, listener, quiet, route } from '../xds/fake-world';
import { ResponseBytes } from '../../src/xds/wire';

const PROXY: ProxyClass = { role: 'router', namespace: 'ns', labels: {}, ips: ['127.0.0.9'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };

class Stream extends EventEmitter {
  written: Buffer[] = [];
  write(chunk: Buffer | ResponseBytes): boolean {
    this.written.push(chunk instanceof ResponseBytes ? chunk.concat() : chunk);
    return true;
  }
}

function nonceOf(buf: Buffer): { nonce: string; version_info: string; type_url: string } {
  return resourceTypes().lookupType('envoy.service.discovery.v3.DiscoveryResponse').decode(buf) as unknown as { nonce: string; version_info: string; type_url: string };
}

/** One Mast-shaped world: a view cache with one part, and one SotW stream subscribed to CDS. */
function world() {
  const telemetry = createTelemetry();
  let generation = 1;
  let set: ResourceSet = { clusters: [cluster('c', { connect_timeout: '1s' })], endpoints: [], listeners: [], routes: [] };
  const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => set }], quiet);
  const stream = new Stream();
  const conn = new SotwConnection('1', { ...PROXY, id: 'router~127.0.0.9~gw.ns~ns.svc.cluster.local', workloadName: 'gw.ns', serviceAccount: 'default' }, stream, new XdsMetrics(telemetry.meter, () => ({ sotw: 1, delta: 0 })), quiet);
  views.setSnapshot(fakeSnapshot(generation));
  conn.onRequest({ type_url: TYPE_URLS.cluster, resource_names: [], version_info: '', response_nonce: '' } as never, views.viewFor(PROXY));
  const changes = new ChangeTrace();
  return {
    stream,
    conn,
    /** What mast.ts and XdsServer.push do for one change of `key`. */
    change(key: string): void {
      generation++;
      set = { ...set, clusters: [cluster('c', { connect_timeout: `${generation}s` })] };
      changes.noted([key]);
      changes.push(generation, () => {
        const view = inSpan(() => 'rebuild', () => ({}), () => {
          views.setSnapshot(fakeSnapshot(generation));
          return views.viewFor(PROXY);
        });
        conn.push({ view, trace: tracedContext() });
      });
    },
    ack(): void {
      const r = nonceOf(stream.written.at(-1)!);
      conn.onRequest({ type_url: TYPE_URLS.cluster, resource_names: [], version_info: r.version_info, response_nonce: r.nonce } as never, views.viewFor(PROXY));
    },
  };
}

describe('push pipeline traces', () => {
  it('make nothing when no exporter is configured', () => {
    assert.equal(pipelineTracer(), undefined);
    const w = world();
    w.change('VirtualService/default/reviews');
    assert.equal(w.stream.written.length, 2, 'the push went out untraced');
    assert.equal(tracedContext(), undefined);
  });

  describe('with an exporter', () => {
    const exporter = new InMemorySpanExporter();
    let tracing: ReturnType<typeof startTracing>;
    before(() => {
      tracing = startTracing({ exporter });
    });
    after(() => tracing?.shutdown());

    it('one change: the source object, the rebuild, translate and encode, and the proxy pushed until it ACKs', () => {
      const w = world();
      w.change('VirtualService/default/reviews');
      const open = exporter.getFinishedSpans().map((s) => s.name);
      assert.ok(!open.includes('push router~127.0.0.9~gw.ns~ns.svc.cluster.local'), 'the proxy span waits for the ACK');
      w.ack();
      const spans = exporter.getFinishedSpans();
      const byName = new Map(spans.map((s) => [s.name, s]));
      const root = byName.get('config change');
      assert.ok(root, `spans: ${spans.map((s) => s.name).join(', ')}`);
      assert.deepEqual(root.attributes['mast.sources'], ['VirtualService/default/reviews']);
      const parentOf = (s: ReadableSpan | undefined) => spans.find((p) => p.spanContext().spanId === s?.parentSpanContext?.spanId)?.name;
      assert.equal(parentOf(byName.get('source VirtualService/default/reviews')), 'config change');
      assert.equal(parentOf(byName.get('rebuild')), 'config change');
      assert.equal(parentOf(byName.get('translate all')), 'rebuild');
      assert.equal(parentOf(byName.get('encode all')), 'rebuild');
      const push = byName.get('push router~127.0.0.9~gw.ns~ns.svc.cluster.local');
      assert.equal(parentOf(push), 'config change');
      const send = byName.get('send cds');
      assert.equal(parentOf(send), push?.name);
      assert.equal(send?.attributes['mast.acked'], true);
      assert.ok((send?.attributes['mast.bytes'] as number) > 0);
      assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, 'one trace');
    });

    it("a request that completes a push (a new cluster's endpoints, the routes held for them) is sent under the push's trace", () => {
      exporter.reset();
      let set: ResourceSet = { clusters: [cluster('c')], endpoints: [endpoints('c', 1)], listeners: [listener('l', 9000, 'r')], routes: [route('r', 'c')] };
      const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => set }], quiet);
      const stream = new Stream();
      const conn = new SotwConnection('2', { ...PROXY, id: 'router~127.0.0.9~gw.ns~ns.svc.cluster.local', workloadName: 'gw.ns', serviceAccount: 'default' }, stream, new XdsMetrics(createTelemetry().meter, () => ({ sotw: 1, delta: 0 })), quiet);
      views.setSnapshot(fakeSnapshot(1));
      const request = (type_url: string, resource_names: string[]): void => {
        const last = [...stream.written].reverse().map(nonceOf).find((r) => r.type_url === type_url);
        conn.onRequest({ type_url, resource_names, version_info: last?.version_info ?? '', response_nonce: last?.nonce ?? '' } as never, views.viewFor(PROXY));
      };
      // Each type subscribed, then each response ACKed (the same request with its nonce).
      const subscriptions: [string, string[]][] = [[TYPE_URLS.cluster, []], [TYPE_URLS.endpoint, ['c']], [TYPE_URLS.listener, []], [TYPE_URLS.route, ['r']]];
      for (const [type, names] of [...subscriptions, ...subscriptions]) request(type, names);
      const before = stream.written.length;

      // A route to a new cluster: the push sends the cluster and holds the routes for its endpoints.
      set = { ...set, clusters: [cluster('c'), cluster('d')], endpoints: [endpoints('c', 1), endpoints('d', 2)], routes: [route('r', 'd')] };
      new ChangeTrace().push(2, () => {
        views.setSnapshot(fakeSnapshot(2));
        conn.push({ view: views.viewFor(PROXY), trace: tracedContext() });
      });
      assert.deepEqual(stream.written.slice(before).map((b) => nonceOf(b).type_url), [TYPE_URLS.cluster], 'routes held for the new endpoints');
      request(TYPE_URLS.cluster, []);
      request(TYPE_URLS.endpoint, ['c', 'd']);
      assert.deepEqual(stream.written.slice(before).map((b) => nonceOf(b).type_url), [TYPE_URLS.cluster, TYPE_URLS.endpoint, TYPE_URLS.route]);
      request(TYPE_URLS.endpoint, ['c', 'd']);
      request(TYPE_URLS.route, ['r']);

      const spans = exporter.getFinishedSpans();
      const root = spans.find((s) => s.name === 'config change');
      assert.ok(root, `spans: ${spans.map((s) => s.name).join(', ')}`);
      const traced = spans.filter((s) => s.name.startsWith('send ') && s.spanContext().traceId === root.spanContext().traceId).map((s) => s.name).sort();
      assert.deepEqual(traced, ['send cds', 'send eds', 'send rds'], 'the endpoints and routes the request completed are in the change\'s trace');
      for (const s of spans.filter((x) => x.name.startsWith('send '))) assert.equal(s.attributes['mast.acked'], true, `${s.name} ended with its ACK`);
    });
  });
});

describe('OTLP endpoint', () => {
  it('follows the OpenTelemetry environment: base URL plus /v1/traces, the traces URL as it is, the flag first', () => {
    assert.equal(otlpTracesUrl({ env: {} }), undefined);
    assert.equal(otlpTracesUrl({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318/' } }), 'http://j:4318/v1/traces');
    assert.equal(otlpTracesUrl({ env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/x', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://k:4318' } }), 'http://j:4318/x');
    assert.equal(otlpTracesUrl({ endpoint: 'http://flag:4318', env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/x' } }), 'http://flag:4318/v1/traces');
    assert.equal(otlpTracesUrl({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318', OTEL_SDK_DISABLED: 'true' } }), undefined);
    assert.throws(() => otlpTracesUrl({ endpoint: 'j:4317' }), /not http\(s\)|not a URL/);
  });
});
