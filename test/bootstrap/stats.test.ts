// The bootstrap's Prometheus stats (src/bootstrap/stats.ts): its tag regexes applied by a real
// Envoy to stats of clusters and connection managers named as Mast names them, read back from
// the stats listener as Prometheus text and parsed by a Prometheus parser.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { PROMETHEUS_STATS_PORT, statsConfig } from '../../src/bootstrap/stats';
import { inboundStatPrefix } from '../../src/translate/names';
import { Envoy } from '../../e2e/harness/envoy';
import { freePort, get, waitFor } from '../../e2e/harness/net';
import { cleanup, tempDir } from '../../e2e/harness/processes';
import { sample, samples, scrape, statsUrl, type PromMetrics } from '../../e2e/harness/prometheus';
import { istioModuleDir } from '../conformance/corpus';

type Json = Record<string, any>;
const NODE = 'sidecar~127.0.0.1~reviews-v2-0.default~default.svc.cluster.local';
const OUTBOUND = 'outbound|9080|v2|reviews.default.svc.cluster.local';
const INBOUND = 'inbound|9080||';
/** A gateway's SNI-DNAT cluster (AUTO_PASSTHROUGH), Istio's other outbound name. */
const SNI_DNAT = 'outbound_.9080_.v1_.ratings.default.svc.cluster.local';

function bootstrap(o: Json = {}): Json {
  const b = buildBootstrap({ nodeId: NODE, xdsAddress: '127.0.0.1:15010', insecureXds: true, labels: { app: 'reviews', version: 'v2' }, ...o });
  if ('error' in b) assert.fail(String(b.error));
  return b;
}

test('the stats listener: 0.0.0.0:15090 as Istio, the local address without capture, routing /stats/prometheus only, to the admin', () => {
  const listenerOf = (b: Json): Json => b['static_resources'].listeners[0];
  assert.deepEqual(listenerOf(bootstrap()).address.socket_address, { address: '0.0.0.0', port_value: PROMETHEUS_STATS_PORT });
  assert.deepEqual(listenerOf(bootstrap({ interceptionMode: 'NONE', localAddress: '127.0.2.7' })).address.socket_address, { address: '127.0.2.7', port_value: 15090 });
  assert.deepEqual(listenerOf(bootstrap({ statsAddress: '10.0.0.1', statsPort: 15091 })).address.socket_address, { address: '10.0.0.1', port_value: 15091 });
  const routes = listenerOf(bootstrap()).filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
  assert.deepEqual(routes, [{ match: { prefix: '/stats/prometheus' }, route: { cluster: 'prometheus_stats' } }]);
  const cluster = bootstrap({ adminAddress: '127.0.2.7', adminPort: 15005 })['static_resources'].clusters.find((c: Json) => c.name === 'prometheus_stats');
  assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '127.0.2.7', port_value: 15005 });
});

test("stats_config: Mast's tags instead of Envoy's defaults, the proxy's identity as fixed reporter_* tags, none for what it lacks", () => {
  const config = bootstrap({ workloadName: 'reviews-v2' })['stats_config'];
  assert.equal(config.use_all_default_tags, false);
  const names = config.stats_tags.map((t: Json) => t.tag_name);
  assert.equal(new Set(names).size, names.length, 'Envoy refuses a tag name given twice');
  const fixed = Object.fromEntries(config.stats_tags.filter((t: Json) => 'fixed_value' in t).map((t: Json) => [t.tag_name, t.fixed_value]));
  assert.deepEqual(fixed, { reporter_workload: 'reviews-v2', reporter_workload_namespace: 'default', reporter_app: 'reviews', reporter_version: 'v2' });
  const bare = statsConfig({ namespace: 'default' }).stats_tags as Json[];
  assert.deepEqual(bare.filter((t) => 'fixed_value' in t).map((t) => t.tag_name), ['reporter_workload_namespace']);
});

test("the response code tags are Istio's own regexes (its bootstrap template at the pinned revision)", () => {
  const template = readFileSync(path.join(istioModuleDir(), 'tools/packaging/common/envoy_bootstrap.json'), 'utf8');
  const tags = bootstrap()['stats_config'].stats_tags as Json[];
  for (const name of ['response_code', 'response_code_class']) {
    const ours = tags.find((t) => t.tag_name === name)?.regex as string;
    // The template is Go-templated JSON: the regex appears JSON-escaped next to its tag name.
    const escaped = JSON.stringify(ours);
    assert.ok(new RegExp(`"regex":\\s*${escaped.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')},\\s*"tag_name":\\s*"${name}"|"tag_name":\\s*"${name}",\\s*"regex":\\s*${escaped.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`).test(template), `${name}: ${ours} is not Istio's`);
  }
});

describe('a real Envoy applies the tags to the names Mast gives clusters and connection managers', () => {
  let envoy: Envoy | undefined;
  let app: Server | undefined;
  let families: PromMetrics = {};
  let stats = '';
  const ports: Record<string, number> = {};

  before(async () => {
    app = createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 503 : 200;
      res.end('ok');
    });
    const appPort = await new Promise<number>((resolve) => app?.listen(0, '127.0.0.1', () => resolve((app?.address() as { port: number }).port)));
    for (const name of ['admin', 'stats', 'outbound', 'mtls', 'plain']) ports[name] = await freePort();
    const cluster = (name: string): Json => ({ name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: appPort } } } }] }] } });
    const listener = (port: number, statPrefix: string, to: string): Json => ({
      name: `l${port}`,
      address: { socket_address: { address: '127.0.0.1', port_value: port } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        stat_prefix: statPrefix,
        route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: to } }] }] },
        http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
      } }] }],
    });
    const base = bootstrap({ adminPort: ports['admin'], statsAddress: '127.0.0.1', statsPort: ports['stats'] });
    // No ADS: Envoy goes live on its static resources alone.
    const { dynamic_resources: _ads, ...rest } = base;
    const config = {
      ...rest,
      static_resources: {
        listeners: [
          ...base['static_resources'].listeners,
          listener(ports['outbound'] as number, 'outbound_0.0.0.0_9080', OUTBOUND),
          listener(ports['mtls'] as number, inboundStatPrefix(9080, true), INBOUND),
          listener(ports['plain'] as number, inboundStatPrefix(9080, false), INBOUND),
        ],
        clusters: [...base['static_resources'].clusters, cluster(OUTBOUND), cluster(INBOUND), cluster(SNI_DNAT)],
      },
    };
    envoy = Envoy.start({ name: 'stats', bootstrap: config, dir: tempDir('stats'), adminUrl: `http://127.0.0.1:${ports['admin']}` });
    await envoy.waitLive();
    const send = async (port: number, urlPath: string, n: number, status: number): Promise<void> => {
      for (let i = 0; i < n; i++) assert.equal((await get(`http://127.0.0.1:${port}${urlPath}`)).status, status);
    };
    await send(ports['outbound'] as number, '/', 3, 200);
    await send(ports['mtls'] as number, '/', 2, 200);
    await send(ports['mtls'] as number, '/fail', 1, 503);
    await send(ports['plain'] as number, '/', 1, 200);
    // Histograms reach the admin when Envoy merges its workers' stats (stats_flush_interval, 5 s).
    await waitFor(async () => {
      families = await scrape(statsUrl('127.0.0.1', ports['stats']));
      return samples(families, 'envoy_cluster_upstream_rq_time', { cluster_name: INBOUND }).some((s) => s.value === 4);
    }, 12000, 'the histograms to be flushed', 500);
    stats = (await get(`http://127.0.0.1:${ports['admin']}/stats`)).text;
  });
  after(async () => {
    await envoy?.stop();
    app?.close();
    await cleanup();
  });

  const identity = { reporter_workload: 'reviews-v2-0', reporter_workload_namespace: 'default', reporter_app: 'reviews', reporter_version: 'v2' };

  test('an outbound cluster: direction, destination service, its name and namespace, subset and port, and the reporter', () => {
    const labels = { cluster_name: OUTBOUND, direction: 'outbound', destination_service: 'reviews.default.svc.cluster.local', destination_service_name: 'reviews', destination_service_namespace: 'default', destination_subset: 'v2', destination_port: '9080', ...identity };
    assert.equal(sample(families, 'envoy_cluster_upstream_rq_total', labels).value, 3);
    assert.equal(sample(families, 'envoy_cluster_upstream_rq', { ...labels, response_code: '200' }).value, 3);
    assert.equal(sample(families, 'envoy_cluster_upstream_rq', { ...labels, response_code_class: '2xx' }).value, 3);
    assert.equal(sample(families, 'envoy_cluster_upstream_rq_time', labels).value, 3, 'the duration histogram counts each request');
    // A cluster without transport_socket_matches counts its connections under the match `default`.
    assert.equal(sample(families, 'envoy_cluster_total_match_count', { ...labels, transport_socket_match: 'default' }).value, 1);
  });

  test("a gateway's SNI-DNAT cluster: the same tags from Istio's other outbound name", () => {
    const labels = { cluster_name: SNI_DNAT, direction: 'outbound', destination_service: 'ratings.default.svc.cluster.local', destination_service_name: 'ratings', destination_service_namespace: 'default', destination_subset: 'v1', destination_port: '9080' };
    assert.equal(sample(families, 'envoy_cluster_upstream_cx_total', labels).value, 0);
  });

  test('an inbound cluster: direction and port, no destination service (its name has none)', () => {
    const s = sample(families, 'envoy_cluster_upstream_rq_total', { cluster_name: INBOUND, direction: 'inbound', destination_port: '9080', ...identity });
    assert.equal(s.value, 4);
    assert.equal(s.labels['destination_service'], undefined);
  });

  test('an inbound connection manager: mutual TLS chains count apart (connection_security_policy), by response code class', () => {
    const hcm = { http_conn_manager_prefix: 'inbound_0.0.0.0_9080', direction: 'inbound', ...identity };
    assert.equal(sample(families, 'envoy_http_downstream_rq', { ...hcm, connection_security_policy: 'mutual_tls', response_code_class: '2xx' }).value, 2);
    assert.equal(sample(families, 'envoy_http_downstream_rq', { ...hcm, connection_security_policy: 'mutual_tls', response_code_class: '5xx' }).value, 1);
    assert.equal(sample(families, 'envoy_http_downstream_rq', { ...hcm, connection_security_policy: undefined, response_code_class: '2xx' }).value, 1);
    assert.equal(sample(families, 'envoy_http_downstream_rq_time', { ...hcm, connection_security_policy: 'mutual_tls' }).value, 3);
  });

  test('no metric name keeps a cluster name, a connection manager prefix or a listener address: each became tags', () => {
    const leaks = Object.keys(families).filter((n) => /outbound|inbound|svc_cluster|reviews|ratings|9080|mutual_tls|127_0_0_1|default_total_match|tlsMode/.test(n));
    assert.deepEqual(leaks, [], `${leaks.join(', ')}; the stats named:\n${stats.split('\n').filter((l) => /outbound|inbound/.test(l)).slice(0, 20).join('\n')}`);
  });

  test('the stats listener serves nothing of the admin but /stats/prometheus', async () => {
    assert.equal((await get(`http://127.0.0.1:${ports['stats']}/config_dump`)).status, 404);
    assert.ok(samples(families, 'envoy_server_live').length > 0, 'server stats are there too');
  });
});
