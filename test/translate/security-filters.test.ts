// Where AuthorizationPolicy and RequestAuthentication land in translated config: which proxies
// they select (Istio's selector, root namespace and targetRef rules), the filters of a sidecar's
// inbound HTTP and TCP chains and of a gateway's chain, and what stays out (a sidecar's outbound
// side; a workload no policy selects gets no security filter at all).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromYaml } from '../../src/model';
import { translate } from '../../src/translate';
import type { EnvoyJson, ProxyClass } from '../../src/translate/types';
import { listener, mesh, router, service, sidecar } from './helpers';

const reviews = sidecar({ labels: { app: 'reviews', version: 'v1' }, ips: ['127.0.1.3'], interceptionMode: 'NONE', localAddress: '127.0.2.3', outboundAddress: '127.0.3.3' });

function policy(name: string, namespace: string, spec: string): string {
  return `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec.replace(/^/gm, '  ')}`;
}

function jwtPolicy(name: string, namespace: string, spec: string): string {
  return `apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec.replace(/^/gm, '  ')}`;
}

const SERVICES = [service('reviews', 'default', '[{name: http, port: 9080}, {name: tcp-admin, port: 9090}]'), service('productpage')];

/** Every chain of the inbound listener (the default one too): its name, the network filters, and the HTTP filters of an HCM. */
function inboundChains(proxy: ProxyClass, ...docs: string[]): { name: string; network: string[]; http: EnvoyJson[] }[] {
  const set = translate(mesh(...SERVICES, ...docs), proxy);
  const inbound = listener(set, 'virtualInbound');
  const chains = [...(inbound.filter_chains as EnvoyJson[]), ...(inbound.default_filter_chain ? [inbound.default_filter_chain as EnvoyJson] : [])];
  return chains.map((c) => {
    const filters = c.filters as EnvoyJson[];
    const hcm = filters.find((f) => f.name === 'envoy.filters.network.http_connection_manager');
    return {
      name: c.name as string,
      network: filters.map((f) => f.name as string),
      http: hcm ? ((hcm.typed_config as EnvoyJson).http_filters as EnvoyJson[]) : [],
    };
  });
}

const names = (filters: EnvoyJson[]): string[] => filters.map((f) => f.name as string);
const rbacRules = (f: EnvoyJson): EnvoyJson => ((f.typed_config as EnvoyJson).rules ?? {}) as EnvoyJson;

test('no policy: no security filter anywhere, and the outbound side never has one', () => {
  for (const chain of inboundChains(reviews)) {
    assert.ok(!chain.network.includes('envoy.filters.network.rbac'), chain.name);
    assert.deepEqual(names(chain.http).filter((n) => n !== 'envoy.filters.http.router'), [], chain.name);
  }
  const set = translate(mesh(...SERVICES, policy('all', 'istio-system', 'rules: [{}]')), reviews);
  const outbound = set.listeners.filter((l) => l.name !== 'virtualInbound');
  assert.doesNotMatch(JSON.stringify(outbound.map((l) => l.json)), /rbac|jwt_authn/);
});

test('one RBAC filter per action in Istio order, after jwt_authn, on every HTTP chain; network RBAC before tcp_proxy on TCP chains', () => {
  const chains = inboundChains(
    reviews,
    policy('allow', 'default', 'selector: {matchLabels: {app: reviews}}\nrules: [{to: [{operation: {methods: [GET]}}]}]'),
    policy('deny', 'default', 'action: DENY\nrules: [{from: [{source: {notNamespaces: [default]}}]}]'),
    policy('audit', 'istio-system', 'action: AUDIT\nrules: [{}]'),
    jwtPolicy('jwt', 'default', 'jwtRules: [{issuer: a, jwks: \'{"keys":[]}\'}]'),
  );
  const http = chains.filter((c) => c.http.length > 0);
  const tcp = chains.filter((c) => c.network.includes('envoy.filters.network.tcp_proxy') && c.name !== 'virtualInbound-blackhole');
  assert.ok(http.length > 0 && tcp.length > 0);
  for (const chain of http) {
    assert.deepEqual(names(chain.http), ['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac', 'envoy.filters.http.rbac', 'envoy.filters.http.rbac', 'envoy.filters.http.router']);
    assert.deepEqual(chain.http.slice(1, 4).map((f) => rbacRules(f).action ?? 'ALLOW'), ['LOG', 'DENY', 'ALLOW']);
  }
  for (const chain of tcp) {
    assert.deepEqual(chain.network, ['envoy.filters.network.rbac', 'envoy.filters.network.rbac', 'envoy.filters.network.rbac', 'envoy.filters.network.tcp_proxy'], chain.name);
  }
  const passthrough = tcp.find((c) => c.name === 'virtualInbound-passthrough');
  assert.ok(passthrough, 'ports no Service declares obey the policies too');
});

test('on TCP chains an ALLOW rule testing HTTP attributes is left out (nothing allowed), a DENY rule matches without them', () => {
  const docs = [...SERVICES, policy('allow', 'default', 'rules: [{to: [{operation: {methods: [GET]}}]}]'), policy('deny', 'default', 'action: DENY\nrules: [{to: [{operation: {paths: [/admin]}}]}]')];
  const { snapshot, diagnostics } = snapshotFromYaml(docs.join('\n---\n'), 'test.yaml');
  // Istio's own warning for the DENY rule; none for the ALLOW one, whose TCP cost is only refusals.
  assert.deepEqual(diagnostics.map((d) => [d.code, d.object?.name, d.field]), [['MAST2041', 'deny', 'spec.rules[0]']]);
  const set = translate(snapshot, reviews);
  const tcp = (listener(set, 'virtualInbound').filter_chains as EnvoyJson[]).find((c) => c.name === 'inbound|9090||') as EnvoyJson;
  const [deny, allow] = (tcp.filters as EnvoyJson[]).slice(0, 2).map((f) => f.typed_config as EnvoyJson);
  assert.deepEqual(deny?.rules, {
    action: 'DENY',
    policies: { 'ns[default]-policy[deny]-rule[0]': { permissions: [{ and_rules: { rules: [{ any: true }] } }], principals: [{ and_ids: { ids: [{ any: true }] } }] } },
  });
  assert.deepEqual(allow?.rules, {}, 'an ALLOW filter without policies allows nothing');
  assert.equal(allow?.stat_prefix, 'tcp.');
});

test('selection: selector labels, the root namespace for everyone, no other namespace, targetRefs only for a Gateway API gateway', () => {
  const docs = [
    policy('mine', 'default', 'selector: {matchLabels: {version: v1}}\nrules: [{}]'),
    policy('not-mine', 'default', 'selector: {matchLabels: {version: v2}}\nrules: [{}]'),
    policy('mesh', 'istio-system', 'action: DENY\nrules: [{from: [{source: {ipBlocks: [192.0.2.1]}}]}]'),
    policy('elsewhere', 'other', 'rules: [{}]'),
    policy('for-gateway', 'default', 'targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: web}]\naction: DENY\nrules: [{}]'),
  ];
  const policiesOn = (proxy: ProxyClass): string[] => {
    const text = JSON.stringify(translate(mesh(...SERVICES, ...docs), proxy).listeners.map((l) => l.json));
    return [...new Set([...text.matchAll(/policy\[([a-z-]+)\]/g)].map((m) => m[1] as string))].sort();
  };
  assert.deepEqual(policiesOn(reviews), ['mesh', 'mine']);
  const gatewayApi = { ...reviews, labels: { ...reviews.labels, 'gateway.networking.k8s.io/gateway-name': 'web' } };
  assert.deepEqual(policiesOn(gatewayApi), ['for-gateway', 'mesh', 'mine'], 'a Gateway API deployment takes its targetRef and selector policies');
  assert.deepEqual(policiesOn({ ...gatewayApi, labels: { ...gatewayApi.labels, 'gateway.networking.k8s.io/gateway-name': 'other' } }), ['mesh', 'mine']);
});

test("principals take the mesh's trust domain: cluster.local in a policy stands for it", () => {
  const docs = [...SERVICES, policy('p', 'default', 'rules: [{from: [{source: {principals: [cluster.local/ns/default/sa/productpage, other.org/ns/x/sa/y]}}]}]')].join('\n---\n');
  const { snapshot, diagnostics } = snapshotFromYaml(docs, 'test.yaml', { trustDomain: 'example.org' });
  assert.deepEqual(diagnostics, []);
  const text = JSON.stringify(listener(translate(snapshot, reviews), 'virtualInbound'));
  assert.match(text, /"exact":"spiffe:\/\/example.org\/ns\/default\/sa\/productpage"/);
  assert.match(text, /"exact":"spiffe:\/\/other.org\/ns\/x\/sa\/y"/, 'another trust domain is kept as written');
  assert.doesNotMatch(text, /spiffe:\/\/cluster.local/);
});

test('gateways: jwt_authn (clearing the route cache) and RBAC before CORS and fault; a JWKS host outside the mesh gets a cluster, a mesh host uses its own', () => {
  const docs = [
    service('jwks', 'auth', '[{name: http, port: 8000}]'),
    jwtPolicy('in-mesh', 'istio-system', 'selector: {matchLabels: {istio: ingressgateway}}\njwtRules: [{issuer: b, jwksUri: "http://jwks.auth.svc.cluster.local:8000/keys"}]'),
    jwtPolicy('outside', 'istio-system', 'jwtRules: [{issuer: a, jwksUri: "https://login.example.com/keys", timeout: 1.5s}]'),
    policy('gw', 'istio-system', 'selector: {matchLabels: {istio: ingressgateway}}\nrules: [{from: [{source: {requestPrincipals: ["*"]}}]}]'),
    `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]`,
  ];
  const set = translate(mesh(...SERVICES, ...docs), router());
  const hcm = ((listener(set, '0.0.0.0_8080').filter_chains as EnvoyJson[])[0]?.filters as EnvoyJson[])[0]?.typed_config as EnvoyJson;
  const filters = hcm.http_filters as EnvoyJson[];
  assert.deepEqual(names(filters), ['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac', 'envoy.filters.http.cors', 'envoy.filters.http.fault', 'envoy.filters.http.router']);
  const jwt = filters[0]?.typed_config as { providers: Record<string, EnvoyJson>; rules: EnvoyJson[] };
  // Sorted by issuer: `a` (outside the mesh) is origins-0.
  const remote = (name: string): EnvoyJson => (jwt.providers[name]?.remote_jwks as EnvoyJson).http_uri as EnvoyJson;
  assert.deepEqual(remote('origins-0'), { uri: 'https://login.example.com/keys', cluster: 'outbound|443||login.example.com', timeout: '1.500s' });
  assert.deepEqual(remote('origins-1'), { uri: 'http://jwks.auth.svc.cluster.local:8000/keys', cluster: 'outbound|8000||jwks.auth.svc.cluster.local', timeout: '5s' });
  assert.equal(jwt.providers['origins-0']?.clear_route_cache, true);
  assert.deepEqual(Object.keys(jwt.rules[0]?.requires as EnvoyJson), ['requires_any'], 'two providers: any one token, or each token or none');
  const external = set.clusters.find((c) => c.name === 'outbound|443||login.example.com');
  assert.ok(external, 'the JWKS host outside the mesh has a cluster');
  assert.equal(external.json.type, 'STRICT_DNS');
  // https: SNI and a certificate for the host, from a root the system trusts.
  const tls = (external.json.transport_socket as EnvoyJson).typed_config as EnvoyJson;
  assert.equal(tls.sni, 'login.example.com');
  assert.deepEqual((tls.common_tls_context as EnvoyJson).validation_context, { trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' }, match_subject_alt_names: [{ exact: 'login.example.com' }] });
  assert.deepEqual(external.sources, ['RequestAuthentication/istio-system/outside']);
  assert.equal(set.clusters.filter((c) => c.name === 'outbound|8000||jwks.auth.svc.cluster.local').length, 1, 'the mesh host is the services part\'s own cluster, not a second one');
});

test('one JWT rule: its token or none; the sidecar keeps the route cache', () => {
  const chains = inboundChains(reviews, jwtPolicy('one', 'default', 'jwtRules: [{issuer: a, jwksUri: "http://127.0.0.1:9999/jwks.json", outputPayloadToHeader: x-payload, forwardOriginalToken: true, fromHeaders: [{name: x-token}]}]'));
  const jwt = chains.find((c) => c.http.length > 0)?.http[0]?.typed_config as { providers: Record<string, EnvoyJson>; rules: EnvoyJson[]; bypass_cors_preflight: boolean };
  assert.deepEqual(jwt.rules, [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'origins-0' }, { allow_missing: {} }] } } }]);
  const p = jwt.providers['origins-0'] as EnvoyJson;
  assert.equal(p.clear_route_cache, undefined);
  assert.equal(p.forward, true);
  assert.equal(p.forward_payload_header, 'x-payload');
  assert.deepEqual(p.from_headers, [{ name: 'x-token' }]);
  assert.equal(p.payload_in_metadata, 'payload');
  assert.deepEqual(p.normalize_payload_in_metadata, { space_delimited_claims: ['permission', 'scope'] });
  assert.equal(jwt.bypass_cors_preflight, true);
  const set = translate(mesh(...SERVICES, jwtPolicy('one', 'default', 'jwtRules: [{issuer: a, jwksUri: "http://127.0.0.1:9999/jwks.json"}]')), reviews);
  assert.equal(set.clusters.find((c) => c.name === 'outbound|9999||127.0.0.1')?.json.type, 'STATIC');
});
