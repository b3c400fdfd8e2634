// Mast's own traces (issue 9, item 6): with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real Jaeger
// (`make tracing`), one config change (Istio's virtual-service-reviews-v3.yaml) produces one trace
// whose spans name the changed object, the rebuild and every proxy pushed, each push ending with
// the proxy's ACK; found through Jaeger's own query API, as an operator would find it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startJaeger, type Jaeger, type JaegerSpan, type JaegerTrace } from '../harness/jaeger';
import { task } from '../harness/mesh';
import { waitFor } from '../harness/net';
import { converge, describeMesh, seesOnly } from '../harness/scenario';

let jaeger: Jaeger | undefined;

// Before any mesh of the file starts: Mast inherits the test's environment (harness/mast.ts).
before(async () => {
  jaeger = await startJaeger();
  process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = `http://${jaeger.host}:${jaeger.otlpHttpPort}`;
});
after(() => {
  delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
});

const tag = (s: JaegerSpan, key: string): unknown => s.tags.find((t) => t.key === key)?.value;

/** Mast's latest traces in a line each (generation, sources, each proxy pushed and what it was sent), for a failure's message. */
async function latestTraces(j: Jaeger): Promise<string> {
  const traces = await j.traces('mast', { limit: 100 });
  const start = (tr: JaegerTrace): number => Math.min(...tr.spans.map((s) => s.startTime));
  return traces.sort((a, b) => start(b) - start(a)).slice(0, 12).map((tr) => {
    const root = tr.spans.find((s) => s.operationName === 'config change');
    const pushes = tr.spans.filter((s) => s.operationName.startsWith('push ')).map((p) => {
      const sends = tr.spans.filter((s) => s.references.some((r) => r.spanID === p.spanID)).map((s) => s.operationName.slice('send '.length));
      return `${String(tag(p, 'mast.proxy')).split('~')[2]}(${sends.join(',')})`;
    });
    return `\n  generation ${String(root && tag(root, 'mast.generation'))} ${JSON.stringify(root && tag(root, 'mast.sources'))}: ${pushes.join(' ') || 'no push'}`;
  }).join('');
}

describeMesh('Mast traces its pushes', (mesh) => {
  test('one VirtualService change: a trace with its source span, the rebuild and a push per proxy, each until its ACK', async (t) => {
    assert.ok(jaeger);
    await mesh().apply(task('destination-rule-all.yaml'));
    await converge(t, 'subsets known', () => seesOnly(mesh(), ['v1', 'v2', 'v3'], 30));
    const productpage = mesh().workload('productpage-v1-0').nodeId;
    const sidecars = mesh().workloads.filter((w) => w.role === 'sidecar').map((w) => w.nodeId).sort();
    await mesh().apply(task('virtual-service-reviews-v3.yaml'));
    await converge(t, 'all to v3', () => seesOnly(mesh(), ['v3']));

    // Traces are exported in batches (every 500 ms) and the push spans end with the ACKs.
    let found: JaegerTrace | undefined;
    await waitFor(async () => {
      const traces = await jaeger!.traces('mast', { operation: 'source VirtualService/default/reviews' });
      // A push span is exported once its proxy has ACKed: wait for all of them.
      found = traces.find((tr) => sidecars.every((id) => tr.spans.some((s) => s.operationName === `push ${id}` && tag(s, 'mast.proxy') === id)));
      if (!found) throw new Error(`no such trace yet; the latest traces: ${await latestTraces(jaeger!)}`);
      return true;
    }, 15_000, `a trace of the reviews change that pushed every sidecar (${productpage} among them)`, 250);
    const spans = found!.spans;
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    const parent = (s: JaegerSpan | undefined) => byId.get(s?.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '')?.operationName;
    const one = (name: string) => spans.find((s) => s.operationName === name);

    const root = one('config change');
    assert.ok(root, `no root span in ${spans.map((s) => s.operationName).join(', ')}`);
    assert.equal(parent(one('source VirtualService/default/reviews')), 'config change');
    assert.equal(parent(one('rebuild')), 'config change');
    // What the rebuild translated and encoded hangs under it: the route tables the VirtualService
    // shapes among them. Requests between the change and its push are answered from the last
    // push's snapshot (server.ts), so no request builds the new views before the push does.
    const built = spans.filter((s) => /^(translate|encode) /.test(s.operationName));
    for (const s of built) assert.equal(parent(s), 'rebuild', `${s.operationName} under the rebuild`);
    assert.ok(built.some((s) => s.operationName === 'translate outbound-routes'), `the rebuild translated the route tables (${built.map((s) => s.operationName).join(', ')})`);

    // Every sidecar routes to reviews, so each was pushed the new route table and ACKed it. What a
    // proxy's request gets at the generation the push brought is part of the push (server.ts answers
    // from the last push's snapshot): the endpoints of clusters added just before (the
    // DestinationRule's subsets, here to the gateway too) and the routes held for them. So a proxy
    // may have two push spans, the second after the first ended with its ACKs.
    const pushes = spans.filter((s) => s.operationName.startsWith('push ') && parent(s) === 'config change');
    assert.deepEqual([...new Set(pushes.map((s) => tag(s, 'mast.proxy')))].filter((id) => sidecars.includes(id as string)).sort(), sidecars);
    for (const push of pushes) {
      const sends = spans.filter((s) => s.operationName.startsWith('send ') && parent(s) === push.operationName);
      if (sidecars.includes(tag(push, 'mast.proxy') as string)) assert.ok(sends.some((s) => s.operationName === 'send rds'), `${push.operationName} sent route tables`);
      for (const s of sends) assert.ok(tag(s, 'mast.acked') === true || tag(s, 'mast.superseded') === true, `${push.operationName}: ${s.operationName} was answered with an ACK (tags ${JSON.stringify(s.tags)})`);
    }
    t.diagnostic(`trace ${found!.traceID}: ${spans.length} spans, ${built.length} translate/encode, ${pushes.length} proxies pushed, convergence up to ${Math.max(...pushes.map((p) => p.duration)) / 1000} ms`);
  });
});
