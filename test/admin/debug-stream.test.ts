// Debug answers that grow with the proxies or the config are streamed (src/admin/json-stream.ts):
// the same JSON as before, byte for byte, but made one element at a time as the socket takes it,
// so one read of /debug/syncz at thousands of proxies holds a chunk, not the whole answer.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import fc from 'fast-check';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createAdminServer, type AdminSources } from '../../src/admin/server';
import { jsonStream, streamed } from '../../src/admin/json-stream';
import { createTelemetry } from '../../src/telemetry/metrics';
import type { ConnectionStatus } from '../../src/xds/connection';
import { MAX_REASON_LABELS, XdsMetrics } from '../../src/xds/metrics';

const status = (i: number): ConnectionStatus => ({
  id: String(i),
  proxyId: `sidecar~10.0.${i >> 8}.${i & 255}~p${i}.default~default.svc.cluster.local`,
  transport: 'sotw',
  connectedAt: '2026-12-01T00:00:00.000Z',
  generation: 3,
  types: [{ type: 'eds', subscribed: Array.from({ length: 20 }, (_, j) => `outbound|9080||s${j}.default.svc.cluster.local`), wildcard: false, sentCount: 20, sentVersion: '3-abc' }],
});

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('streamed debug answers', () => {
  const telemetry = createTelemetry();
  const PROXIES = 20_000;
  let made = 0;
  let app: FastifyInstance;
  let base: string;
  const sources: AdminSources = {
    ready: () => true,
    broken: () => undefined,
    *syncz(page = { offset: 0, limit: Infinity }) {
      for (let i = page.offset; i < Math.min(PROXIES, page.offset + page.limit); i++) {
        made++;
        yield status(i);
      }
    },
    configFor: (id) => (id === 'p1' ? { proxy: { id: 'p1' } as never, config: { clusters: [{ name: 'a' }, { name: 'b', x: undefined }], endpoints: [], listeners: [{ name: 'l' }], routes: [] } as never } : undefined),
    diagnostics: () => [{ code: 'MAST1001', severity: 'error', message: 'bad' } as never],
    translationErrors: () => [],
    generation: () => 3,
    exporter: telemetry.exporter,
  };

  before(async () => {
    app = createAdminServer(sources, pino({ level: 'silent' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  after(async () => {
    await app.close();
    await telemetry.shutdown();
  });

  it('writes what JSON.stringify writes, for any JSON-like fields', async () => {
    const value = fc.jsonValue();
    await fc.assert(fc.asyncProperty(fc.dictionary(fc.string(), value), fc.array(value), async (fields, items) => {
      const expected = JSON.stringify({ ...fields, items });
      assert.equal(await text(jsonStream({ ...fields, items: streamed(items) })), expected);
    }), { numRuns: 200 });
  });

  it('/debug/syncz, /debug/config_dump and /debug/diagnostics answer the JSON they answered before', async () => {
    made = 0;
    const syncz = await app.inject({ url: '/debug/syncz?offset=5&limit=3' });
    assert.equal(syncz.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(syncz.body, JSON.stringify({ generation: 3, offset: 5, proxies: [status(5), status(6), status(7)] }));
    assert.equal(made, 3, 'a page makes only its own statuses');
    assert.equal((await app.inject({ url: '/debug/syncz?limit=0' })).statusCode, 400);
    const dump = await app.inject({ url: '/debug/config_dump?proxy=p1' });
    assert.equal(dump.body, JSON.stringify({ generation: 3, proxy: { id: 'p1' }, ...sources.configFor('p1')!.config }));
    const missing = await app.inject({ url: '/debug/config_dump?proxy=nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().connected.length, PROXIES);
    const diagnostics = await app.inject({ url: '/debug/diagnostics' });
    assert.equal(diagnostics.body, JSON.stringify({ generation: 3, diagnostics: sources.diagnostics(), translationErrors: [] }));
  });

  it('/debug/syncz makes statuses only as fast as the reader takes them', async () => {
    made = 0;
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${base}/debug/syncz`, resolve));
    res.pause();
    await new Promise((r) => setTimeout(r, 500));
    // About 1.2 KB each: 20,000 are 24 MB; a paused reader stops the making at what the socket
    // buffers and the stream's high-water mark hold.
    assert.ok(made < PROXIES / 4, `made ${made} of ${PROXIES} statuses for a reader that read nothing`);
    const body = JSON.parse(await text(res)) as { generation: number; proxies: ConnectionStatus[] };
    assert.equal(body.proxies.length, PROXIES);
    assert.deepEqual(body.proxies[PROXIES - 1], status(PROXIES - 1));
    assert.equal(made, PROXIES);
  });

  it('/metrics keeps at most MAX_REASON_LABELS NACK reasons as labels; the rest count as other', async () => {
    const metrics = new XdsMetrics(telemetry.meter, () => ({ sotw: 0, delta: 0 }));
    for (let i = 0; i < MAX_REASON_LABELS + 50; i++) metrics.rejected('cds', `cluster c${i}: bad`);
    metrics.rejected('cds', 'cluster c0: bad');
    const { resourceMetrics } = await telemetry.exporter.collect();
    const lines = new PrometheusSerializer('', false).serialize(resourceMetrics).split('\n').filter((l) => l.startsWith('pilot_total_xds_rejects'));
    assert.equal(lines.length, MAX_REASON_LABELS + 1);
    assert.ok(lines.some((l) => l.includes('reason="other"') && l.endsWith(' 50')), lines.slice(-3).join('\n'));
    assert.ok(lines.some((l) => l.includes('reason="cluster c0: bad"') && l.endsWith(' 2')));
  });
});
