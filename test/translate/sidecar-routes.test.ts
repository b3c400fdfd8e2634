import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, mesh as meshOf, routeConfig, routeTargets, service, sidecar, translate, versionSubsets, virtualHost, virtualService } from './helpers';
import type { EnvoyJson } from '../../src/translate/types';

const REVIEWS = 'reviews.default.svc.cluster.local';
/** Every test mesh declares reviews' v1-v3 subsets, so VirtualServices may name them. */
const mesh = (...docs: string[]) => meshOf(versionSubsets('reviews'), ...docs);
const reviewsHost = `${REVIEWS}:9080`;
const toSubset = (subset: string, port = 9080) => `outbound|${port}|${subset}|${REVIEWS}`;

test('a service without a VirtualService gets the default route, retries and no timeout', () => {
  const set = translate(mesh(service('reviews')), sidecar());
  const vh = virtualHost(set, '9080', reviewsHost);
  assert.deepEqual(routeTargets(vh), [`outbound|9080||${REVIEWS}`]);
  const route = (vh.routes as EnvoyJson[])[0]!.route as EnvoyJson;
  assert.equal(route.timeout, '0s');
  assert.equal((route.retry_policy as EnvoyJson).num_retries, 2);
});

test('short domains are offered only to proxies in the service namespace', () => {
  const snapshot = mesh(service('reviews', 'default', '[{name: http, port: 9080}]', '  clusterIP: 10.96.0.13'));
  const own = virtualHost(translate(snapshot, sidecar()), '9080', reviewsHost).domains as string[];
  const other = virtualHost(translate(snapshot, sidecar({ namespace: 'other' })), '9080', reviewsHost).domains as string[];
  assert.ok(own.includes('reviews') && own.includes('reviews:9080'));
  assert.ok(!other.includes('reviews') && other.includes('reviews.default') && other.includes('reviews.default.svc:9080'));
  assert.ok(other.includes('10.96.0.13:9080') && other.includes(REVIEWS));
});

test('headless services add no cluster IP domain', () => {
  const set = translate(mesh(service('reviews', 'default', '[{name: http, port: 9080}]', '  clusterIP: None')), sidecar());
  assert.ok(!(virtualHost(set, '9080', reviewsHost).domains as string[]).some((d) => d.startsWith('None')));
});

test('a VirtualService bound to a gateway only leaves sidecars on the default route; one naming mesh applies', () => {
  const spec = (gateways: string) => `hosts: [reviews]\ngateways: ${gateways}\nhttp:\n- route:\n  - destination: {host: reviews, subset: v1}`;
  const gatewayOnly = translate(mesh(service('reviews'), virtualService('r', 'default', spec('[bookinfo-gateway]'))), sidecar());
  assert.deepEqual(routeTargets(virtualHost(gatewayOnly, '9080', reviewsHost)), [`outbound|9080||${REVIEWS}`]);
  const withMesh = translate(mesh(service('reviews'), virtualService('r', 'default', spec('[bookinfo-gateway, mesh]'))), sidecar());
  assert.deepEqual(routeTargets(virtualHost(withMesh, '9080', reviewsHost)), [toSubset('v1')]);
});

test('exportTo "." hides a VirtualService from other namespaces', () => {
  const vs = virtualService('r', 'default', 'hosts: [reviews]\nexportTo: ["."]\nhttp:\n- route:\n  - destination: {host: reviews, subset: v1}');
  const snapshot = mesh(service('reviews'), vs);
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, sidecar()), '9080', reviewsHost)), [toSubset('v1')]);
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, sidecar({ namespace: 'other' })), '9080', reviewsHost)), [`outbound|9080||${REVIEWS}`]);
});

test('hosts and destinations resolve in the VirtualService namespace', () => {
  const vs = virtualService('r', 'other', 'hosts: [reviews.default.svc.cluster.local]\nhttp:\n- route:\n  - destination: {host: ratings}');
  const set = translate(mesh(service('reviews'), service('ratings', 'other'), vs), sidecar());
  assert.deepEqual(routeTargets(virtualHost(set, '9080', reviewsHost)), ['outbound|9080||ratings.other.svc.cluster.local']);
});

test('an exact host wins over a wildcard one', () => {
  const wildcard = virtualService('a-wild', 'default', 'hosts: ["*.default.svc.cluster.local"]\nhttp:\n- route:\n  - destination: {host: reviews, subset: v1}');
  const exact = virtualService('b-exact', 'default', 'hosts: [reviews]\nhttp:\n- route:\n  - destination: {host: reviews, subset: v2}');
  const set = translate(mesh(service('reviews'), service('ratings'), wildcard, exact), sidecar());
  assert.deepEqual(routeTargets(virtualHost(set, '9080', reviewsHost)), [toSubset('v2')]);
  assert.deepEqual(routeTargets(virtualHost(set, '9080', 'ratings.default.svc.cluster.local:9080')), [toSubset('v1')]);
});

test('match.port keeps a rule to its port; other ports fall back to the default route', () => {
  const ports = '[{name: http, port: 9080}, {name: http-admin, port: 9081}]';
  const vs = virtualService('r', 'default', 'hosts: [reviews]\nhttp:\n- match:\n  - port: 9080\n  route:\n  - destination: {host: reviews, subset: v1, port: {number: 9080}}');
  const set = translate(mesh(service('reviews', 'default', ports), vs), sidecar());
  assert.deepEqual(routeTargets(virtualHost(set, '9080', reviewsHost)), [toSubset('v1')]);
  assert.deepEqual(routeTargets(virtualHost(set, '9081', `${REVIEWS}:9081`)), [`outbound|9081||${REVIEWS}`]);
});

test('without a port, a multi-port destination takes the port the request came in on', () => {
  const ports = '[{name: http, port: 9080}, {name: http-admin, port: 9081}]';
  const vs = virtualService('r', 'default', 'hosts: [reviews]\nhttp:\n- route:\n  - destination: {host: reviews, subset: v1}');
  const set = translate(mesh(service('reviews', 'default', ports), vs), sidecar());
  assert.deepEqual(routeTargets(virtualHost(set, '9081', `${REVIEWS}:9081`)), [toSubset('v1', 9081)]);
});

test('sourceLabels and sourceNamespace select the proxies a match applies to', () => {
  const vs = virtualService('r', 'default', [
    'hosts: [reviews]',
    'http:',
    '- match:',
    '  - sourceLabels: {app: productpage}',
    '  route:',
    '  - destination: {host: reviews, subset: v2}',
    '- match:',
    '  - sourceNamespace: other',
    '  route:',
    '  - destination: {host: reviews, subset: v3}',
    '- route:',
    '  - destination: {host: reviews, subset: v1}',
  ].join('\n'));
  const snapshot = mesh(service('reviews'), vs);
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, sidecar()), '9080', reviewsHost)), [toSubset('v2'), toSubset('v1')]);
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, sidecar({ namespace: 'other', labels: {} })), '9080', reviewsHost)), [toSubset('v3'), toSubset('v1')]);
});

test('zero weights are dropped and a lone survivor is a plain cluster', () => {
  const vs = virtualService('r', 'default', 'hosts: [reviews]\nhttp:\n- route:\n  - destination: {host: reviews, subset: v1}\n    weight: 100\n  - destination: {host: reviews, subset: v2}\n    weight: 0');
  const set = translate(mesh(service('reviews'), vs), sidecar());
  assert.deepEqual(routeTargets(virtualHost(set, '9080', reviewsHost)), [toSubset('v1')]);
});

test('retries: attempts 0 turns them off; status codes in retryOn become retriable_status_codes', () => {
  const vs = virtualService('r', 'default', [
    'hosts: [reviews]',
    'http:',
    '- match: [{uri: {prefix: /off}}]',
    '  retries: {attempts: 0}',
    '  route: [{destination: {host: reviews}}]',
    '- retries: {attempts: 4, retryOn: "5xx,429", retryIgnorePreviousHosts: false}',
    '  route: [{destination: {host: reviews}}]',
  ].join('\n'));
  const routes = virtualHost(translate(mesh(service('reviews'), vs), sidecar()), '9080', reviewsHost).routes as EnvoyJson[];
  const [off, on] = routes.map((r) => (r.route as EnvoyJson).retry_policy as EnvoyJson | undefined);
  assert.equal(off, undefined);
  assert.deepEqual(on, { retry_on: '5xx,retriable-status-codes', num_retries: 4, host_selection_retry_max_attempts: '5', retriable_status_codes: [429] });
});

test('under capture unknown hosts pass through; without it they fail fast, 502 as Istio\'s block_all', () => {
  const snapshot = mesh(service('reviews'));
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, sidecar()), '9080', 'allow_any')), ['PassthroughCluster']);
  const none = translate(snapshot, sidecar({ interceptionMode: 'NONE', outboundAddress: '127.0.3.1' }));
  assert.deepEqual(virtualHost(none, '9080', 'block_all').routes, [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }]);
});

test('services sharing a port share one route table, one virtual host each', () => {
  const set = translate(mesh(service('reviews'), service('ratings')), sidecar());
  assert.deepEqual(set.routes.map((r) => r.name), ['9080']);
  const names = (routeConfig(set, '9080').virtual_hosts as EnvoyJson[]).map((h) => h.name);
  assert.deepEqual(names, ['ratings.default.svc.cluster.local:9080', 'reviews.default.svc.cluster.local:9080', 'allow_any']);
});

test('fault and mirror settings land on the route; the fault filter is always in the chain', () => {
  const vs = virtualService('r', 'default', [
    'hosts: [reviews]',
    'http:',
    '- fault: {abort: {grpcStatus: UNAVAILABLE}}',
    '  mirrors: [{destination: {host: reviews, subset: v3}, percentage: {value: 5}}]',
    '  route: [{destination: {host: reviews}}]',
  ].join('\n'));
  const set = translate(mesh(service('reviews'), vs), sidecar());
  const route = (virtualHost(set, '9080', reviewsHost).routes as EnvoyJson[])[0]!;
  assert.deepEqual((route.typed_per_filter_config as Record<string, EnvoyJson>)['envoy.filters.http.fault']!.abort, {
    grpc_status: 14,
    percentage: { numerator: 1000000, denominator: 'MILLION' },
  });
  assert.deepEqual((route.route as EnvoyJson).request_mirror_policies, [
    { cluster: toSubset('v3'), runtime_fraction: { default_value: { numerator: 50000, denominator: 'MILLION' } } },
  ]);
  const hcm = JSON.stringify(listener(set, '0.0.0.0_9080'));
  assert.ok(hcm.indexOf('envoy.filters.http.fault') < hcm.indexOf('envoy.filters.http.router'));
});
