// EnvoyFilter through real Envoy (issue 9, item 5): a Lua filter an EnvoyFilter puts before the
// router on productpage's inbound side runs and adds a response header, which the gateway passes
// back to the client; a bad edit of that EnvoyFilter (a filter after the router, an unknown field)
// is reported with its code and never reaches Envoy, whose last good config keeps serving (no
// NACK: describeMesh fails any test during which an Envoy rejects an update, e2e/harness/nacks.ts);
// removing the EnvoyFilter takes the filter away. A Lua filter whose config comes by ECDS (an
// HTTP_FILTER with config_discovery and an EXTENSION_CONFIG ADD supplying it) runs too, and an
// edit of the extension config alone changes it live, without a new listener.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Mesh } from '../harness/mesh';
import { get, sleep, waitFor } from '../harness/net';
import { converge, describeMesh } from '../harness/scenario';

const NAME = 'productpage-lua';

/**
 * The start of an EnvoyFilter named `name` on productpage, up to its first patch: an HTTP_FILTER
 * placed against the router of productpage's inbound HTTP connection manager.
 */
function routerPatch(name: string): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ${name}, namespace: default}
spec:
  workloadSelector:
    labels: {app: productpage}
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener:
        filterChain:
          filter:
            name: envoy.filters.network.http_connection_manager
            subFilter: {name: envoy.filters.http.router}
`;
}

function envoyFilter(operation: string, value: string, typedConfigExtra = ''): string {
  return `${routerPatch(NAME)}    patch:
      operation: ${operation}
      value:
        name: envoy.filters.http.lua
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
          inline_code: |
            function envoy_on_response(response_handle)
              response_handle:headers():add("x-envoy-filter", "${value}")
            end
${typedConfigExtra}`;
}

/** The Lua filter before productpage's inbound router as ECDS delivers it, and the extension config it discovers. */
function ecdsFilter(value: string): string {
  return `${routerPatch('productpage-ecds')}    patch:
      operation: INSERT_BEFORE
      value:
        name: mast.lua-ecds
        config_discovery:
          config_source: {ads: {}, resource_api_version: V3}
          type_urls: [type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua]
  - applyTo: EXTENSION_CONFIG
    patch:
      operation: ADD
      value:
        name: mast.lua-ecds
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
          default_source_code:
            inline_string: |
              function envoy_on_response(response_handle)
                response_handle:headers():add("x-ecds", "${value}")
              end
`;
}

/** The `name` header (x-envoy-filter unless said) of productpage's answer through the gateway. */
async function header(mesh: Mesh, name = 'x-envoy-filter'): Promise<string | undefined> {
  const r = await get(mesh.gatewayUrl());
  assert.equal(r.status, 200, r.text.slice(0, 200));
  const value = r.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Mast's log lines with `code` that name the EnvoyFilter. */
function logLines(mesh: Mesh, code: string): string[] {
  return readFileSync(path.join(mesh.logDir, 'mast.log'), 'utf8').split('\n').filter((l) => l.includes(code) && l.includes(`EnvoyFilter/default/${NAME}`));
}

describeMesh('EnvoyFilter', (mesh) => {
  test('a Lua filter inserted before the router on productpage runs in its Envoy and adds a response header', async (t) => {
    assert.equal(await header(mesh()), undefined, 'no header before the EnvoyFilter');
    await mesh().apply(envoyFilter('INSERT_BEFORE', 'lua-v1'));
    await converge(t, 'the Lua filter answers', async () => (await header(mesh())) === 'lua-v1');
    // Only productpage's sidecar has it: reviews' inbound side, reached from productpage, does not.
    const dump = JSON.stringify(await mesh().workload('reviews-v1-0').envoy.dynamic('listener'));
    assert.doesNotMatch(dump, /envoy\.filters\.http\.lua/);
  });

  test('an edit that puts the filter after the router is refused (MAST4004) and the last good one keeps serving, without a NACK', async () => {
    await mesh().apply(envoyFilter('INSERT_AFTER', 'after-router'));
    await waitFor(async () => logLines(mesh(), 'MAST4004').length > 0, 5000, 'MAST4004 in the log', 100);
    await sleep(500);
    assert.equal(await header(mesh()), 'lua-v1');
    const line = logLines(mesh(), 'MAST4004')[0]!;
    assert.match(line, /spec\.configPatches\[0\]/);
    assert.match(line, /last good version keeps serving/);
  });

  test('an edit with a field Envoy does not know is refused (MAST2064) and the last good one keeps serving', async () => {
    await mesh().apply(envoyFilter('INSERT_BEFORE', 'lua-v2', '          stat_prefixx: typo\n'));
    await waitFor(async () => logLines(mesh(), 'MAST2064').length > 0, 5000, 'MAST2064 in the log', 100);
    await sleep(500);
    assert.equal(await header(mesh()), 'lua-v1');
    assert.match(logLines(mesh(), 'MAST2064')[0]!, /spec\.configPatches\[0\]\.patch\.value\.typed_config\.stat_prefixx/);
  });

  test('a good edit is served, and removing the EnvoyFilter takes the filter away', async (t) => {
    await mesh().apply(envoyFilter('INSERT_BEFORE', 'lua-v3'));
    await converge(t, 'the edited Lua filter answers', async () => (await header(mesh())) === 'lua-v3');
    await mesh().delete(envoyFilter('INSERT_BEFORE', 'lua-v3'));
    await converge(t, 'the header is gone', async () => (await header(mesh())) === undefined);
  });

  test('a Lua filter delivered by ECDS adds a response header, and an edit of its extension config changes it live, the listener untouched', async (t) => {
    const envoy = mesh().workload('productpage-v1-0').envoy;
    const inboundVersion = async () => {
      type Entry = { active_state?: { version_info?: string; listener?: { name?: string } } };
      return ((await envoy.dynamic('listener')) as Entry[]).find((e) => e.active_state?.listener?.name === 'virtualInbound')?.active_state?.version_info;
    };
    const ecdsNames = async () => {
      const section = (await envoy.configDump()).configs.find((c) => c['@type'].endsWith('.EcdsConfigDump')) as { ecds_filters?: { ecds_filter?: { name?: string } }[] } | undefined;
      return (section?.ecds_filters ?? []).map((f) => f.ecds_filter?.name);
    };
    await mesh().apply(ecdsFilter('ecds-v1'));
    await converge(t, 'the ECDS-delivered Lua filter answers', async () => (await header(mesh(), 'x-ecds')) === 'ecds-v1');
    assert.deepEqual(await ecdsNames(), ['mast.lua-ecds'], 'Envoy holds the extension config it got by ECDS');
    const before = await inboundVersion();
    await mesh().apply(ecdsFilter('ecds-v2'));
    await converge(t, 'the edited extension config answers', async () => (await header(mesh(), 'x-ecds')) === 'ecds-v2');
    assert.equal(await inboundVersion(), before, 'only the extension config changed: no new listener was sent');
    await mesh().delete(ecdsFilter('ecds-v2'));
    await converge(t, 'the ECDS header is gone', async () => (await header(mesh(), 'x-ecds')) === undefined);
  });
});
