// manifests/grafana/mast-dashboard.json queries only series Mast's /metrics really has: each
// metric name in a panel's PromQL is looked up in what the Prometheus exporter serves after one
// push, one NACK and one workload certificate, made by the real XdsMetrics, MeshCa and WorkloadCerts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeshCa, newCaState, selfSignedMaterial, WorkloadCerts } from '../../src/ca';
import { silentLogger } from '../../src/model/log';
import { createTelemetry } from '../../src/telemetry/metrics';
import { XdsMetrics } from '../../src/xds/metrics';

const DASHBOARD = path.join(__dirname, '..', '..', 'manifests', 'grafana', 'mast-dashboard.json');

interface Panel {
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { refId: string; expr: string }[];
}

/** The metric families Mast serves, by name, as Prometheus scrapes them. */
async function servedNames(): Promise<Set<string>> {
  const telemetry = createTelemetry();
  const metrics = new XdsMetrics(telemetry.meter, () => ({ sotw: 1, delta: 0 }));
  metrics.pushed('cds', 0.002, 1200, performance.now() - 30);
  metrics.rejected('lds', 'cannot bind');
  const ca = new MeshCa({ trustDomain: 'cluster.local', log: silentLogger, meter: telemetry.meter });
  ca.use(await selfSignedMaterial(await newCaState(), 'test'));
  const certs = new WorkloadCerts(ca, { log: silentLogger, meter: telemetry.meter });
  certs.acquire({ namespace: 'default', serviceAccount: 'bookinfo-ratings' });
  await sleep(200);
  const { resourceMetrics } = await telemetry.exporter.collect();
  certs.close();
  ca.close();
  await telemetry.shutdown();
  const text = new PrometheusSerializer('', false).serialize(resourceMetrics);
  return new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.search(/[{ ]/))));
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string }[] } };

  it('is a dashboard Grafana imports: a uid, unique panel ids, every panel placed and querying the chosen data source', () => {
    assert.equal(dashboard.uid, 'mast-control-plane');
    assert.deepEqual(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length);
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource'));
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.w > 0 && p.gridPos.h > 0, p.title);
      assert.ok(p.targets.length > 0, `${p.title} queries something`);
    }
  });

  it('queries only metrics Mast serves', async () => {
    const served = await servedNames();
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(?:pilot|citadel)_[a-z_]+/g) ?? [])));
    assert.ok(queried.size >= 8, `the dashboard covers Mast's metrics: ${[...queried].join(', ')}`);
    const missing = [...queried].filter((n) => !served.has(n));
    assert.deepEqual(missing, [], `served: ${[...served].filter((n) => /^(pilot|citadel)_/.test(n)).join(', ')}`);
    for (const name of ['pilot_xds', 'pilot_xds_pushes_total', 'pilot_xds_push_time_bucket', 'pilot_proxy_convergence_time_bucket', 'pilot_xds_config_size_bytes_bucket', 'citadel_server_success_cert_issuance_count_total']) {
      assert.ok(queried.has(name), `a panel shows ${name}`);
    }
  });
});
