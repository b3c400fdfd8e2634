// The admin server's guard on /debug/*: asked for every debug route, by the route it matched (so
// no spelling of the URL gets past it), with the request's authorization header; /healthz,
// /readyz and /metrics are never asked about. The Kubernetes guard itself (TokenReview and
// SubjectAccessReview) is proven against a real API server in e2e/k8s/xds-authn.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createAdminServer } from '../../src/admin/server';
import { createTelemetry } from '../../src/telemetry/metrics';

test('/debug/* is served only when the guard allows it; health and metrics never ask', async () => {
  const telemetry = createTelemetry();
  const asked: { authorization: string | undefined; path: string }[] = [];
  const app = createAdminServer({
    ready: () => true,
    broken: () => undefined,
    syncz: () => [],
    configFor: () => undefined,
    diagnostics: () => [],
    translationErrors: () => [],
    generation: () => 7,
    exporter: telemetry.exporter,
    async debugAccess(authorization, path) {
      asked.push({ authorization, path });
      if (!authorization) return { status: 401, reason: 'no token' };
      return authorization === 'Bearer good' ? undefined : { status: 403, reason: 'not allowed' };
    },
  }, pino({ level: 'silent' }));
  try {
    for (const open of ['/healthz', '/readyz', '/metrics']) assert.equal((await app.inject({ url: open })).statusCode, 200, open);
    assert.equal(asked.length, 0, 'open endpoints never consult the guard');

    const none = await app.inject({ url: '/debug/syncz' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(none.json(), { error: 'no token' });
    assert.equal((await app.inject({ url: '/debug/config_dump?proxy=x', headers: { authorization: 'Bearer bad' } })).statusCode, 403);
    const good = await app.inject({ url: '/debug/syncz', headers: { authorization: 'Bearer good' } });
    assert.equal(good.statusCode, 200);
    assert.equal(good.json().generation, 7);

    // Other spellings of a debug path reach the same route, and so the same guard.
    for (const url of ['/debug/diagnostics?x=1', '/debug/%73yncz', '/debug/syncz/']) {
      const r = await app.inject({ url });
      assert.ok(r.statusCode === 401 || r.statusCode === 404, `${url}: ${r.statusCode}`);
    }
    assert.deepEqual([...new Set(asked.map((a) => a.path))].sort(), ['/debug/config_dump', '/debug/diagnostics', '/debug/syncz'], 'asked by route, never by raw URL');
  } finally {
    await app.close();
    await telemetry.shutdown();
  }
});
