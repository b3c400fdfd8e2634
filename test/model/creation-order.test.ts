// No object silently takes over what another serves: VirtualServices and Services are ordered as
// Istio orders them (creation time, else when Mast first admitted them, then name and namespace),
// the later of two claiming one sidecar host is reported (MAST3002, Istio's IST0109), and names
// and cluster IPs are checked as the Kubernetes API server checks them (MAST2103-2105).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigStore, parseDocuments, refKey, snapshotFromYaml, type Diagnostic } from '../../src/model';
import { service, yamlOf, type Raw } from './fixtures';

/** Writes `file` in a tick of its own, as a file event would arrive. */
function put(store: ConfigStore, file: string, ...objects: Raw[]): void {
  const { objects: raws, diagnostics } = parseDocuments(yamlOf(...objects), file);
  store.replaceSource(file, raws, diagnostics);
  store.snapshot();
}

const codes = (ds: readonly Diagnostic[]): [string, string | undefined, string | undefined][] => ds.map((d) => [d.code, d.object && refKey(d.object), d.field]);
const names = (store: ConfigStore): string[] => store.snapshot().virtualServices().map((vs) => vs.meta.name);

/** A VirtualService `name` for `hosts`, routing to details. */
function details(name: string, hosts: string[], meta: Raw = {}, spec: Raw = {}): Raw {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'default', ...meta },
    spec: { hosts, http: [{ route: [{ destination: { host: 'details' } }] }], ...spec },
  };
}

test('a VirtualService added later never takes a sidecar host from a live one, whatever its name', () => {
  for (const name of ['a-details', 'z-details']) {
    const store = new ConfigStore();
    put(store, 'live.yaml', service('details'), details('details', ['details']));
    put(store, 'new.yaml', details(name, ['details.default.svc.cluster.local']));
    assert.deepEqual(names(store), ['details', name], name);
    const [conflict] = store.diagnostics();
    assert.deepEqual(codes(store.diagnostics()), [['MAST3002', `VirtualService/default/${name}`, 'spec.hosts[0]']]);
    assert.equal(conflict?.severity, 'warning');
    assert.match(conflict?.message ?? '', /VirtualService\/default\/details, which is older/);
    assert.match(conflict?.message ?? '', /IST0109 ConflictingMeshGatewayVirtualServiceHosts/);
  }
});

test('objects read together are ordered by name, then namespace, whatever order they were read in', () => {
  const objects = [details('b', ['details'], { namespace: 'x' }), details('b', ['details.default.svc.cluster.local']), details('a', ['other'], { namespace: 'y' })];
  for (const order of [objects, [...objects].reverse()]) {
    const { snapshot } = snapshotFromYaml(yamlOf(...order));
    assert.deepEqual(
      snapshot.virtualServices().map((vs) => `${vs.meta.namespace}/${vs.meta.name}`),
      ['y/a', 'default/b', 'x/b'],
    );
  }
  const store = new ConfigStore();
  store.replaceSource('two.yaml', parseDocuments(yamlOf(objects[1] as Raw), 'two.yaml').objects);
  store.replaceSource('one.yaml', parseDocuments(yamlOf(objects[0] as Raw), 'one.yaml').objects);
  assert.deepEqual(names(store), ['b', 'b'], 'two files of one tick share a generation');
  assert.deepEqual(codes(store.diagnostics()), [], 'x/b is seen by every namespace but names another namespace\'s details');
});

test('a creation timestamp orders before admission does; none counts as the oldest, as Go\'s zero time', () => {
  const store = new ConfigStore();
  put(store, 'a.yaml', details('newer', ['details'], { creationTimestamp: '2024-05-01T12:00:00Z' }));
  put(store, 'b.yaml', details('older', ['details'], { creationTimestamp: '2024-05-01T11:59:59+00:00' }));
  assert.deepEqual(names(store), ['older', 'newer'], 'the timestamp, not when Mast saw it');
  put(store, 'c.yaml', details('stampless', ['details']));
  assert.deepEqual(names(store), ['stampless', 'older', 'newer']);
  assert.deepEqual(
    codes(store.diagnostics()).map(([code, ref]) => [code, ref]),
    [['MAST3002', 'VirtualService/default/newer'], ['MAST3002', 'VirtualService/default/older']],
  );
});

test('an update keeps an object\'s place; a removal forgets it', () => {
  const store = new ConfigStore();
  put(store, 'z.yaml', details('z', ['details']));
  put(store, 'a.yaml', details('a', ['details']));
  assert.deepEqual(names(store), ['z', 'a']);
  put(store, 'z.yaml', details('z', ['details'], {}, { http: [{ route: [{ destination: { host: 'details' } }], timeout: '2s' }] }));
  assert.deepEqual(names(store), ['z', 'a'], 'edited, z is still the older');
  put(store, 'z.yaml');
  put(store, 'z.yaml', details('z', ['details']));
  assert.deepEqual(names(store), ['a', 'z'], 'removed and added again, z is new');
});

test('admission previews an object that does not exist yet as the newest', () => {
  const store = new ConfigStore();
  put(store, 'live.yaml', details('z', ['details']));
  const parsed = snapshotFromYaml(yamlOf(details('a', ['details']))).snapshot.virtualServices()[0];
  assert.ok(parsed);
  assert.deepEqual(store.preview(parsed).virtualServices().map((vs) => vs.meta.name), ['z', 'a']);
});

test('a creation timestamp must be an RFC 3339 time', () => {
  const { diagnostics } = snapshotFromYaml(yamlOf(details('d', ['details'], { creationTimestamp: 'yesterday' })));
  assert.deepEqual(codes(diagnostics), [['MAST1006', 'VirtualService/default/d', 'metadata.creationTimestamp']]);
});

test('only VirtualServices that sidecars in some one namespace both see conflict (IST0109\'s scopes)', () => {
  const conflicts = (...objects: Raw[]): string[] => snapshotFromYaml(yamlOf(...objects)).diagnostics.map((d) => `${d.code} ${d.object?.name}`);
  assert.deepEqual(conflicts(details('a', ['details'], {}, { exportTo: ['.'] }), details('b', ['details'], {}, { exportTo: ['other'] })), []);
  assert.deepEqual(conflicts(details('a', ['details'], {}, { exportTo: ['.'] }), details('b', ['details'], {}, { exportTo: ['default'] })), ['MAST3002 b']);
  assert.deepEqual(conflicts(details('a', ['details'], {}, { exportTo: ['other'] }), details('b', ['details'])), ['MAST3002 b']);
  assert.deepEqual(conflicts(details('a', ['details'], {}, { gateways: ['gw'] }), details('b', ['details'])), [], 'a gateway merges them');
  assert.deepEqual(conflicts(details('a', ['details'], {}, { gateways: ['gw', 'mesh'] }), details('b', ['details'])), ['MAST3002 b']);
  assert.deepEqual(conflicts(details('a', ['*.example.com']), details('b', ['*.example.com'])), ['MAST3002 b']);
  assert.deepEqual(conflicts(details('a', ['*.svc.cluster.local']), details('b', ['details'])), [], 'the exact host wins over a wildcard, whatever their age');
});

test('names are what the API server accepts: Services DNS-1035 labels, namespaces DNS-1123 labels, others DNS-1123 subdomains', () => {
  const refused = (raw: Raw): [string, string | undefined, string][] => snapshotFromYaml(yamlOf(raw)).diagnostics.map((d) => [d.code, d.field, d.message]);
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(service('DETAILS'), service('details')));
  assert.deepEqual(codes(diagnostics), [['MAST2103', 'Service/default/DETAILS', 'metadata.name']]);
  assert.equal(diagnostics[0]?.severity, 'error');
  assert.match(diagnostics[0]?.message ?? '', /^Invalid value "DETAILS": a DNS-1035 label must consist of lower case alphanumeric characters/);
  assert.deepEqual(snapshot.services().map((s) => s.meta.name), ['details'], 'the refused Service is not served');

  assert.deepEqual(refused(service('1st'))[0]?.slice(0, 2), ['MAST2103', 'metadata.name'], 'a Service name starts with a letter');
  assert.deepEqual(refused(service('a.b'))[0]?.slice(0, 2), ['MAST2103', 'metadata.name']);
  assert.deepEqual(refused(service('x'.repeat(64)))[0]?.[2], `Invalid value "${'x'.repeat(64)}": must be no more than 63 characters (the Kubernetes API server's IsDNS1035Label)`);
  assert.deepEqual(refused(service('x'.repeat(63))), []);
  assert.deepEqual(refused(details('1st.v2', ['details'])), [], 'other kinds take DNS-1123 subdomains');
  assert.deepEqual(refused(details('x'.repeat(254), ['details']))[0]?.slice(0, 2), ['MAST2103', 'metadata.name']);
  assert.deepEqual(refused(details('Details', ['details']))[0]?.slice(0, 2), ['MAST2103', 'metadata.name']);
  assert.deepEqual(refused(details('d', ['details'], { namespace: 'a.b' })), [
    ['MAST2103', 'metadata.namespace', "Invalid value \"a.b\": must not contain dots (the Kubernetes API server's IsDNS1123Label)"],
  ]);
  assert.deepEqual(refused(service('d', 'Default'))[0]?.slice(0, 2), ['MAST2103', 'metadata.namespace']);
});

/** A Service `name` with `clusterIP`. */
function addressed(name: string, clusterIP: string): Raw {
  const svc = service(name);
  return { ...svc, spec: { ...(svc.spec as Raw), clusterIP } };
}

test('a clusterIP is an IP address, None or empty', () => {
  const { diagnostics } = snapshotFromYaml(yamlOf(addressed('a', 'details'), addressed('b', 'fe80::1%eth0'), addressed('c', 'None'), addressed('d', ''), addressed('e', '10.0.0.1')));
  assert.deepEqual(codes(diagnostics), [
    ['MAST2104', 'Service/default/a', 'spec.clusterIP'],
    ['MAST2104', 'Service/default/b', 'spec.clusterIP'],
  ]);
});

test('a clusterIP held by an older Service is not the later one\'s: reported, and left out of what it serves', () => {
  const store = new ConfigStore();
  put(store, 'z.yaml', addressed('z', '10.96.0.10'));
  put(store, 'a.yaml', addressed('a', '10.96.0.10'), addressed('b', '2001:db8::1'), addressed('c', '2001:db8:0::1'));
  const clusterIPs = (): Record<string, string | undefined> => Object.fromEntries(store.snapshot().services().map((s) => [s.meta.name, s.kind === 'Service' ? s.clusterIP : undefined]));
  assert.deepEqual(clusterIPs(), { z: '10.96.0.10', a: undefined, b: '2001:db8::1', c: undefined });
  assert.deepEqual(codes(store.diagnostics()), [
    ['MAST2105', 'Service/default/a', 'spec.clusterIP'],
    ['MAST2105', 'Service/default/c', 'spec.clusterIP'],
  ]);
  assert.match(store.diagnostics()[0]?.message ?? '', /already allocated to Service\/default\/z, which is older/);
  put(store, 'z.yaml');
  assert.deepEqual(clusterIPs(), { a: '10.96.0.10', b: '2001:db8::1', c: undefined }, 'once z is gone, a has its address');
});
