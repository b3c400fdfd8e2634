// The admission decision, as the webhook makes it: the same findings as the store (its own
// errors deny), what Envoy would reject in the mesh as it would be (MAST4001 denies), and
// warnings for what only warns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { review, type AdmissionRequest } from '../../src/admin/webhook-review';
import { ConfigStore, parseDocuments } from '../../src/model';

const store = new ConfigStore();
const svc = parseDocuments(`apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: shop, labels: {app: reviews}}
spec: {containers: [{name: app, ports: [{containerPort: 9080}]}]}
status: {podIP: 10.0.0.5}
`, 's.yaml');
store.replaceSource('s.yaml', svc.objects, svc.diagnostics);
const world = () => ({ snapshot: store.snapshot(), preview: (o: Parameters<ConfigStore['preview']>[0]) => store.preview(o) });

/** Group, version and plural of each kind these tests submit, as the webhook's rules name them. */
const RESOURCES = {
  VirtualService: ['networking.istio.io', 'v1', 'virtualservices'],
  Gateway: ['networking.istio.io', 'v1', 'gateways'],
  EnvoyFilter: ['networking.istio.io', 'v1alpha3', 'envoyfilters'],
  Telemetry: ['telemetry.istio.io', 'v1', 'telemetries'],
} as const;

function request(kind: keyof typeof RESOURCES, spec: object): AdmissionRequest {
  const [group, version, resource] = RESOURCES[kind];
  return {
    uid: 'u1',
    kind: { group, version, kind },
    resource: { group, version, resource },
    namespace: 'shop',
    name: 'x',
    operation: 'CREATE',
    object: { apiVersion: `${group}/${version}`, kind, metadata: { name: 'x', namespace: 'shop' }, spec },
  };
}

/** An EnvoyFilter adding a Lua filter before the router of a sidecar's inbound chains. */
const lua = (typedConfig: object) => ({
  configPatches: [{
    applyTo: 'HTTP_FILTER',
    match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
    patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', ...typedConfig } } },
  }],
});

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

test('an EnvoyFilter whose patch value is not the Envoy message is denied with MAST2064 at the field; a good one is admitted', () => {
  const bad = review(request('EnvoyFilter', lua({ inline_code: 'function envoy_on_response(h) end', bogus: 1 })), world());
  assert.equal(bad.allowed, false);
  assert.match(bad.status?.message ?? '', /^EnvoyFilter shop\/x is invalid: spec\.configPatches\[0\]\.patch\.value\.typed_config\.bogus: MAST2064 /);
  const good = review(request('EnvoyFilter', lua({ inline_code: 'function envoy_on_response(h) h:headers():add("x-lua", "1") end' })), world());
  assert.equal(good.allowed, true, good.status?.message);
});

test('an EnvoyFilter patch Envoy would reject is denied with MAST4002, checked on the proxies it selects', () => {
  // A well-formed value (Istio's rules and the proto's shape pass) that breaks Envoy's rule connect_timeout > 0.
  const spec = { configPatches: [{ applyTo: 'CLUSTER', match: { context: 'SIDECAR_OUTBOUND' }, patch: { operation: 'MERGE', value: { connect_timeout: '-1s' } } }] };
  const r = review(request('EnvoyFilter', spec), world());
  assert.equal(r.allowed, false);
  assert.match(r.status?.message ?? '', /MAST4002 .*connect_timeout/);
});

test('a Telemetry whose access-log filter is not CEL is denied with MAST2058; a good one is admitted', () => {
  const bad = review(request('Telemetry', { accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >=' } }] }), world());
  assert.equal(bad.allowed, false);
  assert.match(bad.status?.message ?? '', /^Telemetry shop\/x is invalid: spec\.accessLogging\[0\]\.filter\.expression: MAST2058 /);
  const good = review(request('Telemetry', { accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }] }), world());
  assert.equal(good.allowed, true, good.status?.message);
});
