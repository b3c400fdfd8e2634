// ECDS over ADS: the TypedExtensionConfigs that EnvoyFilter EXTENSION_CONFIG patches supply are
// served by name (type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig), SotW and delta,
// each proxy getting only the names its filters' config_discovery asks for, with a new version
// when one changes and nothing when another does; translated once per set of EnvoyFilters and
// encoded once, so proxies the same EnvoyFilters reach share the bytes.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigStore, parseDocuments } from '../../src/model';
import { partsFor } from '../../src/translate';
import { TYPE_URLS, type NamedResource } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { resourceTypes, serviceDefinitions } from '../../src/envoy-api/protos';
import type { EncodedResource } from '../../src/xds/wire';
import { AdsClient, decodeAny } from '../support/ads-client';
import { FakeWorld, quiet } from './fake-world';
import { service, sidecar } from '../translate/helpers';

const ECDS = TYPE_URLS.extensionConfig;
const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
const NODE = { id: 'sidecar~127.0.3.1~pp.default~default.svc.cluster.local' };

const lua = (name: string, code: string): NamedResource => ({ name, json: { name, typed_config: { '@type': LUA, default_source_code: { inline_string: code } } } });

type Sotw = { version_info: string; nonce: string; type_url: string; resources: { type_url: string; value: Buffer }[] };
type Delta = { nonce: string; type_url: string; resources: { name: string; version: string; resource: { type_url: string; value: Buffer } }[]; removed_resources: string[] };

const code = (any: { type_url: string; value: Buffer }) => {
  const ec = decodeAny(any) as { name: string; typed_config: { type_url: string; value: Buffer } };
  const inner = decodeAny(ec.typed_config) as { default_source_code: { inline_string: string } };
  return `${ec.name}: ${inner.default_source_code.inline_string}`;
};

describe('ECDS over ADS', () => {
  let world: FakeWorld;
  let address: string;
  before(async () => {
    world = new FakeWorld();
    address = await world.start();
  });
  after(() => world.stop());

  it('SotW: sends the subscribed names alone, a new version on change, nothing on another name\'s change', async () => {
    world.update({ extensionConfigs: [lua('a', '-- a1'), lua('b', '-- b1')] });
    const c = AdsClient.sotw(address, NODE);
    try {
      c.send({ type_url: ECDS, resource_names: ['a'] });
      const r1 = (await c.next()) as unknown as Sotw;
      assert.equal(r1.type_url, ECDS);
      assert.deepEqual(r1.resources.map((r) => r.type_url), [ECDS]);
      assert.deepEqual(r1.resources.map(code), ['a: -- a1']);
      c.send({ type_url: ECDS, resource_names: ['a'], version_info: r1.version_info, response_nonce: r1.nonce });
      await c.none();
      world.update({ extensionConfigs: [lua('a', '-- a1'), lua('b', '-- b2')] });
      await c.none();
      world.update({ extensionConfigs: [lua('a', '-- a2'), lua('b', '-- b2')] });
      const r2 = (await c.next()) as unknown as Sotw;
      assert.deepEqual(r2.resources.map(code), ['a: -- a2']);
      assert.notEqual(r2.version_info, r1.version_info);
      c.send({ type_url: ECDS, resource_names: ['a', 'b'], version_info: r2.version_info, response_nonce: r2.nonce });
      const r3 = (await c.next()) as unknown as Sotw;
      assert.deepEqual(r3.resources.map(code), ['a: -- a2', 'b: -- b2'], 'a newly subscribed name is sent');
    } finally {
      c.close();
    }
  });

  it('serves the standalone ExtensionConfigDiscoveryService too (StreamExtensionConfigs)', async () => {
    world.update({ extensionConfigs: [lua('a', '-- a4'), lua('b', '-- b4')] });
    const Ctor = grpc.makeClientConstructor(serviceDefinitions()['envoy.service.extension.v3.ExtensionConfigDiscoveryService'] as grpc.ServiceDefinition, 'ExtensionConfigDiscoveryService');
    const client = new Ctor(address, grpc.credentials.createInsecure());
    const call = (client as unknown as Record<string, () => grpc.ClientDuplexStream<object, Sotw>>)['StreamExtensionConfigs']!.call(client);
    try {
      const first = new Promise<Sotw>((resolve, reject) => {
        call.once('data', resolve);
        call.once('error', reject);
      });
      call.write({ node: { id: NODE.id }, type_url: ECDS, resource_names: ['b'] });
      const r = await first;
      assert.deepEqual(r.resources.map(code), ['b: -- b4']);
    } finally {
      call.end();
      client.close();
    }
  });

  it('delta: sends each subscribed name with its version, changes alone, and removals', async () => {
    world.update({ extensionConfigs: [lua('a', '-- a1'), lua('b', '-- b1')] });
    const c = AdsClient.delta(address, NODE);
    try {
      c.send({ type_url: ECDS, resource_names_subscribe: ['a'] });
      const r1 = (await c.next()) as unknown as Delta;
      assert.deepEqual(r1.resources.map((r) => [r.name, code(r.resource)]), [['a', 'a: -- a1']]);
      const v1 = r1.resources[0]!.version;
      c.send({ type_url: ECDS, response_nonce: r1.nonce });
      await c.none();
      world.update({ extensionConfigs: [lua('a', '-- a3'), lua('b', '-- b3')] });
      const r2 = (await c.next()) as unknown as Delta;
      assert.deepEqual(r2.resources.map((r) => [r.name, code(r.resource)]), [['a', 'a: -- a3']]);
      assert.notEqual(r2.resources[0]!.version, v1);
      c.send({ type_url: ECDS, response_nonce: r2.nonce });
      world.update({ extensionConfigs: [lua('b', '-- b3')] });
      let r3 = (await c.next()) as unknown as Delta;
      if (r3.removed_resources.length === 0) {
        c.send({ type_url: ECDS, response_nonce: r3.nonce });
        r3 = (await c.next()) as unknown as Delta;
      }
      assert.deepEqual(r3.removed_resources, ['a']);
    } finally {
      c.close();
    }
  });
});

const envoyFilter = (name: string, namespace: string, code: string, extra = '') => `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${extra}  configPatches:
  - applyTo: EXTENSION_CONFIG
    patch:
      operation: ADD
      value:
        name: mast.lua
        typed_config: {"@type": ${LUA}, default_source_code: {inline_string: "${code}"}}`;

describe('ECDS resources from EnvoyFilters, through the view cache', () => {
  const store = new ConfigStore();
  const views = new ViewCache((p) => partsFor(p.role), quiet);
  const put = (...docs: string[]) => {
    const { objects, diagnostics } = parseDocuments([service('productpage'), service('reviews'), ...docs].join('\n---\n'), 'mesh.yaml');
    store.replaceSource('mesh.yaml', objects, diagnostics);
    views.setSnapshot(store.snapshot());
    return store.diagnostics();
  };
  const pod1 = sidecar({ ips: ['127.0.3.1'] });
  const pod2 = sidecar({ ips: ['127.0.3.2'] });
  const reviews = sidecar({ labels: { app: 'reviews' }, ips: ['127.0.3.3'] });
  const served = (p: typeof pod1) => views.viewFor(p).resources.get(ECDS)!;

  it('serves the ADD to the proxies it selects, encoded once for all of them, and a new version on edit', () => {
    assert.deepEqual(put(envoyFilter('lua', 'default', '-- v1', '  workloadSelector: {labels: {app: productpage}}\n')), []);
    const a = served(pod1).get('mast.lua');
    assert.ok(a, 'productpage is served mast.lua');
    assert.equal(served(pod2).get('mast.lua'), a, 'another pod shares the encoded resource itself');
    assert.equal(served(reviews).size, 0, 'reviews is not selected');
    assert.deepEqual(views.viewFor(pod1).json().extensionConfigs?.map((r) => r.sources), [['EnvoyFilter/default/lua']]);
    put(envoyFilter('lua', 'default', '-- v2', '  workloadSelector: {labels: {app: productpage}}\n'));
    const b = served(pod1).get('mast.lua')!;
    assert.notEqual(b.version, a.version);
    assert.equal(code(anyOf(b)), 'mast.lua: -- v2');
  });

  it('serves the later-applied of two ADDs of one name and says which it shadows (MAST2065)', () => {
    put(envoyFilter('mesh', 'istio-system', '-- mesh'), envoyFilter('ns', 'default', '-- namespace'));
    assert.equal(code(anyOf(served(pod1).get('mast.lua')!)), 'mast.lua: -- namespace');
    assert.equal(code(anyOf(served(reviews).get('mast.lua')!)), 'mast.lua: -- namespace');
    const shadow = views.findings().filter((d) => d.code === 'MAST2065');
    assert.deepEqual([...new Set(shadow.map((d) => `${d.object?.namespace}/${d.object?.name} ${d.field}`))], ['istio-system/mesh spec.configPatches[0]']);
  });

  it('keeps an EnvoyFilter\'s last good extension config when Envoy would refuse the new one', () => {
    put(envoyFilter('lua', 'default', '-- good'));
    // Envoy requires a TypedExtensionConfig's typed_config (its PGV rule): the edit is refused.
    const bad = envoyFilter('lua', 'default', '').replace(/\n +typed_config: .*$/m, '');
    assert.doesNotMatch(bad, /typed_config/);
    put(bad);
    const r = served(pod1).get('mast.lua');
    assert.ok(r, 'still served');
    assert.equal(code(anyOf(r)), 'mast.lua: -- good');
    assert.ok(views.findings().some((d) => d.object?.name === 'lua' && d.severity === 'error'), 'the refusal is reported');
  });

  // Envoy refuses an ECDS update whose typed_config type is not in the config_discovery.type_urls
  // of every filter discovering it (config_discovery_impl.cc): Mast never sends one (MAST2068).
  const discovering = (types: string) => `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: discover, namespace: default}
spec:
  configPatches:
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
    patch:
      operation: INSERT_BEFORE
      value: {name: mast.lua, config_discovery: {config_source: {ads: {}}, type_urls: [${types}]}}`;
  const RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
  const mismatches = () => views.findings().filter((d) => d.code === 'MAST2068');

  it('serves an extension config of a type its discovering filter accepts', () => {
    put(discovering(`${RBAC}, ${LUA}`), envoyFilter('lua', 'default', '-- accepted'));
    assert.equal(code(anyOf(served(pod1).get('mast.lua')!)), 'mast.lua: -- accepted');
    assert.deepEqual(mismatches(), []);
  });

  it('refuses one of a type the discovering filter does not accept (MAST2068) and keeps the last good', () => {
    put(discovering(LUA), envoyFilter('lua', 'default', '-- good'));
    const good = served(pod1).get('mast.lua')!;
    assert.equal(code(anyOf(good)), 'mast.lua: -- good');
    const rbac = envoyFilter('lua', 'default', '').replace(/typed_config: .*$/m, `typed_config: {"@type": ${RBAC}}`);
    put(discovering(LUA), rbac);
    assert.equal(served(pod1).get('mast.lua'), good, 'the last good version is still served, as it was');
    const found = mismatches();
    assert.deepEqual([...new Set(found.map((d) => `${d.object?.namespace}/${d.object?.name} ${d.field} ${d.severity}`))], ['default/lua spec.configPatches[0] error']);
    assert.match(found[0]!.message, /is of type envoy\.extensions\.filters\.http\.rbac\.v3\.RBAC, which the filter mast\.lua that EnvoyFilter\/default\/discover spec\.configPatches\[0\] .* does not accept/);
  });

  it('serves none when the refused config has no last good version, and a TypedStruct is judged by its inner type', () => {
    put(discovering(LUA));
    const rbac = envoyFilter('fresh', 'default', '').replace(/typed_config: .*$/m, `typed_config: {"@type": ${RBAC}}`);
    put(discovering(LUA), rbac);
    assert.equal(served(pod1).get('mast.lua'), undefined, 'nothing Envoy would refuse is sent');
    assert.ok(mismatches().some((d) => d.object?.name === 'fresh'));
    const typedStruct = envoyFilter('typed', 'default', '').replace(/typed_config: .*$/m, `typed_config: {"@type": type.googleapis.com/xds.type.v3.TypedStruct, type_url: ${LUA}, value: {default_source_code: {inline_string: "-- struct"}}}`);
    put(discovering(LUA), typedStruct);
    assert.ok(served(pod1).get('mast.lua'), 'a TypedStruct of the accepted type is served');
    assert.deepEqual(mismatches(), []);
  });
});

/** An encoded resource's google.protobuf.Any, as a response carries it. */
function anyOf(r: EncodedResource): { type_url: string; value: Buffer } {
  const type = resourceTypes().lookupType('google.protobuf.Any');
  return type.toObject(type.decode(r.any)) as { type_url: string; value: Buffer };
}
