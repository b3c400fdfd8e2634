// The admission decision, as the webhook makes it: the same findings as the store (its own
// errors deny), what Envoy would reject in the mesh as it would be (MAST4001 denies), and
// warnings for what only warns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { review, type AdmissionRequest } from '../../src/admin/webhook-review';
import { ConfigStore, parseDocuments } from '../../src/model';

const store = new ConfigStore();
const svc = parseDocuments('apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}\n', 's.yaml');
store.replaceSource('s.yaml', svc.objects, svc.diagnostics);
const world = () => ({ snapshot: store.snapshot(), preview: (o: Parameters<ConfigStore['preview']>[0]) => store.preview(o) });

function request(kind: 'VirtualService' | 'Gateway', spec: object): AdmissionRequest {
  const resource = kind === 'Gateway' ? 'gateways' : 'virtualservices';
  return {
    uid: 'u1',
    kind: { group: 'networking.istio.io', version: 'v1', kind },
    resource: { group: 'networking.istio.io', version: 'v1', resource },
    namespace: 'shop',
    name: 'x',
    operation: 'CREATE',
    object: { apiVersion: 'networking.istio.io/v1', kind, metadata: { name: 'x', namespace: 'shop' }, spec },
  };
}

test('a VirtualService whose routes Envoy would reject is denied with MAST4001 and the rule', () => {
  const r = review(request('VirtualService', { hosts: ['reviews'], http: [{ headers: { request: { set: { 'x-a': '%NO_SUCH_COMMAND%' } } }, route: [{ destination: { host: 'reviews' } }] }] }), world());
  assert.equal(r.allowed, false);
  assert.match(r.status?.message ?? '', /spec\.http\[0\]: MAST4001 Envoy would reject rds 9080/);
});

test('an error of its own denies, before any translation', () => {
  const r = review(request('VirtualService', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' }, weight: -1 }, { destination: { host: 'reviews' }, weight: 2 }] }] }), world());
  assert.equal(r.allowed, false);
  assert.match(r.status?.message ?? '', /spec\.http\[0\]\.route\[0\]\.weight: MAST2001/);
});

test('a Gateway server on a port the proxy keeps is allowed, with the warning the log would show', () => {
  const r = review(request('Gateway', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 15000, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }), world());
  assert.equal(r.allowed, true);
  assert.deepEqual(r.warnings?.map((w) => w.split(':')[0]), ['spec.servers[0].port.number']);
  assert.match(r.warnings?.[0] ?? '', /MAST2102/);
});
