import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refKey, snapshotFromYaml, type ResolvedEndpoint, type Snapshot } from '../../src/model';
import { destinationRule, pod, service, yamlOf, type Raw } from './fixtures';

function slice(name: string, serviceName: string, ports: Raw[], endpoints: Raw[]): Raw {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports,
    endpoints,
  };
}

function load(...objects: Raw[]): Snapshot {
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(...objects));
  assert.deepEqual(diagnostics, []);
  return snapshot;
}

function endpointsOf(snapshot: Snapshot, host: string, portName: string): readonly ResolvedEndpoint[] {
  const svc = snapshot.serviceByHost(host);
  const port = svc?.ports.find((p) => p.name === portName);
  assert.ok(svc && port, `${host} ${portName}`);
  return snapshot.endpoints(svc, port);
}

const PORTS = [
  { name: 'http', port: 9080 },
  { name: 'grpc', port: 9090 },
];

test('endpoints merge the slices of a service and take labels from the Pod by targetRef, else by IP', () => {
  const snapshot = load(
    service('reviews', 'default', PORTS),
    pod('reviews-v1', '10.0.0.1', { app: 'reviews', version: 'v1' }),
    pod('reviews-v2', '10.0.0.2', { app: 'reviews', version: 'v2' }),
    slice('reviews-a', 'reviews', [{ name: 'http', port: 19080 }, { name: 'grpc', port: 19090 }], [
      { addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'reviews-v1' } },
    ]),
    slice('reviews-b', 'reviews', [{ name: 'http', port: 19080 }], [
      { addresses: ['10.0.0.2'] },
      { addresses: ['10.0.0.3'], conditions: { ready: false } },
      { addresses: ['10.0.0.1'] }, // also in reviews-a: counted once
    ]),
    slice('other', 'ratings', [{ name: 'http', port: 1 }], [{ addresses: ['10.9.9.9'] }]),
  );
  const http = endpointsOf(snapshot, 'reviews.default.svc.cluster.local', 'http');
  assert.deepEqual(
    http.map((e) => [e.address, e.port, e.ready, e.labels.version, e.sources.map(refKey)]),
    [
      ['10.0.0.1', 19080, true, 'v1', ['EndpointSlice/default/reviews-a', 'Pod/default/reviews-v1']],
      ['10.0.0.2', 19080, true, 'v2', ['EndpointSlice/default/reviews-b', 'Pod/default/reviews-v2']],
      ['10.0.0.3', 19080, false, undefined, ['EndpointSlice/default/reviews-b']],
    ],
  );
  const grpc = endpointsOf(snapshot, 'reviews.default.svc.cluster.local', 'grpc');
  assert.deepEqual(
    grpc.map((e) => [e.address, e.port]),
    [['10.0.0.1', 19090]],
  );
  assert.equal(endpointsOf(snapshot, 'reviews.default.svc.cluster.local', 'http'), http, 'answers are cached');
});

test("a subset's endpoints are those whose Pod labels match the subset's", () => {
  const snapshot = load(
    service('reviews', 'default', PORTS),
    destinationRule('reviews', 'reviews', ['v1', 'v2']),
    pod('reviews-v1', '10.0.0.1', { version: 'v1' }),
    pod('reviews-v2', '10.0.0.2', { version: 'v2' }),
    slice('reviews', 'reviews', [{ name: 'http', port: 9080 }], [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }]),
  );
  const host = 'reviews.default.svc.cluster.local';
  const rule = snapshot.destinationRuleFor(host, 'default');
  const v2 = rule?.spec.subsets?.find((s) => s.name === 'v2');
  assert.ok(v2?.labels);
  const labels = v2.labels;
  const selected = endpointsOf(snapshot, host, 'http').filter((e) => Object.entries(labels).every(([k, v]) => e.labels[k] === v));
  assert.deepEqual(
    selected.map((e) => e.address),
    ['10.0.0.2'],
  );
});

test('a slice with one unnamed port serves the service port whatever its name', () => {
  const snapshot = load(service('web', 'default', [{ name: 'http', port: 80 }]), slice('web', 'web', [{ port: 8080 }], [{ addresses: ['10.0.0.5'] }]));
  assert.deepEqual(
    endpointsOf(snapshot, 'web.default.svc.cluster.local', 'http').map((e) => `${e.address}:${e.port}`),
    ['10.0.0.5:8080'],
  );
});

test('destinationRuleFor: the client namespace first, then the service namespace, then istio-system', () => {
  const host = 'reviews.default.svc.cluster.local';
  const inClient = destinationRule('client', host, ['a'], {}, 'frontend');
  const inService = destinationRule('service', 'reviews', ['b'], {}, 'default'); // short name, own namespace
  const inRoot = destinationRule('root', host, ['c'], {}, 'istio-system');
  const svc = service('reviews');
  const ruleFrom = (ns: string, ...objects: Raw[]) => load(...objects).destinationRuleFor(host, ns)?.meta.name;

  assert.equal(ruleFrom('frontend', svc, inClient, inService, inRoot), 'client');
  assert.equal(ruleFrom('other', svc, inClient, inService, inRoot), 'service');
  assert.equal(ruleFrom('frontend', svc, inService, inRoot), 'service');
  assert.equal(ruleFrom('frontend', svc, inRoot), 'root');
  assert.equal(ruleFrom('frontend', svc), undefined);
  // A short host means the rule's own namespace: in `frontend`, `reviews` is another service.
  assert.equal(ruleFrom('frontend', svc, destinationRule('short', 'reviews', ['a'], {}, 'frontend')), undefined);
});

test('the root namespace is a setting: a rule in mesh-root applies mesh-wide when the store says so, not by default', () => {
  const host = 'reviews.default.svc.cluster.local';
  const text = yamlOf(service('reviews'), destinationRule('root', host, ['c'], {}, 'mesh-root'));
  assert.equal(snapshotFromYaml(text).snapshot.destinationRuleFor(host, 'frontend'), undefined);
  const custom = snapshotFromYaml(text, 'input.yaml', { rootNamespace: 'mesh-root', trustDomain: 'example.org' }).snapshot;
  assert.equal(custom.destinationRuleFor(host, 'frontend')?.meta.name, 'root');
  assert.deepEqual([custom.rootNamespace, custom.trustDomain], ['mesh-root', 'example.org']);
  assert.deepEqual([snapshotFromYaml(text).snapshot.rootNamespace, snapshotFromYaml(text).snapshot.trustDomain], ['istio-system', 'cluster.local']);
});

test('destinationRuleFor honours exportTo and matches wildcard hosts, most specific first', () => {
  const host = 'reviews.default.svc.cluster.local';
  const privateRule = destinationRule('private', 'reviews', ['b'], { exportTo: ['.'] });
  const rootWide = destinationRule('wide', '*.svc.cluster.local', ['c'], {}, 'istio-system');
  const rootNarrow = destinationRule('narrow', '*.default.svc.cluster.local', ['c'], {}, 'istio-system');
  const snapshot = load(service('reviews'), privateRule, rootWide, rootNarrow);
  assert.equal(snapshot.destinationRuleFor(host, 'default')?.meta.name, 'private');
  assert.equal(snapshot.destinationRuleFor(host, 'frontend')?.meta.name, 'narrow');
  assert.equal(snapshot.destinationRuleFor('ratings.shop.svc.cluster.local', 'frontend')?.meta.name, 'wide');
});

test('snapshots are frozen', () => {
  const snapshot = load(service('reviews'));
  assert.throws(() => (snapshot.services() as unknown[]).push({}));
  assert.ok(Object.isFrozen(snapshot.services()[0]));
  assert.ok(Object.isFrozen(snapshot.services()[0]?.ports[0]));
});

test("a workload's own Services: same namespace, a non-empty selector all among its labels; one answer per label set", () => {
  const withSelector = (name: string, selector: Record<string, string>, namespace = 'default'): Raw => {
    const s = service(name, namespace);
    return { ...s, spec: { ...(s.spec as Raw), selector } };
  };
  const snapshot = load(
    withSelector('reviews', { app: 'reviews' }),
    withSelector('reviews-v2', { app: 'reviews', version: 'v2' }),
    withSelector('reviews-v3', { app: 'reviews', version: 'v3' }),
    withSelector('everything', {}),
    withSelector('reviews', { app: 'reviews' }, 'other'),
  );
  const names = (labels: Record<string, string>): string[] => snapshot.servicesSelecting('default', labels).map((s) => s.meta.name).sort();
  assert.deepEqual(names({ app: 'reviews', version: 'v2', pod: 'x' }), ['reviews', 'reviews-v2']);
  assert.deepEqual(names({ app: 'ratings' }), []);
  assert.equal(
    snapshot.servicesSelecting('default', { version: 'v2', app: 'reviews' }),
    snapshot.servicesSelecting('default', { app: 'reviews', version: 'v2' }),
    'the same labels in another order share the answer',
  );
});
