// Gateway servers in tls.mode AUTO_PASSTHROUGH (src/translate/sni-dnat.ts, validate/auto-passthrough.ts):
// what the golden case (test/golden/gateway-auto-passthrough) does not show: the protocols the
// mode is served on and what validation says of each, a host's namespace part, two servers that
// cover one service, a rule's ISTIO_MUTUAL or DISABLE deciding which endpoints are kept, and a
// server that covers nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import type { EnvoyJson, ProxyClass } from '../../src/translate/types';

const GATEWAY_PROXY: ProxyClass = { role: 'router', namespace: 'istio-system', labels: { istio: 'eastwestgateway' }, ips: ['127.0.4.2'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.4.2' };

function gateway(name: string, servers: string[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: istio-system}
spec:
  selector: {istio: eastwestgateway}
  servers: [${servers.join(', ')}]`;
}

const server = (protocol: string, hosts: string[], port = 15443): string =>
  `{port: {number: ${port}, name: p-${protocol.toLowerCase()}-${port}, protocol: ${protocol}}, hosts: ${JSON.stringify(hosts)}, tls: {mode: AUTO_PASSTHROUGH}}`;

function service(name: string, namespace: string, port = 8080): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: ${namespace}, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports: [{name: http, port: ${port}}]
endpoints:
- {addresses: [127.0.1.10], targetRef: {kind: Pod, name: ${name}-sidecar, namespace: ${namespace}}}
- {addresses: [127.0.1.11], targetRef: {kind: Pod, name: ${name}-plain, namespace: ${namespace}}}
---
apiVersion: v1
kind: Pod
metadata: {name: ${name}-sidecar, namespace: ${namespace}, labels: {app: ${name}, security.istio.io/tlsMode: istio}}
spec: {containers: [{name: app}]}
status: {podIP: 127.0.1.10}
---
apiVersion: v1
kind: Pod
metadata: {name: ${name}-plain, namespace: ${namespace}, labels: {app: ${name}}}
spec: {containers: [{name: app}]}
status: {podIP: 127.0.1.11}`;
}

function run(...docs: string[]): { findings: [string, string | undefined][]; chains: (port: number) => EnvoyJson[]; clusters: string[]; endpoints: (name: string) => string[] } {
  const { snapshot, diagnostics } = snapshotFromYaml(docs.join('\n---\n'));
  const set = translate(snapshot, GATEWAY_PROXY);
  return {
    findings: diagnostics.map((d) => [d.code, d.field]),
    chains: (port) => ((set.listeners.find((l) => l.name === `127.0.4.2_${port}`)?.json.filter_chains ?? []) as EnvoyJson[]),
    clusters: set.clusters.map((c) => c.name).filter((n) => n.startsWith('outbound_.')),
    endpoints: (name) => {
      const cla = set.endpoints.find((e) => e.name === name)?.json as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[] } | undefined;
      return (cla?.endpoints ?? []).flatMap((g) => g.lb_endpoints.map((e) => e.endpoint.address.socket_address.address));
    },
  };
}

const sni = (chain: EnvoyJson): string[] => ((chain.filter_chain_match as { server_names?: string[] } | undefined)?.server_names ?? []);

test('on TLS: no finding, a chain per service port matching its SNI and an Istio ALPN, to the SNI-DNAT cluster of that name', () => {
  const r = run(gateway('ew', [server('TLS', ['*.local'])]), service('a', 'one'));
  assert.deepEqual(r.findings, []);
  const chains = r.chains(15443);
  assert.deepEqual(chains.map(sni), [['outbound_.8080_._.a.one.svc.cluster.local']]);
  assert.ok(((chains[0]!.filter_chain_match as { application_protocols: string[] }).application_protocols).includes('istio'));
  assert.match(JSON.stringify(chains[0]!.filters), /"cluster":"outbound_\.8080_\._\.a\.one\.svc\.cluster\.local"/);
  assert.deepEqual(r.clusters, ['outbound_.8080_._.a.one.svc.cluster.local']);
  // Only the endpoint whose Pod runs a sidecar: the gateway cannot see that the TLS is mTLS.
  assert.deepEqual(r.endpoints('outbound_.8080_._.a.one.svc.cluster.local'), ['127.0.1.10']);
  assert.deepEqual(r.endpoints('outbound|8080||a.one.svc.cluster.local'), ['127.0.1.10', '127.0.1.11']);
});

test('on HTTPS: served as on TLS (Istio IsPassThroughServer), with a MAST2048 warning to declare TLS', () => {
  const r = run(gateway('ew', [server('HTTPS', ['*'])]), service('a', 'one'));
  assert.deepEqual(r.findings, [['MAST2048', 'spec.servers[0].port.protocol']]);
  assert.deepEqual(r.chains(15443).map(sni), [['outbound_.8080_._.a.one.svc.cluster.local']]);
});

test('on HTTP: the mode does nothing (MAST2048), the server is plain HTTP and no SNI-DNAT cluster is made', () => {
  const r = run(gateway('ew', [server('HTTP', ['*'], 8080)]), service('a', 'one'));
  assert.deepEqual(r.findings, [['MAST2048', 'spec.servers[0].tls.mode']]);
  assert.deepEqual(r.clusters, []);
  assert.match(JSON.stringify(r.chains(8080)), /http_connection_manager/);
});

test("a host's namespace does not limit the server, as in Istio (MAST2049): services of every namespace are reachable", () => {
  const r = run(gateway('ew', [server('TLS', ['one/*.svc.cluster.local'])]), service('a', 'one'), service('b', 'two'));
  assert.deepEqual(r.findings, [['MAST2049', 'spec.servers[0].hosts[0]']]);
  assert.deepEqual(r.chains(15443).map(sni), [['outbound_.8080_._.a.one.svc.cluster.local'], ['outbound_.8080_._.b.two.svc.cluster.local']]);
});

test('two servers on one port covering one service: its chain once (Envoy refuses two chains with one match)', () => {
  const r = run(gateway('ew', [server('TLS', ['*.local']), server('TLS', ['a.one.svc.cluster.local']).replace('p-tls-15443', 'second')]), service('a', 'one'));
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.chains(15443).map(sni), [['outbound_.8080_._.a.one.svc.cluster.local']]);
});

test("a DestinationRule's tls decides the endpoints kept: ISTIO_MUTUAL all, DISABLE none; the cluster never has TLS of its own", () => {
  const rule = (mode: string): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: one}
spec: {host: a.one.svc.cluster.local, trafficPolicy: {tls: {mode: ${mode}}}}`;
  const name = 'outbound_.8080_._.a.one.svc.cluster.local';
  const mutual = run(gateway('ew', [server('TLS', ['*'])]), service('a', 'one'), rule('ISTIO_MUTUAL'));
  assert.deepEqual(mutual.endpoints(name), ['127.0.1.10', '127.0.1.11']);
  const { snapshot } = snapshotFromYaml([gateway('ew', [server('TLS', ['*'])]), service('a', 'one'), rule('ISTIO_MUTUAL')].join('\n---\n'));
  const cluster = translate(snapshot, GATEWAY_PROXY).clusters.find((c) => c.name === name)!.json;
  assert.equal(cluster.transport_socket, undefined);
  assert.equal(cluster.transport_socket_matches, undefined);
  assert.deepEqual(run(gateway('ew', [server('TLS', ['*'])]), service('a', 'one'), rule('DISABLE')).endpoints(name), []);
});

test('a server whose hosts cover no service of the mesh: MAST3009, and no listener', () => {
  const r = run(gateway('ew', [server('TLS', ['*.example.com'])]), service('a', 'one'));
  assert.deepEqual(r.findings, [['MAST3009', 'spec.servers[0].hosts']]);
  assert.deepEqual(r.chains(15443), []);
  assert.deepEqual(r.clusters, []);
});
