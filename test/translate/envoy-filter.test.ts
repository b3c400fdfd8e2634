// The EnvoyFilter patch stage on real translation output: Istio's rate-limit samples as Istio
// ships them (read from the pinned module), each operation's placement as Istio's patch code
// places it, which EnvoyFilters apply and in what order, and the pieces of unselected proxies left
// exactly as they were.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { snapshotFromYaml, type Snapshot } from '../../src/model';
import { partsFor } from '../../src/translate';
import { envoyFiltersFor } from '../../src/translate/envoy-filter/select';
import type { EnvoyJson, ProxyClass } from '../../src/translate/types';
import { istioModuleDir } from '../conformance/corpus';
import { cluster, listener, mesh, router, routeConfig, service, sidecar, translate, virtualService } from './helpers';

type Obj = Record<string, unknown>;

const HCM = 'envoy.filters.network.http_connection_manager';

function envoyFilter(name: string, namespace: string, patches: string, extra = ''): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${extra}  configPatches:
${patches.replace(/^/gm, '  ')}`;
}

/** The HTTP filter names of every connection manager of `l`, chain by chain. */
function httpFilters(l: EnvoyJson): string[][] {
  return ((l.filter_chains ?? []) as Obj[]).flatMap((fc) =>
    ((fc.filters ?? []) as Obj[]).filter((f) => f.name === HCM).map((f) => (((f.typed_config as Obj).http_filters ?? []) as Obj[]).map((h) => String(h.name))),
  );
}

const bookinfoGateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ['*']}]`;

const gatewayRoutes = virtualService('bookinfo', 'default', 'hosts: ["*"]\ngateways: [bookinfo-gateway]\nhttp: [{route: [{destination: {host: productpage, port: {number: 9080}}}]}]');

function sample(file: string): string {
  return readFileSync(path.join(istioModuleDir(), file), 'utf8');
}

describe('EnvoyFilter patch stage', () => {
  it('applies Istio\'s global rate-limit sample to the ingress gateway: ratelimit before the router, rate_limits on every virtual host, the ratelimit cluster added', () => {
    const { snapshot, diagnostics } = snapshotFromYaml([service('productpage'), service('ratelimit', 'default', '[{name: grpc, port: 8081}]'), bookinfoGateway, gatewayRoutes, sample('samples/bookinfo/policy/productpage_envoy_ratelimit.yaml')].join('\n---\n'), 'mesh.yaml');
    assert.deepEqual(diagnostics, []);
    const set = translate(snapshot, router());
    assert.deepEqual(httpFilters(listener(set, '0.0.0.0_8080')).map((l) => l.slice(-2)), [['envoy.ratelimit', 'envoy.filters.http.router']]);
    const rl = ((listener(set, '0.0.0.0_8080').filter_chains as Obj[])[0]!.filters as Obj[])[0]!.typed_config as { http_filters: Obj[] };
    assert.deepEqual(rl.http_filters.at(-2)!.typed_config, {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit',
      domain: 'productpage-ratelimit',
      failure_mode_deny: true,
      rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: 'rate_limit_cluster' } } },
      timeout: '10s',
    });
    for (const vh of routeConfig(set, 'http.8080').virtual_hosts as Obj[]) {
      assert.deepEqual(vh.rate_limits, [{ actions: [{ request_headers: { header_name: ':path', descriptor_key: 'PATH' } }] }]);
    }
    assert.equal(cluster(set, 'rate_limit_cluster').type, 'STRICT_DNS');
    // A sidecar in the root namespace's reach but not selected is untouched.
    assert.throws(() => cluster(translate(snapshot, sidecar()), 'rate_limit_cluster'));
  });

  it('applies Istio\'s local rate-limit sample to productpage\'s inbound side: the filter first, the route\'s rate_limits and per-filter config merged', () => {
    const { snapshot, diagnostics } = snapshotFromYaml([service('productpage', 'default', '[{name: http, port: 8000}]'), sample('samples/ratelimit/local-rate-limit-service.yaml')].join('\n---\n'), 'mesh.yaml');
    assert.deepEqual(diagnostics, []);
    const set = translate(snapshot, sidecar());
    const inbound = listener(set, 'virtualInbound');
    const lists = httpFilters(inbound);
    assert.ok(lists.length > 0 && lists.every((l) => l[0] === 'envoy.filters.http.local_ratelimit' && l.at(-1) === 'envoy.filters.http.router'), JSON.stringify(lists));
    const hcm = ((inbound.filter_chains as Obj[]).flatMap((fc) => fc.filters as Obj[]).find((f) => f.name === HCM)!.typed_config as Obj);
    const filter = (hcm.http_filters as Obj[])[0]!;
    assert.deepEqual(filter.typed_config, { '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', stat_prefix: 'http_local_rate_limiter' });
    const vh = ((hcm.route_config as Obj).virtual_hosts as Obj[]).find((h) => h.name === 'inbound|http|8000')!;
    const route = (vh.routes as Obj[])[0]!;
    assert.equal((route.route as Obj).cluster, 'inbound|8000||', 'the merge keeps what the route had');
    assert.equal(((route.route as Obj).rate_limits as Obj[]).length, 2);
    const perFilter = (route.typed_per_filter_config as Record<string, Obj>)['envoy.filters.http.local_ratelimit']!;
    assert.equal(perFilter['@type'], 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit');
    assert.deepEqual(perFilter.token_bucket, { max_tokens: 100, tokens_per_fill: 100, fill_interval: '60s' });
    // The outbound side is not SIDECAR_INBOUND: untouched.
    assert.ok(set.listeners.filter((l) => l.name !== 'virtualInbound').every((l) => !l.patched));
  });

  it('places each HTTP_FILTER operation as Istio does (INSERT_BEFORE/AFTER a named filter, INSERT_FIRST, REPLACE, REMOVE, MERGE)', () => {
    const m = (op: string, sub: string | undefined, value: string) => `- applyTo: HTTP_FILTER
  match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: ${HCM}${sub ? `, subFilter: {name: ${sub}}` : ''}}}}}
  patch: {operation: ${op}${value ? `, value: ${value}` : ''}}`;
    const lua = (name: string) => `{name: ${name}, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inline_code: "-- ${name}"}}`;
    const patches = [
      m('INSERT_BEFORE', 'envoy.filters.http.router', lua('b')),
      m('INSERT_FIRST', undefined, lua('first')),
      m('INSERT_AFTER', 'first', lua('after-first')),
      m('INSERT_BEFORE', undefined, lua('before-all')),
      m('REPLACE', 'b', lua('replaced-b')),
      m('REMOVE', 'after-first', ''),
      m('MERGE', 'envoy.filters.http.router', '{typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router, suppress_envoy_headers: true}}'),
    ].join('\n');
    const set = translate(mesh(service('productpage'), envoyFilter('ops', 'default', patches)), sidecar());
    const lists = httpFilters(listener(set, 'virtualInbound'));
    assert.ok(lists.length > 0);
    for (const l of lists) assert.deepEqual(l, ['before-all', 'first', 'replaced-b', 'envoy.filters.http.router']);
    const hcm = ((listener(set, 'virtualInbound').filter_chains as Obj[]).flatMap((fc) => fc.filters as Obj[]).find((f) => f.name === HCM)!.typed_config as Obj);
    assert.deepEqual((hcm.http_filters as Obj[]).at(-1)!.typed_config, { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppress_envoy_headers: true });
  });

  it('merges as proto.Merge does: repeated fields append, a oneof member replaces its siblings, scalars replace', () => {
    const patches = `- applyTo: HTTP_ROUTE
  match: {context: SIDECAR_OUTBOUND, routeConfiguration: {vhost: {name: "reviews.default.svc.cluster.local:9080"}}}
  patch:
    operation: MERGE
    value: {route: {cluster: fixed, timeout: 3s}, request_headers_to_add: [{header: {key: x-a, value: "1"}}]}`;
    const split = virtualService('reviews', 'default', 'hosts: [reviews]\nhttp: [{headers: {request: {add: {x-b: "2"}}}, route: [{destination: {host: reviews}, weight: 50}, {destination: {host: ratings}, weight: 50}]}]');
    const set = translate(mesh(service('reviews'), service('ratings'), split, envoyFilter('merge', 'default', patches)), sidecar());
    const vh = (routeConfig(set, '9080').virtual_hosts as Obj[]).find((h) => h.name === 'reviews.default.svc.cluster.local:9080')!;
    const route = (vh.routes as Obj[])[0]!;
    const action = route.route as Obj;
    assert.equal(action.cluster, 'fixed');
    assert.equal(action.weighted_clusters, undefined, 'cluster and weighted_clusters are one oneof');
    assert.equal(action.timeout, '3s');
    assert.deepEqual((route.request_headers_to_add as Obj[]).map((h) => (h.header as Obj).key), ['x-b', 'x-a']);
  });

  it('patches listeners, filter chains, network filters and clusters (MERGE, ADD, REMOVE) in their contexts', () => {
    const patches = `- applyTo: LISTENER
  match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 9080}}
  patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 32768}}
- applyTo: LISTENER
  match: {context: SIDECAR_OUTBOUND}
  patch: {operation: ADD, value: {name: extra, address: {socket_address: {address: 127.0.0.9, port_value: 7000}}, filter_chains: [{filters: [{name: envoy.filters.network.tcp_proxy, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: extra, cluster: BlackHoleCluster}}]}]}}
- applyTo: NETWORK_FILTER
  match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 3306, filterChain: {filter: {name: envoy.filters.network.tcp_proxy}}}}
  patch: {operation: INSERT_BEFORE, value: {name: envoy.filters.network.local_ratelimit, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit, stat_prefix: l, token_bucket: {max_tokens: 1, fill_interval: 1s}}}}
- applyTo: FILTER_CHAIN
  match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 3306}}
  patch: {operation: MERGE, value: {name: merged-chain}}
- applyTo: CLUSTER
  match: {context: SIDECAR_OUTBOUND, cluster: {service: reviews.default.svc.cluster.local, portNumber: 9080}}
  patch: {operation: MERGE, value: {connect_timeout: 7s}}
- applyTo: CLUSTER
  match: {context: SIDECAR_OUTBOUND, cluster: {name: BlackHoleCluster}}
  patch: {operation: REMOVE}
- applyTo: CLUSTER
  match: {context: SIDECAR_INBOUND, cluster: {service: productpage.default.svc.cluster.local}}
  patch: {operation: MERGE, value: {connect_timeout: 2s}}`;
    const set = translate(mesh(service('productpage'), service('reviews'), service('db', 'default', '[{name: tcp, port: 3306}]'), envoyFilter('levels', 'default', patches)), sidecar());
    // An added listener is not patched further, as in Istio (patchListeners adds after patching).
    const extra = listener(set, 'extra');
    assert.deepEqual(((extra.filter_chains as Obj[])[0]!.filters as Obj[]).map((f) => f.name), ['envoy.filters.network.tcp_proxy']);
    const chain = (listener(set, '0.0.0.0_3306').filter_chains as Obj[])[0]!;
    assert.equal(chain.name, 'merged-chain');
    assert.deepEqual((chain.filters as Obj[]).map((f) => f.name), ['envoy.filters.network.local_ratelimit', 'envoy.filters.network.tcp_proxy']);
    assert.equal(cluster(set, 'outbound|9080||reviews.default.svc.cluster.local').connect_timeout, '7s');
    assert.equal(cluster(set, 'inbound|9080||').connect_timeout, '2s', 'an inbound cluster answers for its Service');
    assert.throws(() => cluster(set, 'BlackHoleCluster'));
    const patchedListeners = set.listeners.filter((l) => l.patched).map((l) => l.name);
    assert.ok(patchedListeners.includes('extra'));
    assert.deepEqual(set.listeners.find((l) => l.name === 'extra')!.sources, ['EnvoyFilter/default/levels']);
  });

  it('applies the root namespace\'s and the proxy\'s namespace\'s, by priority, root first, then oldest; never another namespace\'s or an unselecting one\'s', () => {
    const noop = '- applyTo: CLUSTER\n  match: {cluster: {name: none}}\n  patch: {operation: REMOVE}';
    const s: Snapshot = mesh(
      envoyFilter('ns-late', 'default', noop),
      envoyFilter('root', 'istio-system', noop),
      envoyFilter('ns-first', 'default', noop, '  priority: -1\n'),
      envoyFilter('other-ns', 'other', noop),
      envoyFilter('other-app', 'default', noop, '  workloadSelector: {labels: {app: reviews}}\n'),
      envoyFilter('mine', 'default', noop, '  workloadSelector: {labels: {app: productpage}}\n'),
    );
    assert.deepEqual(envoyFiltersFor(s, sidecar()).map((f) => f.meta.name), ['ns-first', 'root', 'mine', 'ns-late']);
  });

  it('leaves the part keys of a proxy no EnvoyFilter selects as they are without any, and keys a selected one by its EnvoyFilters', () => {
    const base = [service('productpage'), service('reviews')];
    const without = mesh(...base);
    const ef = envoyFilter('only-reviews', 'default', '- applyTo: CLUSTER\n  patch: {operation: MERGE, value: {connect_timeout: 3s}}', '  workloadSelector: {labels: {app: reviews}}\n');
    const withFilter = mesh(...base, ef);
    const keys = (s: Snapshot, p: ProxyClass) => partsFor(p.role).map((part) => part.key(p, s));
    assert.deepEqual(keys(withFilter, sidecar()), keys(without, sidecar()));
    const reviews = sidecar({ labels: { app: 'reviews' } });
    const names = partsFor('sidecar').map((part) => part.name);
    const changed = names.filter((_n, i) => keys(withFilter, reviews)[i] !== keys(without, reviews)[i]);
    assert.deepEqual(changed, ['services', 'fixed-clusters', 'inbound'], 'the parts holding clusters, which a CLUSTER patch reaches');
  });
});
