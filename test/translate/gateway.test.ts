import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, mesh, routeConfig, routeTargets, router, service, translate, virtualHost, virtualService } from './helpers';
import type { EnvoyJson } from '../../src/translate/types';
import { snapshotFromYaml } from '../../src/model';

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

test('HTTPS servers with a credentialName terminate TLS: a filter chain and route table per server, chosen by SNI', () => {
  const tls = (port: string, hosts: string, mode: string, cred: string) => `{port: ${port}, hosts: ${hosts}, tls: {mode: ${mode}, credentialName: ${cred}}}`;
  const { snapshot, diagnostics } = snapshotFromYaml([
    service('productpage'),
    gateway('web', 'default', `[${tls('{number: 443, name: https, protocol: HTTPS}', '["a.example.com", "ns/b.example.com"]', 'SIMPLE', 'web-cert')}]`),
    // Same SNI name on the same port in a later Gateway: dropped, as Istio's MergeGateways drops it.
    gateway('web2', 'default', `[${tls('{number: 443, name: https-dup, protocol: HTTPS}', '["a.example.com"]', 'SIMPLE', 'other')}]`),
    gateway('mtls', 'default', `[${tls('{number: 443, name: https-m, protocol: HTTPS}', '["*"]', 'MUTUAL', 'm-cert')}]`),
    // A plain-text server on a TLS port: dropped (one kind per port).
    gateway('plain', 'default', '[{port: {number: 443, name: http, protocol: HTTP}, hosts: ["*"]}]'),
    virtualService('bookinfo', 'default', `hosts: ["a.example.com", "c.example.com"]\ngateways: [web, mtls]\n${routeTo()}`),
  ].join('\n---\n'));
  // Each dropped server is reported, naming the Gateway that keeps the port or host (MAST3007).
  assert.deepEqual(diagnostics.map((d) => [d.code, d.object?.name, d.field]), [
    ['MAST3007', 'web2', 'spec.servers[0].hosts'],
    ['MAST3007', 'plain', 'spec.servers[0].port'],
  ]);
  assert.match(diagnostics[0]!.message, /a\.example\.com on port 443 .* by Gateway default\/web \(older\)/);
  const set = translate(snapshot, router({ interceptionMode: 'REDIRECT' }));
  const l = listener(set, '0.0.0.0_443');
  assert.deepEqual((l.listener_filters as EnvoyJson[]).map((f) => f.name), ['envoy.filters.listener.tls_inspector']);
  const chains = l.filter_chains as EnvoyJson[];
  const rds = (c: EnvoyJson) => (((c.filters as EnvoyJson[])[0]!.typed_config as EnvoyJson).rds as EnvoyJson).route_config_name;
  const tlsContext = (c: EnvoyJson) => ((c.transport_socket as EnvoyJson).typed_config as EnvoyJson);
  // In Gateway order (creation; here all at once, so by name); `*` has no server_names.
  assert.deepEqual(chains.map((c) => [c.filter_chain_match ?? null, rds(c)]), [
    [null, 'https.443.https-m.mtls.default'],
    [{ server_names: ['a.example.com', 'b.example.com'] }, 'https.443.https.web.default'],
  ]);
  assert.equal(tlsContext(chains[0]!).require_client_certificate, true);
  assert.equal(tlsContext(chains[1]!).require_client_certificate, false);
  const names = (c: EnvoyJson) => JSON.stringify(tlsContext(c)).match(/kubernetes:\/\/[\w-]+/g);
  assert.deepEqual(names(chains[0]!), ['kubernetes://m-cert', 'kubernetes://m-cert-cacert']);
  assert.deepEqual(names(chains[1]!), ['kubernetes://web-cert']);
  // Each route table holds only the hosts its own server covers.
  assert.deepEqual(set.routes.map((r) => r.name), ['https.443.https-m.mtls.default', 'https.443.https.web.default']);
  assert.deepEqual((routeConfig(set, 'https.443.https.web.default').virtual_hosts as EnvoyJson[]).map((h) => h.name), ['a.example.com:443']);
  assert.deepEqual((routeConfig(set, 'https.443.https-m.mtls.default').virtual_hosts as EnvoyJson[]).map((h) => h.name), ['a.example.com:443', 'c.example.com:443']);
});

test("server TLS parameters: versions as Envoy names them, cipher suites as Istio's FilterCipherSuites leaves them; none for ISTIO_MUTUAL", () => {
  // The invalid and duplicate suites draw Istio's warning (MAST2041); the object is served without them.
  const { snapshot, diagnostics } = snapshotFromYaml([
    service('productpage'),
    gateway(
      'web',
      'default',
      `[{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["a.example.com"], tls: {mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_3, cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, NOT-A-CIPHER, ECDHE-RSA-AES128-GCM-SHA256]}},
        {port: {number: 8443, name: https-mesh, protocol: HTTPS}, hosts: ["*"], tls: {mode: ISTIO_MUTUAL, minProtocolVersion: TLSV1_3}}]`,
    ),
    virtualService('bookinfo', 'default', `hosts: ["*"]\ngateways: [web]\n${routeTo()}`),
  ].join('\n---\n'));
  assert.deepEqual(diagnostics.map((d) => d.code), ['MAST2041']);
  const set = translate(snapshot, router({ interceptionMode: 'REDIRECT' }));
  const context = (name: string): EnvoyJson => (((listener(set, name).filter_chains as EnvoyJson[])[0]!.transport_socket as EnvoyJson).typed_config as EnvoyJson);
  const common = (name: string): EnvoyJson => context(name).common_tls_context as EnvoyJson;
  assert.deepEqual(common('0.0.0.0_443').tls_params, { tls_minimum_protocol_version: 'TLSv1_3', cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256'] });
  assert.equal(common('0.0.0.0_8443').tls_params, undefined);
  assert.equal(context('0.0.0.0_8443').require_client_certificate, true);
  assert.match(JSON.stringify(common('0.0.0.0_8443')), /"name":"default".*"name":"ROOTCA"/);
});
