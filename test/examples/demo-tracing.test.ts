// The demo's tracing config (examples/tracing/, which `make run` adds to examples/bookinfo/ when
// Jaeger is built) read as Mast reads a config dir: no finding, and every proxy on the demo's
// request path (the gateway, each sidecar) reports its HTTP spans through OpenTelemetry to the
// outbound cluster of Jaeger's collector, every request sampled. The spans reaching a real Jaeger
// are e2e/scenarios/tracing.test.ts's; this holds the demo's own files to it, without Envoys.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigStore, type Snapshot } from '../../src/model';
import { loadConfigDir } from '../../src/sources/files';
import { translate } from '../../src/translate';
import type { ProxyClass } from '../../src/translate/types';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const COLLECTOR_CLUSTER = 'outbound|4317||jaeger-collector.observability.local';

function proxyOf(snapshot: Snapshot, pod: string, role: ProxyClass['role']): ProxyClass {
  const p = snapshot.pods().find((x) => x.meta.name === pod);
  assert.ok(p?.ip, `the demo has pod ${pod}, with an IP`);
  return { role, namespace: p.meta.namespace, labels: p.meta.labels, ips: [p.ip], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };
}

/** Every HTTP connection manager's `tracing` in the proxy's listeners. */
function tracings(listeners: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['@type'] === 'string' && o['@type'].endsWith('HttpConnectionManager')) found.push((o['tracing'] ?? {}) as Record<string, unknown>);
      Object.values(o).forEach(walk);
    }
  };
  walk(listeners);
  return found;
}

test('examples/tracing/ with examples/bookinfo/: no finding, and each proxy on the path traces every request to Jaeger over OTLP/gRPC', async () => {
  const store = new ConfigStore();
  await loadConfigDir(path.join(EXAMPLES, 'bookinfo'), store);
  await loadConfigDir(path.join(EXAMPLES, 'tracing'), store);
  assert.deepEqual(store.diagnostics().map((d) => `${d.code} ${d.message}`), []);
  const snapshot = store.snapshot();
  for (const [pod, role] of [['istio-ingressgateway-0', 'router'], ['productpage-v1-0', 'sidecar'], ['reviews-v2-0', 'sidecar'], ['ratings-v1-0', 'sidecar']] as const) {
    const resources = translate(snapshot, proxyOf(snapshot, pod, role));
    const all = tracings(resources.listeners);
    assert.ok(all.length > 0, `${pod} has HTTP connection managers`);
    for (const t of all) {
      const json = JSON.stringify(t);
      assert.ok(json.includes('envoy.tracers.opentelemetry'), `${pod}: an OpenTelemetry tracer: ${json}`);
      assert.ok(json.includes(JSON.stringify(COLLECTOR_CLUSTER)), `${pod}: spans to ${COLLECTOR_CLUSTER}: ${json}`);
      assert.deepEqual(t['random_sampling'], { value: 100 }, `${pod}: every request sampled`);
    }
    assert.ok(resources.clusters.some((c) => c.name === COLLECTOR_CLUSTER), `${pod} is sent the collector's cluster`);
  }
});
