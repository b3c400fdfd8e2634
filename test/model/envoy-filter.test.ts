// EnvoyFilter validation: Istio's own test data (its CRD validation cases and samples, read from
// the pinned module at test time) as the oracle for what is valid, and the strict reading of patch
// values that keeps what Envoy would refuse from ever being translated (MAST2064).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { load, loadAll } from 'js-yaml';
import { snapshotFromYaml, type Diagnostic } from '../../src/model';
import { normaliseMessage } from '../../src/model/envoy-proto-json';
import { istioModuleDir } from '../conformance/corpus';

const codes = (ds: Diagnostic[]) => ds.map((d) => `${d.code} ${d.field ?? ''}`);
const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');

function filter(patch: string, extra = ''): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef, namespace: default}
spec:
${extra}  configPatches:
${patch.replace(/^/gm, '  ')}`;
}

const luaPatch = (typedConfig: string) => `- applyTo: HTTP_FILTER
  match:
    context: SIDECAR_INBOUND
    listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}
  patch:
    operation: INSERT_BEFORE
    value:
      name: envoy.filters.http.lua
      typed_config:
${typedConfig.replace(/^/gm, '        ')}`;

describe('EnvoyFilter validation', () => {
  const istio = istioModuleDir();

  // Two gaps, each named: the Envoy API protos Mast encodes with (@grpc/grpc-js-xds's) predate
  // ext_proc's FULL_DUPLEX_STREAMED, and the Istio schema package predates MERGE_AND_REPLACE_LIST.
  // Both are refused, so neither reaches Envoy; everything else Istio accepts, Mast accepts.
  const KNOWN_GAPS = new Set(['MAST2064 spec.configPatches[0].patch.value.typed_config.processing_mode.request_body_mode', 'MAST1006 spec.configPatches[0].patch.operation']);

  it('accepts every EnvoyFilter of Istio\'s valid CRD cases and validation dataset (but two named gaps)', () => {
    let seen = 0;
    for (const file of ['pkg/config/validation/testdata/crds/envoyfilter-valid.yaml', 'pkg/test/datasets/validation/dataset/networking-v1alpha3-EnvoyFilter.yaml']) {
      const { diagnostics } = snapshotFromYaml(readFileSync(path.join(istio, file), 'utf8'), file);
      const found = codes(errors(diagnostics));
      seen += found.length;
      assert.deepEqual(found.filter((c) => !KNOWN_GAPS.has(c)), [], file);
    }
    assert.equal(seen, KNOWN_GAPS.size, 'a gap closed: take it out of KNOWN_GAPS');
  });

  it('refuses each of Istio\'s invalid CRD cases, at the field Istio names', () => {
    const docs = (loadAll(readFileSync(path.join(istio, 'pkg/config/validation/testdata/crds/envoyfilter-invalid.yaml'), 'utf8')) as ({ _err: string } | null)[]).filter((d) => d !== null);
    assert.ok(docs.length >= 3);
    for (const { _err, ...doc } of docs) {
      const { diagnostics } = snapshotFromYaml(JSON.stringify(doc), 'invalid.yaml');
      const field = _err.slice(0, _err.indexOf(':'));
      assert.ok(errors(diagnostics).some((d) => d.field === field), `${_err}: got ${codes(diagnostics).join('; ')}`);
    }
  });

  it('accepts Istio\'s rate-limit samples as published (TypedStruct values, snake_case, a CLUSTER ADD)', () => {
    for (const file of ['samples/ratelimit/local-rate-limit-service.yaml', 'samples/bookinfo/policy/productpage_envoy_ratelimit.yaml']) {
      const { snapshot, diagnostics } = snapshotFromYaml(readFileSync(path.join(istio, file), 'utf8'), file);
      assert.deepEqual(codes(diagnostics.filter((d) => d.object?.kind === 'EnvoyFilter')), [], file);
      assert.ok(snapshot.envoyFilters().length > 0);
    }
  });

  it('refuses an unknown field, a wrong type, an unknown @type and a bad enum value, each at its field (MAST2064)', () => {
    const cases: [string, string][] = [
      ['"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua\ninline_code: x\nbogus: 1', 'spec.configPatches[0].patch.value.typed_config.bogus'],
      ['"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua\ninline_code: 7', 'spec.configPatches[0].patch.value.typed_config.inline_code'],
      ['"@type": type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope', 'spec.configPatches[0].patch.value.typed_config.@type'],
      ['"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\nsuppress_envoy_headers: "yes"', 'spec.configPatches[0].patch.value.typed_config.suppress_envoy_headers'],
    ];
    for (const [typed, field] of cases) {
      const { snapshot, diagnostics } = snapshotFromYaml(filter(luaPatch(typed)), 'ef.yaml');
      assert.deepEqual(codes(errors(diagnostics)), [`MAST2064 ${field}`], typed);
      assert.equal(snapshot.envoyFilters().length, 0, 'an invalid EnvoyFilter never reaches translation');
    }
  });

  it('reads camelCase and snake_case alike, and a TypedStruct as the message it names', () => {
    const camel = normaliseMessage('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', {
      name: 'l',
      typedConfig: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', typeUrl: 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', value: { statPrefix: 'x', tokenBucket: { maxTokens: 4, fillInterval: '60s' } } },
    });
    assert.deepEqual(camel.problems, []);
    assert.deepEqual(camel.value, {
      name: 'l',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', stat_prefix: 'x', token_bucket: { max_tokens: 4, fill_interval: '60s' } },
    });
  });

  it('refuses two members of one oneof, and a duration Envoy cannot read', () => {
    const route = normaliseMessage('envoy.config.route.v3.Route', { match: { prefix: '/', path: '/x' }, route: { cluster: 'c', timeout: '5 seconds' } });
    assert.deepEqual(route.problems.map((p) => p.path), ['match.path', 'route.timeout']);
  });

  it('follows Istio\'s ValidateEnvoyFilter on the patch\'s shape (MAST2063) and warns where a patch applies to nothing', () => {
    const shape = (patch: string) => codes(snapshotFromYaml(filter(patch), 'ef.yaml').diagnostics);
    assert.deepEqual(shape('- applyTo: HTTP_FILTER\n  patch: {operation: ADD}'), ['MAST2063 spec.configPatches[0].patch.value']);
    assert.deepEqual(shape('- applyTo: CLUSTER\n  match: {listener: {name: x}}\n  patch: {operation: REMOVE}'), ['MAST2063 spec.configPatches[0].match']);
    assert.deepEqual(shape('- applyTo: NETWORK_FILTER\n  match: {listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy, subFilter: {name: x}}}}}\n  patch: {operation: REMOVE}'), [
      'MAST2063 spec.configPatches[0].match.listener.filterChain.filter.subFilter',
    ]);
    assert.deepEqual(shape('- applyTo: CLUSTER\n  match: {proxy: {proxyVersion: "^1\\\\.2.*"}}\n  patch: {operation: REMOVE}'), ['MAST2066 spec.configPatches[0].match.proxy']);
    assert.deepEqual(shape('- applyTo: CLUSTER\n  match: {proxy: {proxyVersion: "(("}}\n  patch: {operation: REMOVE}'), ['MAST2063 spec.configPatches[0].match.proxy.proxyVersion']);
    assert.deepEqual(shape('- applyTo: ROUTE_CONFIGURATION\n  patch: {operation: REMOVE}'), ['MAST2067 spec.configPatches[0].patch.operation']);
    // ECDS: ADD supplies an extension config (extension_configuration_patch.go); MERGE does nothing there.
    assert.deepEqual(shape('- applyTo: EXTENSION_CONFIG\n  patch: {operation: ADD, value: {name: x}}'), []);
    assert.deepEqual(shape('- applyTo: EXTENSION_CONFIG\n  patch: {operation: MERGE, value: {name: x}}'), ['MAST2067 spec.configPatches[0].patch.operation']);
    assert.deepEqual(shape('- applyTo: EXTENSION_CONFIG\n  patch: {operation: ADD, value: {name: x, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inline_cod: x}}}'), [
      'MAST2064 spec.configPatches[0].patch.value.typed_config.inline_cod',
    ]);
    assert.deepEqual(codes(snapshotFromYaml(filter('- applyTo: CLUSTER\n  patch: {operation: REMOVE}', '  workloadSelector: {labels: {app: a}}\n  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: g}]\n'), 'ef.yaml').diagnostics), ['MAST2063 spec']);
  });

  it('names an EnvoyFilter whose workloadSelector picks no Pod (MAST3014), where the mesh has Pods', () => {
    const pod = (name: string, ns: string, app: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, labels: {app: ${app}}}\nspec: {containers: [{name: c}]}\nstatus: {podIP: 10.0.0.${name.length}}`;
    const selecting = (ns: string, app: string) => filter('- applyTo: CLUSTER\n  patch: {operation: REMOVE}', `  workloadSelector: {labels: {app: ${app}}}\n`).replace('namespace: default', `namespace: ${ns}`);
    const found = (...docs: string[]) => codes(snapshotFromYaml(docs.join('\n---\n'), 'ef.yaml').diagnostics);
    assert.deepEqual(found(selecting('default', 'productpage')), [], 'no Pods known: nothing said');
    assert.deepEqual(found(pod('productpage', 'default', 'productpage'), selecting('default', 'productpage')), []);
    assert.deepEqual(found(pod('productpage', 'default', 'productpage'), selecting('default', 'prodcutpage')), ['MAST3014 spec.workloadSelector.labels']);
    assert.deepEqual(found(pod('productpage', 'other', 'productpage'), selecting('default', 'productpage')), ['MAST3014 spec.workloadSelector.labels'], 'another namespace\'s Pod');
    assert.deepEqual(found(pod('productpage', 'other', 'productpage'), selecting('istio-system', 'productpage')), [], 'the root namespace reaches every namespace');
  });

  it('is served at apiVersion networking.istio.io/v1alpha3 alone, as Istio serves it', () => {
    const doc = load(filter('- applyTo: CLUSTER\n  patch: {operation: REMOVE}')) as Record<string, unknown>;
    const { diagnostics } = snapshotFromYaml(JSON.stringify({ ...doc, apiVersion: 'networking.istio.io/v1' }), 'ef.yaml');
    assert.deepEqual(diagnostics.map((d) => d.code), ['MAST1004']);
  });
});
