// A bad EnvoyFilter never reaches Envoy: what its patches make is checked like everything else the
// view cache encodes, and a patch that would make a resource Envoy refuses (MAST4002) or that
// breaks the HTTP filter order (MAST4004) costs only that EnvoyFilter, on the proxies it selects,
// which keep its last good version. A patch that names a filter the proxy lacks says so (MAST4003).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigStore, parseDocuments, type Diagnostic } from '../../src/model';
import { partsFor } from '../../src/translate';
import { TYPE_URLS, type ProxyClass } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { quiet } from './fake-world';
import { service, sidecar } from '../translate/helpers';

type Obj = Record<string, unknown>;

const HCM = 'envoy.filters.network.http_connection_manager';

const envoyFilter = (name: string, patches: string) => `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ${name}, namespace: default}
spec:
  workloadSelector: {labels: {app: productpage}}
  configPatches:
${patches.replace(/^/gm, '  ')}`;

const lua = (op: string, header: string, sub = 'envoy.filters.http.router') => `- applyTo: HTTP_FILTER
  match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: ${HCM}, subFilter: {name: ${sub}}}}}}
  patch:
    operation: ${op}
    value:
      name: envoy.filters.http.lua
      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inline_code: "function envoy_on_response(h) h:headers():add('${header}', '1') end"}`;

/** A view cache over real translation, fed one mesh file at a time. */
function world() {
  const store = new ConfigStore();
  const views = new ViewCache((p) => partsFor(p.role), quiet);
  return {
    views,
    put(...docs: string[]): Diagnostic[] {
      const { objects, diagnostics } = parseDocuments([service('productpage'), ...docs].join('\n---\n'), 'mesh.yaml');
      store.replaceSource('mesh.yaml', objects, diagnostics);
      views.setSnapshot(store.snapshot());
      return store.diagnostics();
    },
  };
}

/** The inline code of each Lua filter on the inbound listener the proxy would be sent. */
function luaOn(views: ViewCache, proxy: ProxyClass): string[] {
  const inbound = views.viewFor(proxy).json().listeners.find((l) => l.name === 'virtualInbound')!.json;
  const chains = (inbound.filter_chains as Obj[]).flatMap((fc) => (fc.filters as Obj[]).filter((f) => f.name === HCM));
  return [...new Set(chains.flatMap((f) => ((f.typed_config as Obj).http_filters as Obj[]).filter((h) => h.name === 'envoy.filters.http.lua').map((h) => String((h.typed_config as Obj).inline_code))))];
}

const sent = (views: ViewCache, proxy: ProxyClass) => views.viewFor(proxy).resources.get(TYPE_URLS.listener)!.has('virtualInbound');

describe('EnvoyFilter patches checked before they are sent', () => {
  it('refuses a patch that puts a filter after the router (MAST4004), keeping the EnvoyFilter\'s last good version', () => {
    const w = world();
    assert.deepEqual(w.put(envoyFilter('lua', lua('INSERT_BEFORE', 'x-good'))), []);
    const proxy = sidecar();
    assert.equal(luaOn(w.views, proxy).length, 1);
    assert.deepEqual(w.views.findings(), []);

    w.put(envoyFilter('lua', lua('INSERT_AFTER', 'x-bad')));
    assert.deepEqual(luaOn(w.views, proxy).map((c) => c.includes('x-good')), [true], 'the last good version keeps serving');
    assert.ok(sent(w.views, proxy), 'the listener is still sent');
    const [finding, ...rest] = w.views.findings();
    assert.deepEqual(rest, []);
    assert.equal(finding!.code, 'MAST4004');
    assert.deepEqual(finding!.object, { kind: 'EnvoyFilter', namespace: 'default', name: 'lua' });
    assert.equal(finding!.field, 'spec.configPatches[0]');
    assert.match(finding!.message, /must be the last HTTP filter.*last good version keeps serving/);
    // An unselected proxy never had it.
    assert.deepEqual(luaOn(w.views, sidecar({ labels: { app: 'reviews' } })), []);
  });

  it('refuses a patch whose result Envoy would reject (MAST4002) and leaves it out when there is no good version', () => {
    const w = world();
    const bad = `- applyTo: HTTP_FILTER
  match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: ${HCM}, subFilter: {name: envoy.filters.http.router}}}}}
  patch:
    operation: INSERT_BEFORE
    value: {name: "", typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inline_code: "x"}}`;
    assert.deepEqual(w.put(envoyFilter('empty-name', bad)), []);
    const proxy = sidecar();
    assert.deepEqual(luaOn(w.views, proxy), []);
    assert.ok(sent(w.views, proxy), 'the inbound listener is sent without the patch');
    const findings = w.views.findings();
    assert.deepEqual(findings.map((d) => [d.code, d.object?.name, d.field]), [['MAST4002', 'empty-name', 'spec.configPatches[0]']]);
    assert.match(findings[0]!.message, /Envoy would reject lds virtualInbound \(.*http_filters\[0\].name: value length must be at least 1.*\) as patched by EnvoyFilter\/default\/empty-name.*go without it/);
  });

  it('says when a REMOVE names a filter no listener of the proxy has (MAST4003), and serves the rest', () => {
    const w = world();
    const remove = `- applyTo: HTTP_FILTER
  match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: ${HCM}, subFilter: {name: envoy.filters.http.nope}}}}}
  patch: {operation: REMOVE}`;
    w.put(envoyFilter('remove', `${remove}\n${lua('INSERT_BEFORE', 'x-kept')}`));
    const proxy = sidecar();
    assert.equal(luaOn(w.views, proxy).length, 1, 'the EnvoyFilter\'s other patch applies');
    assert.deepEqual(w.views.findings().map((d) => [d.code, d.severity, d.field]), [['MAST4003', 'warning', 'spec.configPatches[0]']]);
  });

  it('checks a value that reads as its type but breaks a rule of Envoy\'s protos on an added cluster (MAST4002)', () => {
    const w = world();
    const add = `- applyTo: CLUSTER
  match: {context: SIDECAR_OUTBOUND}
  patch: {operation: ADD, value: {name: added, type: STATIC, connect_timeout: -1s}}`;
    assert.deepEqual(w.put(envoyFilter('cluster', add)), []);
    const proxy = sidecar();
    assert.equal(w.views.viewFor(proxy).resources.get(TYPE_URLS.cluster)!.has('added'), false);
    assert.ok(w.views.viewFor(proxy).resources.get(TYPE_URLS.cluster)!.has('BlackHoleCluster'), 'the part the ADD landed in is still sent');
    assert.deepEqual(w.views.findings().map((d) => [d.code, d.field]), [['MAST4002', 'spec.configPatches[0]']]);
    assert.match(w.views.findings()[0]!.message, /as added by EnvoyFilter\/default\/cluster/);
  });
});

