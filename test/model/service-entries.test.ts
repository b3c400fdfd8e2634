// ServiceEntry and WorkloadEntry: Istio's validation findings (coded, at their fields), their
// hosts in the registry, and the mesh's outbound traffic policy on a sidecar's catch-all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import { meshConfigMap } from '../support/mesh-config-map';
import type { ProxyClass } from '../../src/translate/types';

function entry(spec: string, kind = 'ServiceEntry'): string {
  return `apiVersion: networking.istio.io/v1\nkind: ${kind}\nmetadata: {name: e, namespace: default}\nspec: ${spec}\n`;
}

/** The findings of one object: `CODE field`. */
function findings(yaml: string): string[] {
  return snapshotFromYaml(yaml).diagnostics.map((d) => `${d.code} ${d.field ?? ''}`);
}

describe('ServiceEntry validation (ValidateServiceEntry)', () => {
  const cases: [string, string, string][] = [
    ['DNS without endpoints and a wildcard host', '{hosts: ["*.example.com"], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}', 'MAST2046 spec.hosts[0]'],
    ['the full wildcard', '{hosts: ["*"], ports: [{number: 80, name: http, protocol: HTTP}], resolution: NONE}', 'MAST2046 spec.hosts[0]'],
    // Istio's schema has hosts minItems 1, so its schema check finds this first.
    ['no hosts', '{hosts: [], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}', 'MAST1006 spec.hosts'],
    ['NONE with endpoints', '{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: NONE, endpoints: [{address: 10.0.0.1}]}', 'MAST2046 spec.endpoints'],
    ['a STATIC endpoint named, not addressed', '{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: b.example.com}]}', 'MAST2046 spec.endpoints[0].address'],
    ['an endpoint port the entry does not have', '{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 10.0.0.1, ports: {grpc: 90}}]}', 'MAST2046 spec.endpoints[0].ports.grpc'],
    ['two DNS_ROUND_ROBIN endpoints', '{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS_ROUND_ROBIN, endpoints: [{address: b.example.com}, {address: c.example.com}]}', 'MAST2046 spec.endpoints'],
    ['a repeated port number', '{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http2, protocol: HTTP}], resolution: DNS}', 'MAST2046 spec.ports[1].number'],
    ['an unknown protocol', '{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: FTP}], resolution: DNS}', 'MAST2046 spec.ports[0].protocol'],
    ['CIDR addresses with DNS', '{hosts: [a.example.com], addresses: [10.0.0.0/24], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}', 'MAST2046 spec.addresses'],
    ['endpoints and a workloadSelector', '{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, workloadSelector: {labels: {app: a}}, endpoints: [{address: 10.0.0.1}]}', 'MAST2046 spec.workloadSelector'],
    ['two hosts on a TCP port', '{hosts: [a.example.com, b.example.com], addresses: [10.0.0.1], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: DNS}', 'MAST2046 spec.ports[0]'],
    ['DYNAMIC_DNS, which Mast does not translate', '{hosts: ["*.example.com"], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DYNAMIC_DNS}', 'MAST1008 spec.resolution'],
  ];
  for (const [what, spec, expected] of cases) {
    it(`reports ${what}`, () => assert.ok(findings(entry(spec)).includes(expected), `${expected} in ${JSON.stringify(findings(entry(spec)))}`));
  }

  it('keeps an invalid entry out of the registry', () => {
    const { snapshot } = snapshotFromYaml(entry('{hosts: ["*.example.com"], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}'));
    assert.equal(snapshot.services().length, 0);
  });

  it('accepts the task\'s entry and an endpoint field it does not translate draws MAST1008', () => {
    assert.deepEqual(findings(entry('{hosts: [httpbin.org], ports: [{number: 80, name: http-port, protocol: HTTP}], resolution: DNS, location: MESH_EXTERNAL}')), []);
    assert.ok(findings(entry('{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 10.0.0.1, locality: r/z}]}')).includes('MAST1008 spec.endpoints[0].locality'));
  });
});

describe('WorkloadEntry validation (ValidateWorkloadEntry)', () => {
  it('needs an address, takes names, and checks ports and labels', () => {
    assert.ok(findings(entry('{labels: {app: a}}', 'WorkloadEntry')).includes('MAST2047 spec.address'));
    assert.deepEqual(findings(entry('{address: vm.example.com, ports: {http: 8080}}', 'WorkloadEntry')), []);
    assert.ok(findings(entry('{address: 10.0.0.1, ports: {Http_Port: 8080}}', 'WorkloadEntry')).includes('MAST2047 spec.ports.Http_Port'));
    assert.ok(findings(entry('{address: "not an address"}', 'WorkloadEntry')).includes('MAST2047 spec.address'));
  });
});

describe('the registry', () => {
  it('has a service per host of an entry, seen where exportTo says', () => {
    const { snapshot } = snapshotFromYaml(entry('{hosts: [a.example.com, b.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS, exportTo: [.]}'));
    assert.deepEqual(snapshot.services().map((s) => [s.kind, s.hostname]), [['ServiceEntry', 'a.example.com'], ['ServiceEntry', 'b.example.com']]);
    const clusters = (namespace: string) => translate(snapshot, { ...SIDECAR, namespace }).clusters.map((c) => c.name).filter((n) => n.startsWith('outbound'));
    assert.deepEqual(clusters('default'), ['outbound|80||a.example.com', 'outbound|80||b.example.com']);
    assert.deepEqual(clusters('other'), []);
  });
});

const SIDECAR: ProxyClass = { role: 'sidecar', namespace: 'default', labels: { app: 'sleep' }, ips: ['127.0.1.1'], interceptionMode: 'REDIRECT', localAddress: '127.0.0.1', outboundAddress: '0.0.0.0' };
const WITH_SERVICE = entry('{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}');

describe('outboundTrafficPolicy', () => {
  /** The catch-all of the sidecar's port-80 route table, and virtualOutbound's cluster. */
  function unknownHosts(mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' | undefined, proxy: ProxyClass): [unknown, unknown] {
    const { snapshot } = snapshotFromYaml(mode ? `${WITH_SERVICE}---\n${meshConfigMap(`outboundTrafficPolicy: {mode: ${mode}}`)}` : WITH_SERVICE);
    const set = translate(snapshot, proxy);
    const table = set.routes.find((r) => r.name === '80')?.json as { virtual_hosts: { name: string; routes: unknown[] }[] };
    const catchAll = table.virtual_hosts.find((v) => v.name === 'allow_any' || v.name === 'block_all');
    const outbound = set.listeners.find((l) => l.name === 'virtualOutbound')?.json as { filter_chains: { filters: { typed_config: { cluster: string } }[] }[] } | undefined;
    return [catchAll?.routes[0], outbound?.filter_chains[0]?.filters[0]?.typed_config.cluster];
  }

  it('passes unknown hosts through under capture by default (ALLOW_ANY)', () => {
    const [route, cluster] = unknownHosts(undefined, SIDECAR);
    assert.deepEqual(route, { name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster', timeout: '0s' } });
    assert.equal(cluster, 'PassthroughCluster');
  });

  it('answers 502 and closes unknown ports under REGISTRY_ONLY (block_all, BlackHoleCluster)', () => {
    const [route, cluster] = unknownHosts('REGISTRY_ONLY', SIDECAR);
    assert.deepEqual(route, { name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } });
    assert.equal(cluster, 'BlackHoleCluster');
  });

  it('blocks without capture even under ALLOW_ANY: there is no original destination to pass to', () => {
    const [route] = unknownHosts('ALLOW_ANY', { ...SIDECAR, interceptionMode: 'NONE', outboundAddress: '127.0.3.1' });
    assert.deepEqual(route, { name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } });
  });
});
