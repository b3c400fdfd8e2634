import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml, type Diagnostic } from '../../src/model';
import { destinationRule, service, virtualService, yamlOf, type Raw } from './fixtures';

function findings(...objects: Raw[]): [string, string | undefined][] {
  return snapshotFromYaml(yamlOf(...objects)).diagnostics.map((d: Diagnostic) => [d.code, d.field]);
}

test('Istio objects load from v1, v1beta1 and v1alpha3 alike; other versions are refused by name', () => {
  const versions = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
  const { snapshot, diagnostics } = snapshotFromYaml(
    yamlOf(...versions.map((apiVersion, i) => ({ ...destinationRule(`dr${i}`, `h${i}`, ['v1']), apiVersion }))),
  );
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    snapshot.destinationRules().map((d) => d.apiVersion),
    versions,
  );
  const v2 = { ...destinationRule('dr', 'h', ['v1']), apiVersion: 'networking.istio.io/v2' };
  assert.deepEqual(findings(v2), [['MAST1004', undefined]]);
});

test("a value the schema refuses is an error at that field; the object stays out", () => {
  const vs = virtualService('r', 'reviews', { v1: undefined });
  (vs.spec as { http: Raw[] }).http[0] = { route: [{ destination: { host: 'reviews' }, weight: 'half' }] };
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(vs));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.field, d.message]),
    [['MAST1006', 'spec.http[0].route[0].weight', 'must be integer']],
  );
  assert.equal(snapshot.virtualServices().length, 0);
});

test('exclusive alternatives set together get one finding that names them', () => {
  const vs = virtualService('r', 'reviews', { v1: undefined }, { match: [{ uri: { exact: '/a', prefix: '/b' } }] });
  const { diagnostics } = snapshotFromYaml(yamlOf(vs));
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]?.field, 'spec.http[0].match[0].uri');
  assert.match(diagnostics[0]?.message ?? '', /exact, prefix/);
});

test('fields Istio has but Mast does not implement, and fields nobody has, are warnings; the object still applies', () => {
  // A TCP match's sourceSubnet is a field Mast does not translate.
  const vs = virtualService('r', 'reviews', { v1: undefined }, { retrys: { attempts: 3 } });
  (vs.spec as Raw).tcp = [{ match: [{ sourceSubnet: '10.0.0.0/8' }], route: [{ destination: { host: 'db' } }] }];
  const dr = destinationRule('r', 'reviews', ['v1'], { trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', sticky: true } } });
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(vs, dr));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.severity, d.field]),
    [
      ['MAST1007', 'warning', 'spec.http[0].retrys'],
      ['MAST1008', 'warning', 'spec.tcp[0].match[0].sourceSubnet'],
      ['MAST1007', 'warning', 'spec.trafficPolicy.loadBalancer.sticky'],
    ],
  );
  assert.match(diagnostics[0]?.message ?? '', /not a field of VirtualService/);
  assert.match(diagnostics[1]?.message ?? '', /not supported by Mast yet and is ignored/);
  assert.equal(snapshot.virtualServices().length, 1);
  assert.equal(snapshot.destinationRules().length, 1);
});

test('supported fields draw no warning', () => {
  const vs = virtualService('r', 'reviews', { v1: 100 }, {
    name: 'main',
    match: [{ uri: { prefix: '/' }, headers: { 'end-user': { exact: 'jason' } }, port: 9080, ignoreUriCase: true }],
    timeout: '1.5s',
    retries: { attempts: 3, perTryTimeout: '300ms' },
    fault: { delay: { fixedDelay: '2m', percentage: { value: 10 } } },
    mirror: { host: 'reviews', subset: 'v1' },
    mirrorPercentage: { value: 5 },
    headers: { request: { set: { a: 'b' } } },
  });
  const dr = destinationRule('r', 'reviews', ['v1'], {
    trafficPolicy: { connectionPool: { tcp: { connectTimeout: '1h' } }, outlierDetection: { interval: '10s', consecutive5xxErrors: 3 } },
  });
  assert.deepEqual(findings(vs, dr, service('reviews')), []);
});

test('VirtualService meaning: a hostless one is a delegate, a route per rule, relative weights, hosts of destinations, durations', () => {
  const subsets = destinationRule('reviews', 'reviews', ['v1', 'v2']);
  const delegate = { ...virtualService('a', 'reviews', { v1: undefined }), spec: { http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] } };
  const noRoute = { ...virtualService('b', 'reviews', {}), spec: { hosts: ['x'], http: [{ timeout: '1s' }] } };
  const redirect = { ...virtualService('c', 'reviews', {}), spec: { hosts: ['x'], http: [{ redirect: { uri: '/' } }] } };
  const emptyHost = { ...virtualService('d', 'reviews', {}), spec: { hosts: ['x'], http: [{ route: [{ destination: { host: '' } }] }] } };
  const badTimeout = virtualService('e', 'reviews', { v1: undefined }, { timeout: '5 seconds' });
  const unweighted = virtualService('f', 'reviews', { v1: undefined, v2: undefined });
  const partial = virtualService('g', 'reviews', { v1: 100, v2: undefined });
  const relative = virtualService('h', 'reviews', { v1: 10, v2: 0 });
  const negative = virtualService('i', 'reviews', { v1: -50, v2: 150 });
  assert.deepEqual(findings(subsets, delegate, noRoute, redirect, emptyHost, badTimeout, unweighted, partial, relative, negative), [
    ['MAST2002', 'spec.hosts'],
    ['MAST2003', 'spec.http[0]'],
    ['MAST2005', 'spec.http[0].route[0].destination.host'],
    ['MAST2006', 'spec.http[0].timeout'],
    ['MAST2001', 'spec.http[0].route'],
    ['MAST3002', 'spec.hosts[0]'], // h names reviews, which g, older by name, routes on sidecars
    ['MAST2001', 'spec.http[0].route[0].weight'],
  ]);
  const { snapshot } = snapshotFromYaml(yamlOf(subsets, delegate, partial, relative));
  assert.deepEqual(
    snapshot.virtualServices().map((v) => v.meta.name),
    ['a', 'g', 'h'],
    'a delegate (with its warning) and relative weights are admitted',
  );
});

test('regexes are checked wherever a StringMatch is, with RE2 rules', () => {
  const vs = virtualService('r', 'reviews', { v1: undefined }, {
    match: [{ uri: { regex: '(?i)^/api/(?P<v>v[0-9]+)/.*' }, headers: { cookie: { regex: '(a)\\1' } } }],
  });
  assert.deepEqual(
    findings(vs, destinationRule('r', 'reviews', ['v1'])),
    [['MAST2004', 'spec.http[0].match[0].headers.cookie.regex']],
  );
});

test('DestinationRule meaning: host, subset names present and unique, durations; a subset without labels selects every endpoint', () => {
  const dr = {
    ...destinationRule('r', 'reviews', []),
    spec: {
      host: 'reviews',
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v1', labels: { version: 'v2' } }, { name: 'v3' }],
      trafficPolicy: { outlierDetection: { baseEjectionTime: '30' } },
    },
  };
  const noHost = { ...destinationRule('s', '', ['v1']) };
  const all = { ...destinationRule('t', 'ratings', []), spec: { host: 'ratings', subsets: [{ name: 'all' }] } };
  assert.deepEqual(findings(dr, noHost, all), [
    ['MAST2006', 'spec.trafficPolicy.outlierDetection.baseEjectionTime'],
    ['MAST2009', 'spec.subsets[1].name'],
    ['MAST2007', 'spec.host'],
  ]);
});

test('Gateway meaning: server ports in 1..65535 and at least one host', () => {
  const gw = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'istio-system' },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] },
        { port: { number: 0, name: 'zero', protocol: 'HTTP' }, hosts: [] },
      ],
    },
  };
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(gw));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.field]),
    [
      ['MAST2012', 'spec.servers[1].hosts'],
      ['MAST2011', 'spec.servers[1].port.number'],
    ],
  );
  assert.equal(snapshot.gateways().length, 0);
});

test('metadata is checked once: a label value that is not a string is one finding', () => {
  const dr = destinationRule('r', 'reviews', ['v1']);
  (dr.metadata as Raw).labels = { release: 1 };
  assert.deepEqual(findings(dr), [['MAST1006', 'metadata.labels.release']]);
});

test('Sidecar, the last kind that drew MAST1011 (now retired), is translated: a valid one draws no finding', () => {
  const sidecar = { apiVersion: 'networking.istio.io/v1beta1', kind: 'Sidecar', metadata: { name: 's', namespace: 'default' }, spec: { egress: [{ hosts: ['./*'] }] } };
  assert.deepEqual(snapshotFromYaml(yamlOf(sidecar)).diagnostics, []);
});

test('the security kinds are checked against their schema, and a field Mast does not translate yet is named (MAST1008)', () => {
  const objects = [
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'pa', namespace: 'default' }, spec: { mtls: { mode: 'STRICT' } } },
    { apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name: 'ap', namespace: 'default' }, spec: { action: 'DENY', rules: [{}] } },
    { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'ra', namespace: 'default' }, spec: { jwtRules: [{ issuer: 'https://issuer.example.com' }] } },
  ];
  const { snapshot, diagnostics } = snapshotFromYaml(yamlOf(...objects));
  assert.ok(diagnostics.every((d) => d.severity === 'warning'), diagnostics.map((d) => d.message).join('; '));
  assert.equal(snapshot.peerAuthentications().length + snapshot.authorizationPolicies().length + snapshot.requestAuthentications().length, 3);

  const bad = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'default' }, spec: { action: 'BLOCK' } };
  assert.deepEqual(
    snapshotFromYaml(yamlOf(bad)).diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.field, d.message]),
    [['MAST1006', 'spec.action', 'is "BLOCK"; must be one of ALLOW, DENY, AUDIT, CUSTOM']],
  );
  assert.deepEqual(findings({ ...bad, apiVersion: 'security.istio.io/v1alpha1' }), [['MAST1004', undefined]]);
});
