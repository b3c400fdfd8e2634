// VirtualService tcp and tls rules as Istio applies them (pilot/pkg/networking/core/tls.go and
// gateway.go): which match holds for which proxy, what a rule's route becomes, and what validation
// still reports for the gateway TLS modes Mast does not serve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { meshVirtualServices } from '../../src/translate/listeners/tcp-routes';
import { partsFor } from '../../src/translate/parts';
import type { EnvoyJson, ResourceSet } from '../../src/translate/types';
import { listener, mesh, router, service, sidecar, translate, virtualService } from './helpers';

const DB = 'outbound|3306||db.default.svc.cluster.local';
const dbPort = '[{name: tcp-mysql, port: 3306}]';

/** Each chain of a listener as [its match, the cluster or weighted clusters its tcp_proxy goes to]. */
function chains(set: ResourceSet, name: string): [EnvoyJson | undefined, unknown][] {
  return (listener(set, name).filter_chains as EnvoyJson[]).map((c) => {
    const proxy = ((c.filters as EnvoyJson[]).at(-1)!.typed_config as EnvoyJson);
    return [c.filter_chain_match as EnvoyJson | undefined, proxy.cluster ?? proxy.weighted_clusters];
  });
}

const tcpRules = `hosts: [db]
tcp:
- match: [{sourceLabels: {app: reports}}]
  route: [{destination: {host: db, subset: replica}}]
- match: [{sourceNamespace: batch}]
  route: [{destination: {host: db, subset: replica}}]
- match: [{port: 3306, gateways: [mesh]}]
  route:
  - {destination: {host: db, subset: primary}, weight: 90}
  - {destination: {host: db, subset: replica}, weight: 10}`;

test('a sidecar takes the first tcp rule whose match holds for it: source labels, source namespace, port, gateway', () => {
  const snapshot = mesh(service('db', 'default', dbPort), virtualService('db', 'default', tcpRules));
  const plain = translate(snapshot, sidecar({ interceptionMode: 'NONE', outboundAddress: '127.0.3.1' }));
  assert.deepEqual(chains(plain, '127.0.3.1_3306'), [[undefined, { clusters: [{ name: DB.replace('||', '|primary|'), weight: 90 }, { name: DB.replace('||', '|replica|'), weight: 10 }] }]]);
  for (const proxy of [sidecar({ labels: { app: 'reports' } }), sidecar({ namespace: 'batch' })]) {
    assert.deepEqual(chains(translate(snapshot, proxy), '0.0.0.0_3306'), [[undefined, DB.replace('||', '|replica|')]], JSON.stringify(proxy));
  }
});

test('a VirtualService not exported to the proxy, or bound only to a gateway, leaves the port to its service', () => {
  for (const extra of ['exportTo: [.]', 'gateways: [gw]']) {
    const snapshot = mesh(service('db', 'default', dbPort), virtualService('db', 'default', `${tcpRules}\n${extra}`));
    assert.deepEqual(chains(translate(snapshot, sidecar({ namespace: 'other' })), '0.0.0.0_3306'), [[undefined, DB]], extra);
  }
});

test("the outbound listeners' part key follows the namespace and the sourceLabels a proxy satisfies", () => {
  const snapshot = mesh(service('db', 'default', dbPort), virtualService('db', 'default', tcpRules));
  const part = partsFor('sidecar').find((p) => p.name === 'outbound-listeners')!;
  const key = (o: Parameters<typeof sidecar>[0]): string => part.key(sidecar(o), snapshot);
  assert.equal(key({ labels: { app: 'a' } }), key({ labels: { app: 'b' } }));
  assert.notEqual(key({ labels: { app: 'reports' } }), key({ labels: { app: 'b' } }));
  assert.notEqual(key({ namespace: 'batch' }), key({}));
});

test('a sidecar TLS port: a chain per tls match holding for the proxy, by SNI and destination subnets', () => {
  const snapshot = mesh(
    service('secure', 'default', '[{name: https, port: 443}]'),
    virtualService('secure', 'default', `hosts: [secure, "*.example.com"]
tls:
- match: [{sniHosts: [a.example.com], sourceNamespace: batch}]
  route: [{destination: {host: secure, subset: batch}}]
- match: [{sniHosts: [a.example.com], destinationSubnets: [10.0.0.0/8, 10.1.2.3]}]
  route: [{destination: {host: secure, subset: v1}}]`),
  );
  const secure = 'outbound|443||secure.default.svc.cluster.local';
  assert.deepEqual(chains(translate(snapshot, sidecar()), '0.0.0.0_443'), [
    [{ prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }, { address_prefix: '10.1.2.3', prefix_len: 32 }], server_names: ['a.example.com'] }, secure.replace('||', '|v1|')],
  ]);
  assert.deepEqual(chains(translate(snapshot, sidecar({ namespace: 'batch' })), '0.0.0.0_443')[0], [{ server_names: ['a.example.com'] }, secure.replace('||', '|batch|')]);
});

const gateway = (servers: string): string => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: ${servers}`;

test('a gateway PASSTHROUGH server: a chain per tls match by SNI; a name an earlier chain has is skipped', () => {
  const tls = (name: string, sni: string, host: string): string =>
    virtualService(name, 'default', `hosts: ["*.example.com"]\ngateways: [gw]\ntls:\n- match: [{sniHosts: [${sni}]}]\n  route: [{destination: {host: ${host}}}]`);
  const snapshot = mesh(
    service('a', 'default', '[{name: https, port: 443}]'),
    service('b', 'default', '[{name: https, port: 443}]'),
    gateway('[{port: {number: 443, name: tls, protocol: TLS}, tls: {mode: PASSTHROUGH}, hosts: ["*.example.com"]}]'),
    tls('first', 'a.example.com', 'a'),
    tls('second', 'a.example.com', 'b'),
    tls('third', 'b.example.com', 'b'),
  );
  const set = translate(snapshot, router());
  assert.deepEqual(chains(set, '0.0.0.0_443'), [
    [{ server_names: ['a.example.com'] }, 'outbound|443||a.default.svc.cluster.local'],
    [{ server_names: ['b.example.com'] }, 'outbound|443||b.default.svc.cluster.local'],
  ]);
  assert.equal(((listener(set, '0.0.0.0_443').listener_filters as EnvoyJson[])[0]!).name, 'envoy.filters.listener.tls_inspector');
});

test('a gateway TCP server no VirtualService routes gets no listener (Envoy refuses one without chains)', () => {
  const snapshot = mesh(service('db', 'default', dbPort), gateway('[{port: {number: 3306, name: tcp, protocol: TCP}, hosts: ["*"]}]'));
  assert.deepEqual(translate(snapshot, router()).listeners.map((l) => l.name), []);
});

test('validation: PASSTHROUGH is served on HTTPS and TLS servers; AUTO_PASSTHROUGH too; a TLS server terminates SIMPLE, not yet ISTIO_MUTUAL (MAST1008)', () => {
  const findings = (servers: string): string[][] => snapshotFromYaml(gateway(servers), 'gw.yaml').diagnostics.map((d) => [d.code, d.field ?? '']);
  assert.deepEqual(findings('[{port: {number: 443, name: https, protocol: HTTPS}, tls: {mode: PASSTHROUGH}, hosts: [a.example.com]}]'), []);
  assert.deepEqual(findings('[{port: {number: 443, name: tls, protocol: TLS}, tls: {mode: PASSTHROUGH}, hosts: [a.example.com]}]'), []);
  // Served (sni-dnat.test.ts); with no service under a.example.com it reaches nothing, and says so.
  assert.deepEqual(findings('[{port: {number: 443, name: tls, protocol: TLS}, tls: {mode: AUTO_PASSTHROUGH}, hosts: [a.example.com]}]'), [['MAST3009', 'spec.servers[0].hosts']]);
  // Terminated, then routed by the VirtualService's tcp routes (gateway-tls-files golden, e2e gateway-tls).
  assert.deepEqual(findings('[{port: {number: 443, name: tls, protocol: TLS}, tls: {mode: SIMPLE, credentialName: c}, hosts: [a.example.com]}]'), []);
  assert.deepEqual(findings('[{port: {number: 443, name: tls, protocol: TLS}, tls: {mode: ISTIO_MUTUAL}, hosts: [a.example.com]}]'), [['MAST1008', 'spec.servers[0].tls.mode']]);
});

test('the tcp/tls look-up gives every VirtualService covering a host, exact and wildcard, in creation order', () => {
  // No creation times: Istio's order falls back to names (sortConfigByCreationTime).
  const { snapshot } = snapshotFromYaml(
    [
      virtualService('a-wild', 'default', 'hosts: ["*.default.svc.cluster.local"]\ntcp: [{route: [{destination: {host: db}}]}]'),
      virtualService('b-db', 'default', 'hosts: [db]\ntcp: [{route: [{destination: {host: db}}]}]'),
      virtualService('c-all', 'default', 'hosts: ["*.svc.cluster.local"]\ntcp: [{route: [{destination: {host: db}}]}]'),
      virtualService('d-cache', 'default', 'hosts: [cache]\ntcp: [{route: [{destination: {host: cache}}]}]'),
    ].join('\n---\n'),
    'test.yaml',
  );
  const of = meshVirtualServices(snapshot, sidecar());
  const names = (host: string): string[] => of(host).map((vs) => vs.meta.name);
  assert.deepEqual(names('db.default.svc.cluster.local'), ['a-wild', 'b-db', 'c-all']);
  assert.deepEqual(names('cache.default.svc.cluster.local'), ['a-wild', 'c-all', 'd-cache']);
  assert.deepEqual(names('db.prod.svc.cluster.local'), ['c-all']);
  assert.deepEqual(names('example.com'), []);
});
