// EnvoyFilter through real Envoy (issue 9, item 5): a Lua filter an EnvoyFilter puts before the
// router on productpage's inbound side runs and adds a response header, which the gateway passes
// back to the client; a bad edit of that EnvoyFilter (a filter after the router, an unknown field)
// is reported with its code and never reaches Envoy, whose last good config keeps serving (no
// NACK: describeMesh fails any test during which an Envoy rejects an update, e2e/harness/nacks.ts);
// removing the EnvoyFilter takes the filter away.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Mesh } from '../harness/mesh';
import { get, sleep, waitFor } from '../harness/net';
import { converge, describeMesh } from '../harness/scenario';

const NAME = 'productpage-lua';

function envoyFilter(operation: string, value: string, typedConfigExtra = ''): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ${NAME}, namespace: default}
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
    patch:
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

/** The x-envoy-filter header of productpage's answer through the gateway. */
async function header(mesh: Mesh): Promise<string | undefined> {
  const r = await get(mesh.gatewayUrl());
  assert.equal(r.status, 200, r.text.slice(0, 200));
  const value = r.headers['x-envoy-filter'];
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
});
