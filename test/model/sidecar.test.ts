// The Sidecar kind in the model: checked as Istio's ValidateSidecar checks it (each case states
// what Istio decides at the pinned revision, pkg/config/validation/validation.go), picked for a
// workload as Istio's getSidecarScope picks it, two for one workload reported (MAST3006), and a
// bad edit keeping the last good version serving.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigStore, parseDocuments, refKey, type Diagnostic } from '../../src/model';
import { findings, type Raw } from './validation-cases';
import { yamlOf } from './fixtures';

/** Istio's findings alone: fields Mast does not translate yet also draw MAST1008, checked on their own below. */
const sidecar = (spec: Raw, metadata: Raw = {}) => findings('Sidecar', spec, metadata).filter(([code]) => code !== 'MAST1008');
const egress = (hosts: string[], extra: Raw = {}) => sidecar({ egress: [{ hosts, ...extra }] });

describe('Sidecar (ValidateSidecar)', () => {
  test('egress hosts are namespace/dnsName: a bare name, an empty part, a short name or a bad namespace is refused', () => {
    assert.deepEqual(egress(['./*', '*/*.example.com', 'istio-system/*', '~/*', '~other/a.b.svc.cluster.local']), []);
    assert.deepEqual(egress(['reviews']), [['MAST2045', 'spec.egress[0].hosts[0]']]);
    assert.deepEqual(egress(['reviews.default.svc.cluster.local']), [['MAST2045', 'spec.egress[0].hosts[0]']]);
    assert.deepEqual(egress(['default/reviews']), [['MAST2045', 'spec.egress[0].hosts[0]']], 'short names are not allowed');
    assert.deepEqual(egress(['/a.b.c']), [['MAST2045', 'spec.egress[0].hosts[0]']]);
    assert.deepEqual(egress(['Bad_NS/a.b.c']), [['MAST2045', 'spec.egress[0].hosts[0]']]);
    assert.deepEqual(egress(['ns/a*.b.c']), [['MAST2045', 'spec.egress[0].hosts[0]']], 'a partial wildcard');
  });

  test('an egress listener needs hosts; a Sidecar needs something', () => {
    assert.deepEqual(egress([]), [['MAST2045', 'spec.egress[0].hosts']]);
    assert.deepEqual(sidecar({}), [['MAST2045', 'spec']]);
    assert.deepEqual(sidecar({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }), []);
  });

  test('duplicated hosts and `*/*` beside others are warnings, as Istio has them', () => {
    assert.deepEqual(egress(['./*', './a.b.c']), [['MAST2041', 'spec.egress[0].hosts[1]']]);
    assert.deepEqual(egress(['*/*', 'ns/a.b.c']), [['MAST2041', 'spec.egress[0].hosts']]);
  });

  test('ports: in 1..65535, unique, a port-less listener only last and only once, a known protocol', () => {
    const port = (number: number, extra: Raw = {}) => ({ port: { number, protocol: 'HTTP', name: 'http', ...extra }, hosts: ['./*'] });
    assert.deepEqual(sidecar({ egress: [port(9080), { hosts: ['*/*'] }] }), []);
    assert.deepEqual(sidecar({ egress: [port(70000)] }), [['MAST2011', 'spec.egress[0].port.number']]);
    assert.deepEqual(sidecar({ egress: [port(9080), port(9080)] }), [['MAST2045', 'spec.egress[1].port.number']]);
    assert.deepEqual(sidecar({ egress: [{ hosts: ['*/*'] }, port(9080)] }), [['MAST2045', 'spec.egress[0]']]);
    assert.deepEqual(sidecar({ egress: [port(9080, { protocol: 'SMTP' })] }), [['MAST2045', 'spec.egress[0].port.protocol']]);
    assert.deepEqual(sidecar({ egress: [port(0)] }), [['MAST2045', 'spec.egress[0].bind']], 'port 0 is for unix sockets');
    assert.deepEqual(sidecar({ egress: [{ ...port(9080), bind: 'not-an-ip' }] }), [['MAST2045', 'spec.egress[0].bind']]);
  });

  test('ingress: a port, unique; defaultEndpoint a loopback or any address with a port, or a unix socket', () => {
    const ingress = (extra: Raw) => sidecar({ ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, ...extra }] });
    assert.deepEqual(ingress({ defaultEndpoint: '127.0.0.1:8080' }), []);
    assert.deepEqual(ingress({ defaultEndpoint: '[::1]:8080' }), []);
    assert.deepEqual(ingress({ defaultEndpoint: ':8080' }), []);
    assert.deepEqual(ingress({ defaultEndpoint: 'unix:///var/run/app.sock' }), []);
    assert.deepEqual(ingress({ defaultEndpoint: '10.0.0.1:8080' }), [['MAST2045', 'spec.ingress[0].defaultEndpoint']]);
    assert.deepEqual(ingress({ defaultEndpoint: '127.0.0.1:http' }), [['MAST2045', 'spec.ingress[0].defaultEndpoint']]);
    assert.deepEqual(ingress({ defaultEndpoint: '127.0.0.1:0' }), [['MAST2011', 'spec.ingress[0].defaultEndpoint']]);
    assert.deepEqual(sidecar({ ingress: [{ defaultEndpoint: '127.0.0.1:8080' }] }), [['MAST1006', 'spec.ingress[0]']], "Istio's schema requires the port");
  });

  test('outboundTrafficPolicy: ALLOW_ANY_DYNAMIC_DNS is mesh-wide only; egressProxy needs ALLOW_ANY', () => {
    assert.deepEqual(sidecar({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: { host: 'proxy.example.com', port: { number: 3128 } } } }), [['MAST2045', 'spec.outboundTrafficPolicy.egressProxy']]);
  });

  test('fields Mast does not translate yet are reported, not silently ignored', () => {
    const all = findings('Sidecar', { egress: [{ hosts: ['./*'], bind: '127.0.0.1', captureMode: 'NONE' }], outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'proxy.example.com', port: { number: 3128 } } } });
    const unsupported = all.filter(([code]) => code === 'MAST1008').map(([, field]) => field ?? '');
    assert.deepEqual(unsupported.filter((f) => f.startsWith('spec.egress')).sort(), ['spec.egress[0].bind', 'spec.egress[0].captureMode']);
    assert.deepEqual(unsupported.filter((f) => f.startsWith('spec.outboundTrafficPolicy')), ['spec.outboundTrafficPolicy.egressProxy']);
  });

  test('workloadSelector: no `*`, and one without labels is a warning', () => {
    assert.deepEqual(sidecar({ workloadSelector: { labels: { app: 'a*' } }, egress: [{ hosts: ['./*'] }] }), [['MAST2038', 'spec.workloadSelector.labels.app']]);
    assert.deepEqual(sidecar({ workloadSelector: {}, egress: [{ hosts: ['./*'] }] }), [['MAST2041', 'spec.workloadSelector']]);
  });
});

function sidecarObject(name: string, namespace: string, spec: Raw, created?: string): Raw {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace, ...(created ? { creationTimestamp: created } : {}) }, spec };
}

function pod(name: string, namespace: string, labels: Record<string, string>): Raw {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'app', image: 'app' }] }, status: { podIP: '10.0.0.9' } };
}

function put(store: ConfigStore, file: string, ...objects: Raw[]): void {
  const { objects: raws, diagnostics } = parseDocuments(yamlOf(...objects), file);
  store.replaceSource(file, raws, diagnostics);
  store.snapshot();
}

const codes = (ds: readonly Diagnostic[]) => ds.map((d) => [d.code, d.object && refKey(d.object), d.field]);

describe('which Sidecar applies (getSidecarScope)', () => {
  const all = { egress: [{ hosts: ['*/*'] }] };
  const store = new ConfigStore();
  put(
    store,
    'sidecars.yaml',
    sidecarObject('mesh', 'istio-system', all),
    sidecarObject('ns-wide', 'shop', all, '2024-01-01T00:00:00Z'),
    sidecarObject('ns-wide-newer', 'shop', all, '2024-02-01T00:00:00Z'),
    sidecarObject('cart', 'shop', { workloadSelector: { labels: { app: 'cart' } }, ...all }, '2024-03-01T00:00:00Z'),
    sidecarObject('cart-newer', 'shop', { workloadSelector: { labels: { app: 'cart' } }, ...all }, '2024-04-01T00:00:00Z'),
    pod('cart-1', 'shop', { app: 'cart' }),
  );
  const pick = (namespace: string, labels: Record<string, string>) => store.snapshot().sidecarFor(namespace, labels)?.meta.name;

  test('a selecting Sidecar beats the namespace-wide one; of two, the oldest applies', () => {
    assert.equal(pick('shop', { app: 'cart' }), 'cart');
    assert.equal(pick('shop', { app: 'web' }), 'ns-wide');
  });

  test("the root namespace's selector-less Sidecar is the default of every other namespace", () => {
    assert.equal(pick('default', { app: 'web' }), 'mesh');
    assert.equal(new ConfigStore().snapshot().sidecarFor('default', {}), undefined);
  });

  test('the ones that lose are reported, at the field that makes them lose', () => {
    assert.deepEqual(codes(store.diagnostics().filter((d) => d.code === 'MAST3006')), [
      ['MAST3006', 'Sidecar/shop/ns-wide-newer', 'spec.workloadSelector'],
      ['MAST3006', 'Sidecar/shop/cart-newer', 'spec.workloadSelector.labels'],
    ]);
  });

  test('a Sidecar edited into something invalid keeps its last good version', () => {
    const s = new ConfigStore();
    put(s, 'sc.yaml', sidecarObject('default', 'web', { egress: [{ hosts: ['./*'] }] }));
    put(s, 'sc.yaml', sidecarObject('default', 'web', { egress: [{ hosts: ['reviews'] }] }));
    const served = s.snapshot().sidecarFor('web', {});
    assert.deepEqual((served?.spec.egress ?? []).map((e) => e.hosts), [['./*']]);
    assert.deepEqual(codes(s.diagnostics()).map(([code, , field]) => [code, field]), [['MAST2045', 'spec.egress[0].hosts[0]']]);
  });
});
