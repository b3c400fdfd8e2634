import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigStore, parseDocuments, snapshotFromYaml } from '../../src/model';
import { pod, service, yamlOf } from './fixtures';

test('a Service gets its hostname from name, namespace (default `default`) and domain', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80, targetPort: 'http' }] } };
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(svc, service('api', 'shop')), 'in.yaml', { domain: 'mesh.test' });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    snapshot.services().map((s) => s.hostname),
    ['api.shop.svc.mesh.test', 'web.default.svc.mesh.test'], // in creation order: read together, so by name, then namespace
  );
  assert.deepEqual(snapshot.serviceByHost('web.default.svc.mesh.test')?.ports, [{ port: 80, targetPort: 'http', protocol: 'TCP' }]);
  assert.equal(snapshot.domain, 'mesh.test');
});

test('Service ports must be unique and in range', () => {
  const svc = service('web', 'default', [
    { name: 'http', port: 80 },
    { name: 'http2', port: 80 },
    { name: 'big', port: 70000 },
  ]);
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(svc));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.field]),
    [
      ['MAST2011', 'spec.ports[2].port'],
      ['MAST2013', 'spec.ports[1]'],
    ],
  );
  assert.equal(snapshot.services().length, 0);
});

test('a Pod: IP, service account (default `default`), readiness from its Ready condition, container ports', () => {
  const notReady = { ...pod('b', '10.0.0.2', {}), status: { podIP: '10.0.0.2', conditions: [{ type: 'Ready', status: 'False' }] } };
  const withAccount = { ...pod('c', '10.0.0.3', {}), spec: { serviceAccountName: 'reviews', containers: [] } };
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(pod('a', '10.0.0.1', { app: 'a' }), notReady, withAccount));
  assert.deepEqual(diagnostics, []);
  const a = snapshot.podByIp('10.0.0.1');
  assert.equal(a?.serviceAccount, 'default');
  assert.equal(a?.ready, true);
  assert.deepEqual(a?.containerPorts, [{ name: 'http', containerPort: 9080, protocol: 'TCP' }]);
  assert.deepEqual(a?.meta.labels, { app: 'a' });
  assert.equal(snapshot.podByIp('10.0.0.2')?.ready, false);
  assert.equal(snapshot.podByIp('10.0.0.3')?.serviceAccount, 'reviews');
});

test('an EndpointSlice: service from its label, readiness defaulting to true, Pod from targetRef', () => {
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [
      { addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-a' } },
      { addresses: ['10.0.0.2'], conditions: { ready: false }, nodeName: 'n1' },
    ],
  };
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(service('web', 'shop'), slice));
  assert.deepEqual(diagnostics, []);
  const svc = snapshot.services()[0];
  assert.ok(svc);
  const eps = snapshot.endpoints(svc, svc.ports[0] as never);
  assert.deepEqual(
    eps.map((e) => [e.address, e.port, e.ready]),
    [
      ['10.0.0.1', 8080, true],
      ['10.0.0.2', 8080, false],
    ],
  );
});

test('an EndpointSlice without the service-name label is an error naming the label', () => {
  const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's' }, addressType: 'IPv4', endpoints: [] };
  const { diagnostics } = snapshotFromYaml(yamlOf(slice));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.field]),
    [['MAST2014', 'metadata.labels']],
  );
});

test('fields of the wrong type are reported at their path, e.g. a label value that is not a string', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { release: 1 } }, spec: { ports: [{ port: '80' }] } };
  const { diagnostics } = snapshotFromYaml(yamlOf(svc));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.field]),
    [
      ['MAST1006', 'metadata.labels.release'],
      ['MAST1006', 'spec.ports[0].port'],
    ],
  );
});

test('unknown kinds and unsupported apiVersions are warnings naming them, never silently dropped', () => {
  const { snapshot, diagnostics } = snapshotFromYaml(
    yamlOf(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
      { apiVersion: 'discovery.k8s.io/v1beta1', kind: 'EndpointSlice', metadata: { name: 's' } },
      { metadata: { name: 'no-kind' } },
      { apiVersion: 'v1', kind: 'Service', metadata: {} },
      service('ok'),
    ),
  );
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.severity]),
    [
      ['MAST1003', 'warning'],
      ['MAST1004', 'warning'],
      ['MAST1002', 'error'],
      ['MAST1005', 'error'],
    ],
  );
  assert.match(diagnostics[0]?.message ?? '', /Deployment \(apps\/v1\)/);
  assert.match(diagnostics[1]?.message ?? '', /discovery\.k8s\.io\/v1beta1/);
  assert.equal(snapshot.services().length, 1);
});

test('an EndpointSlice address that is not an IP of its family refuses the slice (MAST2101); its last good version keeps serving', () => {
  const slice = (address: string, type = 'IPv4') => `${yamlOf(service('a'))}---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s, namespace: default, labels: {kubernetes.io/service-name: a}}
addressType: ${type}
ports: [{name: http, port: 9080}]
endpoints: [{addresses: [127.0.1.1]}, {addresses: ["${address}"]}]
`;
  const store = new ConfigStore();
  const served = (text: string) => {
    const { objects, diagnostics } = parseDocuments(text, 's.yaml');
    store.replaceSource('s.yaml', objects, diagnostics);
    const snapshot = store.snapshot();
    const svc = snapshot.services()[0]!;
    return snapshot.endpoints(svc, svc.ports[0]!).map((e) => e.address);
  };
  assert.deepEqual(served(slice('127.0.1.2')), ['127.0.1.1', '127.0.1.2']);
  for (const [bad, type] of [['300.300.300.300', 'IPv4'], ['::1', 'IPv4'], ['10.0.0.1', 'IPv6'], ['a.example.com', 'IPv4']] as const) {
    assert.deepEqual(served(slice(bad, type)), ['127.0.1.1', '127.0.1.2'], `${bad}: the last good slice is served`);
    const findings = store.diagnostics().map((d) => `${d.code} ${d.field}`);
    assert.ok(findings.includes('MAST2101 endpoints[1].addresses[0]') && findings.every((f) => f.startsWith('MAST2101 ')), `${bad}: ${findings.join(', ')}`);
  }
  // FQDN slices hold names: read, but not served as endpoints.
  assert.deepEqual(served(slice('a.example.com', 'FQDN')), []);
  assert.deepEqual(store.diagnostics(), []);
});

test('an EndpointSlice port outside 1..65535 refuses the slice (MAST2011), as the API server would', () => {
  const { diagnostics } = snapshotFromYaml(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s, namespace: default, labels: {kubernetes.io/service-name: a}}
addressType: IPv4
ports: [{name: http, port: 70000}]
endpoints: [{addresses: [127.0.1.6]}]
`);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.field]), [['MAST2011', 'ports[0].port']]);
});
