// Small translation rules where Mast must read an input as Istio's translation reads it
// (pilot/pkg/networking/core/route): proto3 zero values are unset, Go's number parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mesh, routeTargets, service, sidecar, translate, virtualHost, virtualService } from './helpers';
import type { EnvoyJson } from '../../src/translate/types';
import { snapshotFromYaml } from '../../src/model';

function routes(spec: string): EnvoyJson[] {
  const set = translate(mesh(service('reviews'), virtualService('reviews', 'default', spec)), sidecar());
  return virtualHost(set, '9080', 'reviews.default.svc.cluster.local:9080').routes as EnvoyJson[];
}

test('match.port 0 is any port', () => {
  const vh = { routes: routes('hosts: [reviews]\nhttp:\n- match: [{port: 0, uri: {prefix: /a}}]\n  route: [{destination: {host: reviews}}]') };
  assert.deepEqual(routeTargets(vh), ['outbound|9080||reviews.default.svc.cluster.local']);
  assert.deepEqual((vh.routes[0]?.match as EnvoyJson).prefix, '/a');
});

test('retryOn numbers are status codes as Go reads them (+503, 0503)', () => {
  const [route] = routes('hosts: [reviews]\nhttp:\n- retries: {attempts: 2, retryOn: "5xx,+503,0504"}\n  route: [{destination: {host: reviews}}]');
  const policy = (route?.route as EnvoyJson).retry_policy as EnvoyJson;
  assert.equal(policy.retry_on, '5xx,retriable-status-codes');
  assert.deepEqual(policy.retriable_status_codes, [503, 504]);
});

test('redirect: empty strings are unset, and the scheme\'s default port is left out of the Location', () => {
  const [a, b, c] = routes(`hosts: [reviews]
http:
- match: [{uri: {prefix: /a}}]
  redirect: {authority: example.com, port: 80}
- match: [{uri: {prefix: /b}}]
  redirect: {scheme: https, port: 443, uri: /new}
- redirect: {scheme: https, port: 8443, authority: example.com}`);
  assert.deepEqual(a?.redirect, { host_redirect: 'example.com', response_code: 'MOVED_PERMANENTLY' });
  assert.deepEqual(b?.redirect, { scheme_redirect: 'https', path_redirect: '/new', response_code: 'MOVED_PERMANENTLY' });
  assert.deepEqual(c?.redirect, { scheme_redirect: 'https', host_redirect: 'example.com', port_redirect: 8443, response_code: 'MOVED_PERMANENTLY' });
});

test('a redirect code Envoy cannot send leaves its rule out, as Istio drops its action; the next rule answers', () => {
  const spec = `hosts: [reviews]
http:
- match: [{uri: {prefix: /old}}]
  redirect: {uri: /new, redirectCode: 305}
- match: [{uri: {prefix: /moved}}]
  redirect: {uri: /new, redirectCode: 307}
- route: [{destination: {host: reviews}}]`;
  const { snapshot, diagnostics } = snapshotFromYaml([service('reviews'), virtualService('reviews', 'default', spec)].join('\n---\n'));
  assert.deepEqual(diagnostics.map((d) => [d.code, d.field]), [['MAST2041', 'spec.http[0].redirect.redirectCode']]);
  const vh = virtualHost(translate(snapshot, sidecar()), '9080', 'reviews.default.svc.cluster.local:9080');
  assert.deepEqual(routeTargets(vh), ['redirect', 'outbound|9080||reviews.default.svc.cluster.local']);
  assert.equal(((vh.routes as EnvoyJson[])[0]?.redirect as EnvoyJson).response_code, 'TEMPORARY_REDIRECT');
});

test('rewrite.uri "" rewrites nothing', () => {
  const [route] = routes('hosts: [reviews]\nhttp:\n- rewrite: {uri: "", authority: other}\n  route: [{destination: {host: reviews}}]');
  const action = route?.route as EnvoyJson;
  assert.equal(action.prefix_rewrite, undefined);
  assert.equal(action.host_rewrite_literal, 'other');
});

test('hosts are read without regard to case, as DNS and Istio read them', () => {
  const [route] = routes('hosts: [Reviews]\nhttp:\n- timeout: 7s\n  route: [{destination: {host: REVIEWS.default.svc.cluster.local}}]');
  assert.equal((route?.route as EnvoyJson).timeout, '7s', 'the VirtualService routes the reviews host');
  assert.deepEqual(routeTargets({ routes: [route as EnvoyJson] }), ['outbound|9080||reviews.default.svc.cluster.local']);
});
