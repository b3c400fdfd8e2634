import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, mesh, routeConfig, routeTargets, router, service, translate, virtualHost, virtualService } from './helpers';
import { snapshotFromYaml } from '../../src/model';
import type { EnvoyJson } from '../../src/translate/types';

function gateway(name: string, namespace: string, servers: string, selector = '{istio: ingressgateway}'): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: ${selector}
  servers: ${servers}`;
}

const HTTP_80 = (hosts: string) => `[{port: {number: 80, name: http, protocol: HTTP}, hosts: ${hosts}}]`;
const PRODUCTPAGE = 'outbound|9080||productpage.default.svc.cluster.local';
const routeTo = (host = 'productpage') => `http:\n- route:\n  - destination: {host: ${host}}`;

test('a router serves the Gateways selecting it, one listener and route table per port', () => {
  const snapshot = mesh(
    service('productpage'),
    gateway('gw', 'default', HTTP_80('["*"]')),
    gateway('other', 'default', '[{port: {number: 81, name: http, protocol: HTTP}, hosts: ["*"]}]', '{istio: egressgateway}'),
    virtualService('bookinfo', 'default', `hosts: ["*"]\ngateways: [gw]\n${routeTo()}`),
  );
  const set = translate(snapshot, router({ interceptionMode: 'REDIRECT' }));
  assert.deepEqual(set.listeners.map((l) => l.name), ['0.0.0.0_80']);
  assert.deepEqual(set.routes.map((r) => r.name), ['http.80']);
  assert.deepEqual(routeTargets(virtualHost(set, 'http.80', '*:80')), [PRODUCTPAGE]);
  assert.equal(routeConfig(set, 'http.80').ignore_port_in_host_matching, true);
  assert.deepEqual(set.clusters.map((c) => c.name), [PRODUCTPAGE]);
});

test('without capture the gateway binds its own address', () => {
  const snapshot = mesh(gateway('gw', 'default', HTTP_80('["*"]')));
  const set = translate(snapshot, router({ interceptionMode: 'NONE' }));
  assert.deepEqual((listener(set, '127.0.4.1_80').address as EnvoyJson).socket_address, { address: '127.0.4.1', port_value: 80 });
});

test('virtual hosts are the intersection of VirtualService and server hosts', () => {
  const snapshot = mesh(
    service('productpage'),
    gateway('gw', 'default', HTTP_80('["bookinfo.com", "*.example.com"]')),
    virtualService('a', 'default', `hosts: ["*"]\ngateways: [default/gw]\n${routeTo()}`),
    virtualService('b', 'default', `hosts: [shop.example.com, elsewhere.org]\ngateways: [gw]\n${routeTo()}`),
  );
  const set = translate(snapshot, router());
  const hosts = (routeConfig(set, 'http.80').virtual_hosts as EnvoyJson[]).map((h) => [h.name, h.domains]);
  assert.deepEqual(hosts, [
    ['*.example.com:80', ['*.example.com']],
    ['bookinfo.com:80', ['bookinfo.com']],
    ['shop.example.com:80', ['shop.example.com']],
  ]);
});

test('several VirtualServices on one host merge their routes in order', () => {
  const snapshot = mesh(
    service('productpage'),
    service('details'),
    gateway('gw', 'default', HTTP_80('["*"]')),
    virtualService('a', 'default', `hosts: ["*"]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /details}}]\n  route: [{destination: {host: details}}]`),
    virtualService('b', 'default', `hosts: ["*"]\ngateways: [gw]\n${routeTo()}`),
  );
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, router()), 'http.80', '*:80')), [
    'outbound|9080||details.default.svc.cluster.local',
    PRODUCTPAGE,
  ]);
});

test('a namespace prefix on a server host admits only VirtualServices from that namespace', () => {
  const snapshot = mesh(
    service('productpage'),
    gateway('gw', 'istio-system', HTTP_80('["team-a/*", "./local.example.com"]')),
    virtualService('a', 'team-a', `hosts: [a.example.com]\ngateways: [istio-system/gw]\n${routeTo('productpage.default.svc.cluster.local')}`),
    virtualService('b', 'team-b', `hosts: [b.example.com]\ngateways: [istio-system/gw]\n${routeTo('productpage.default.svc.cluster.local')}`),
    virtualService('c', 'istio-system', `hosts: [local.example.com]\ngateways: [gw]\n${routeTo('productpage.default.svc.cluster.local')}`),
  );
  const names = (routeConfig(translate(snapshot, router()), 'http.80').virtual_hosts as EnvoyJson[]).map((h) => h.name);
  assert.deepEqual(names, ['a.example.com:80', 'local.example.com:80']);
});

test('match.gateways narrows a rule to the gateways it names', () => {
  const snapshot = mesh(
    service('productpage'),
    service('details'),
    gateway('gw', 'default', HTTP_80('["*"]')),
    virtualService('a', 'default', [
      // Istio refuses the host `*` for a VirtualService that also applies to the mesh.
      'hosts: ["*.example.com"]',
      'gateways: [gw, mesh]',
      'http:',
      '- match: [{gateways: [mesh]}]',
      '  route: [{destination: {host: details}}]',
      '- route: [{destination: {host: productpage}}]',
    ].join('\n')),
  );
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, router()), 'http.80', '*.example.com:80')), [PRODUCTPAGE]);
});

test('HTTPS servers are not served yet', () => {
  // Istio refuses an HTTPS server without TLS settings; Mast reads them but does not serve them.
  const servers = '[{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: SIMPLE, credentialName: cert}}]';
  const { snapshot, diagnostics } = snapshotFromYaml(gateway('gw', 'default', servers), 'test.yaml');
  assert.deepEqual(diagnostics.map((d) => [d.code, d.field]), [['MAST1008', 'spec.servers[0].tls']]);
  const { listeners, routes } = translate(snapshot, router());
  assert.deepEqual([listeners, routes], [[], []]);
});
