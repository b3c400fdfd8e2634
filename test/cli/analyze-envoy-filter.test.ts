// `mast analyze` on EnvoyFilters: what the view cache finds in patched resources (MAST4002,
// MAST4003, MAST4004) and in extension configs (MAST2068) reaches the user with file, object and
// configPatches[i], as a refused value (MAST2064) does, before anything is applied.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { analyze } from '../../src/cli/analyze';

const MESH = `apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: shop}
spec: {selector: {app: productpage}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: productpage-v1, namespace: shop, labels: {app: productpage}}
spec: {containers: [{name: app, ports: [{containerPort: 9080}]}]}
status: {podIP: 10.0.0.5}
`;

function filter(patches: string): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua, namespace: shop}
spec:
  workloadSelector: {labels: {app: productpage}}
  configPatches:
${patches.replace(/^/gm, '  ')}`;
}

const httpFilter = (op: string, sub: string, value = '') => `- applyTo: HTTP_FILTER
  match: {context: SIDECAR_INBOUND, listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: ${sub}}}}}}
  patch: {operation: ${op}${value ? `, value: ${value}` : ''}}`;

const LUA = '{name: envoy.filters.http.lua, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inline_code: "-- x"}}';

describe('mast analyze and EnvoyFilter', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-analyze-envoyfilter-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(patches: string) {
    writeFileSync(path.join(dir, 'mesh.yaml'), `${MESH}---\n${filter(patches)}`);
    return analyze([dir], { domain: 'cluster.local' });
  }

  test('a filter put after the router: MAST4004 on the EnvoyFilter and its patch, exit 1', async () => {
    const result = await run(httpFilter('INSERT_AFTER', 'envoy.filters.http.router', LUA));
    assert.deepEqual(result.diagnostics.map((d) => d.code), ['MAST4004']);
    assert.match(result.output, /mesh\.yaml#3 EnvoyFilter\/shop\/lua spec\.configPatches\[0\]: MAST4004 .*must be the last HTTP filter/);
    assert.equal(result.exitCode, 1);
  });

  test('a REMOVE of a filter the proxy does not have: MAST4003, a warning (exit 0)', async () => {
    const result = await run(httpFilter('REMOVE', 'envoy.filters.http.nope'));
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.field]), [['MAST4003', 'spec.configPatches[0]']]);
    assert.equal(result.exitCode, 0);
  });

  test('a value Envoy would refuse by its proto rules: MAST4002', async () => {
    const result = await run(httpFilter('INSERT_BEFORE', 'envoy.filters.http.router', '{name: "", typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua}}'));
    assert.deepEqual(result.diagnostics.map((d) => d.code), ['MAST4002']);
    assert.match(result.output, /EnvoyFilter\/shop\/lua spec\.configPatches\[0\]: MAST4002 Envoy would reject lds virtualInbound/);
  });

  test('an extension config of a type its discovering filter does not accept: MAST2068 on the supplying patch, exit 1', async () => {
    const discover = httpFilter('INSERT_BEFORE', 'envoy.filters.http.router', '{name: mast.ecds, config_discovery: {config_source: {ads: {}}, type_urls: [type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua]}}');
    const supply = (type: string) => `- applyTo: EXTENSION_CONFIG\n  patch: {operation: ADD, value: {name: mast.ecds, typed_config: {"@type": ${type}}}}`;
    const refused = await run(`${discover}\n${supply('type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC')}`);
    assert.deepEqual(refused.diagnostics.map((d) => [d.code, d.field]), [['MAST2068', 'spec.configPatches[1]']]);
    assert.match(refused.output, /mesh\.yaml#3 EnvoyFilter\/shop\/lua spec\.configPatches\[1\]: MAST2068 .*envoy\.extensions\.filters\.http\.rbac\.v3\.RBAC.*does not accept/);
    assert.equal(refused.exitCode, 1);
    const accepted = await run(`${discover}\n${supply('type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua')}`);
    assert.deepEqual(accepted.diagnostics.map((d) => d.code), []);
  });

  test('an unknown field in the value: MAST2064 at the field', async () => {
    const result = await run(httpFilter('INSERT_BEFORE', 'envoy.filters.http.router', '{name: envoy.filters.http.lua, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inline_cod: "-- x"}}'));
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.field]), [['MAST2064', 'spec.configPatches[0].patch.value.typed_config.inline_cod']]);
  });
});
