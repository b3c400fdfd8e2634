// Header operations as Istio translates them (TranslateHeadersOperations): `:authority`/`host`
// become a host rewrite, and no pseudo-header or `host` reaches Envoy's header mutations, which
// would make Envoy reject the whole route table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mesh, routeConfig, service, sidecar, translate, versionSubsets, virtualHost, virtualService } from './helpers';
import type { EnvoyJson } from '../../src/translate/types';
import { validateResource, MAST_LIMITS } from '../../src/xds/validate';
import { TYPE_URLS } from '../../src/translate/types';
import { authorityOf, headerMutations } from '../../src/translate/routes/header-operations';

function routesOf(spec: string): EnvoyJson[] {
  const set = translate(mesh(service('reviews'), versionSubsets('reviews'), virtualService('reviews', 'default', spec)), sidecar());
  assert.deepEqual(validateResource(TYPE_URLS.route, routeConfig(set, '9080'), MAST_LIMITS), [], 'Envoy would accept the table');
  return virtualHost(set, '9080', 'reviews.default.svc.cluster.local:9080').routes as EnvoyJson[];
}

test('setting :authority rewrites the host instead of mutating a header Envoy will not let a route touch', () => {
  const [route] = routesOf(`hosts: [reviews]
http:
- headers:
    request:
      set: {":authority": set.example.com, x-a: "1"}
      remove: [x-gone]
  route: [{destination: {host: reviews}}]`);
  assert.equal((route?.route as EnvoyJson).host_rewrite_literal, 'set.example.com');
  assert.deepEqual(route?.request_headers_to_add, [{ header: { key: 'x-a', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
  assert.deepEqual(route?.request_headers_to_remove, ['x-gone']);
});

test('pseudo-headers and host never reach the mutations, even where validation would have let them by', () => {
  const ops = { request: { add: { host: 'a.example.com', ':path': '/p', 'x-a': '1' }, remove: [':method', 'Host', 'x-gone'] }, response: { set: { ':status': '200' } } };
  assert.deepEqual(headerMutations(ops), {
    request_headers_to_add: [{ header: { key: 'x-a', value: '1' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' }],
    request_headers_to_remove: ['x-gone'],
  });
  assert.equal(authorityOf(ops), 'a.example.com');
  assert.equal(authorityOf({ request: { set: { Host: 'set.example.com' }, add: { ':authority': 'add.example.com' } } }), 'set.example.com', 'set before add');
});

test('a lone destination\'s authority applies when the rule sets none', () => {
  const [a, b] = routesOf(`hosts: [reviews]
http:
- match: [{uri: {prefix: /a}}]
  rewrite: {authority: rewrite.example.com}
  route: [{destination: {host: reviews}}]
- route: [{destination: {host: reviews}, headers: {request: {set: {":authority": dest.example.com}}}}]`);
  assert.equal((a?.route as EnvoyJson).host_rewrite_literal, 'rewrite.example.com');
  assert.equal((b?.route as EnvoyJson).host_rewrite_literal, 'dest.example.com');
});

test('a weighted destination setting the authority rewrites the host of its own cluster', () => {
  const [route] = routesOf(`hosts: [reviews]
http:
- route:
  - {destination: {host: reviews, subset: v1}, weight: 50, headers: {request: {set: {host: v1.example.com}}}}
  - {destination: {host: reviews, subset: v2}, weight: 50}`);
  const clusters = ((route?.route as EnvoyJson).weighted_clusters as { clusters: EnvoyJson[] }).clusters;
  assert.deepEqual(clusters.map((c) => c.host_rewrite_literal), ['v1.example.com', undefined]);
  assert.equal((route?.route as EnvoyJson).host_rewrite_literal, undefined);
});

test('every route table allows Istio\'s 1 MiB directResponse bodies', () => {
  const set = translate(mesh(service('reviews')), sidecar());
  assert.equal(routeConfig(set, '9080').max_direct_response_body_size_bytes, 1024 * 1024);
});
