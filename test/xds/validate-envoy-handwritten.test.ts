// Differential test: src/xds/validate's verdict against real Envoy's (`envoy --mode validate` on a
// static bootstrap, test/support/validate-envoy-fixtures.ts) on Mast's golden outputs and on
// hand-written bad variants of them, one per check worth naming.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { skipWithoutEnvoy as skip } from '../support/envoy-validate';
import { assertAgreesWithEnvoy, bases, type Candidate, get, goldenCandidates, type Kind, type Obj, ROUTE0, set } from '../support/validate-envoy-fixtures';

function handWritten(base: Record<Kind, Obj>, http: Obj): Candidate[] {
  const r = base.route;
  const c = base.cluster;
  const l = http;
  const v: [string, Kind, Obj][] = [
    ['route: empty virtual host name', 'route', set(r, ['virtual_hosts', 0, 'name'], '')],
    ['route: no domains', 'route', set(r, ['virtual_hosts', 0, 'domains'], [])],
    ['route: duplicate domain in other case', 'route', set(r, ['virtual_hosts', 1], { ...(get(r, ['virtual_hosts', 0]) as Obj), name: 'copy', domains: [(get(r, ['virtual_hosts', 0, 'domains', 0]) as string).toUpperCase()] })],
    ['route: two * domains', 'route', set(set(r, ['virtual_hosts', 0, 'domains'], ['*']), ['virtual_hosts', 1], { name: 'b', domains: ['*'], routes: [] })],
    ['route: same virtual host name twice', 'route', set(r, ['virtual_hosts', 1], { ...(get(r, ['virtual_hosts', 0]) as Obj), domains: ['other.example'] })],
    ['route: header matcher :authority and host', 'route', set(r, [...ROUTE0, 'match', 'headers'], [{ name: ':authority', present_match: true }, { name: 'host', string_match: { exact: 'x' } }])],
    ['route: header matcher with empty name', 'route', set(r, [...ROUTE0, 'match', 'headers'], [{ name: '', present_match: true }])],
    ['route: empty prefix string matcher', 'route', set(r, [...ROUTE0, 'match', 'headers'], [{ name: 'x', string_match: { prefix: '' } }])],
    ['route: add host header', 'route', set(r, [...ROUTE0, 'request_headers_to_add'], [{ header: { key: 'Host', value: 'x' } }])],
    ['route: remove :path', 'route', set(r, [...ROUTE0, 'request_headers_to_remove'], [':path'])],
    ['route: header value 100%', 'route', set(r, [...ROUTE0, 'response_headers_to_add'], [{ header: { key: 'x-a', value: '100%' } }])],
    ['route: bad path regex', 'route', set(set(r, [...ROUTE0, 'match'], { safe_regex: { regex: '/(a' } }), [...ROUTE0, 'match', 'prefix'], undefined)],
    ['route: prefix and regex rewrite', 'route', set(r, [...ROUTE0, 'route'], { cluster: 'c', prefix_rewrite: '/x', regex_rewrite: { pattern: { regex: '^/a' }, substitution: '/b' } })],
    ['route: zero weights', 'route', set(r, [...ROUTE0, 'route'], { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] } })],
    ['route: weight missing', 'route', set(r, [...ROUTE0, 'route'], { weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'b' }] } })],
    ['route: negative timeout', 'route', set(r, [...ROUTE0, 'route', 'timeout'], '-1s')],
    ['route: direct response of 5000 bytes', 'route', set(set(r, [...ROUTE0, 'route'], undefined), [...ROUTE0, 'direct_response'], { status: 200, body: { inline_string: 'x'.repeat(5000) } })],
    ['route: direct response status 700', 'route', set(set(r, [...ROUTE0, 'route'], undefined), [...ROUTE0, 'direct_response'], { status: 700 })],
    ['route: fault abort 700', 'route', set(r, [...ROUTE0, 'typed_per_filter_config'], { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', abort: { http_status: 700, percentage: { numerator: 10 } } } })],
    ['route: fault without error type', 'route', set(r, [...ROUTE0, 'typed_per_filter_config'], { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', abort: { percentage: { numerator: 10 } } } })],
    ['route: cors bad origin regex', 'route', set(r, [...ROUTE0, 'typed_per_filter_config'], { 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy', allow_origin_string_match: [{ safe_regex: { regex: '*.example' } }] } })],
    ['route: mirror without cluster', 'route', set(r, [...ROUTE0, 'route', 'request_mirror_policies'], [{ runtime_fraction: { default_value: { numerator: 10 } } }])],
    ['route: retry back-off max below base', 'route', set(r, [...ROUTE0, 'route', 'retry_policy'], { retry_on: '5xx', retry_back_off: { base_interval: '1s', max_interval: '0.1s' } })],
    ['route: duplicate upgrade', 'route', set(r, [...ROUTE0, 'route', 'upgrade_configs'], [{ upgrade_type: 'websocket' }, { upgrade_type: 'WEBSOCKET' }])],
    ['route: prefix and path both set', 'route', set(r, [...ROUTE0, 'match', 'path'], '/x')],
    ['cluster: empty name', 'cluster', set(c, ['name'], '')],
    ['cluster: zero connect timeout', 'cluster', set(c, ['connect_timeout'], '0s')],
    ['cluster: EDS without eds config', 'cluster', set(set(c, ['type'], 'EDS'), ['eds_cluster_config'], undefined)],
    ['cluster: ORIGINAL_DST round robin', 'cluster', set(set(set(c, ['type'], 'ORIGINAL_DST'), ['eds_cluster_config'], undefined), ['lb_policy'], 'ROUND_ROBIN')],
    ['cluster: CLUSTER_PROVIDED on EDS', 'cluster', set(c, ['lb_policy'], 'CLUSTER_PROVIDED')],
    ['cluster: STATIC with hostname', 'cluster', { name: 'static-host', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'x', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'db.local', port_value: 5432 } } } }] }] } }],
    ['cluster: LOGICAL_DNS with two endpoints', 'cluster', { name: 'ldns', type: 'LOGICAL_DNS', connect_timeout: '1s', load_assignment: { cluster_name: 'x', endpoints: [{ lb_endpoints: [1, 2].map((n) => ({ endpoint: { address: { socket_address: { address: `h${n}.local`, port_value: 80 } } } })) }] } }],
    ['cluster: panic threshold 101', 'cluster', set(c, ['common_lb_config', 'healthy_panic_threshold', 'value'], 101)],
    ['cluster: unknown protocol options key', 'cluster', set(c, ['typed_extension_protocol_options'], { foo: { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } })],
    ['cluster: bind to hostname', 'cluster', set(c, ['upstream_bind_config'], { source_address: { address: 'localhost', port_value: 0 } })],
    ['cla: hostname endpoint', 'cla', set(base.cla, ['endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address', 'socket_address', 'address'], 'pod.local')],
    ['cla: port 70000', 'cla', set(base.cla, ['endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address', 'socket_address', 'port_value'], 70000)],
    ['cla: weight 0', 'cla', set(base.cla, ['endpoints', 0, 'lb_endpoints', 0, 'load_balancing_weight'], 0)],
    ['listener: hostname address', 'listener', set(l, ['address', 'socket_address', 'address'], 'localhost')],
    ['listener: duplicate filter chain', 'listener', set(l, ['filter_chains', 1], get(l, ['filter_chains', 0]))],
    ['listener: overlapping server names', 'listener', set(set(l, ['filter_chains', 0, 'filter_chain_match'], { server_names: ['a.example', 'B.example'] }), ['filter_chains', 1], { ...(get(l, ['filter_chains', 0]) as Obj), filter_chain_match: { server_names: ['b.example'] } })],
    ['listener: partial wildcard server name', 'listener', set(l, ['filter_chains', 0, 'filter_chain_match'], { server_names: ['example.*'] })],
    ['listener: router before fault', 'listener', set(l, ['filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters'], [...((get(l, ['filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters']) as Obj[]) ?? [])].reverse())],
    ['listener: empty stat prefix', 'listener', set(l, ['filter_chains', 0, 'filters', 0, 'typed_config', 'stat_prefix'], '')],
  ];
  return v.map(([label, kind, json]) => ({ label, kind, json }));
}

test('on golden outputs and hand-written variants the validator agrees with envoy --mode validate', { skip, timeout: 240_000 }, async (t) => {
  const golden = goldenCandidates();
  const base = bases(golden);
  const verdicts = await assertAgreesWithEnvoy(t, [...golden, ...handWritten(base, base.listener)]);
  assert.ok(golden.every((c) => verdicts.get(c)?.length === 0), 'golden outputs pass the validator');
});
