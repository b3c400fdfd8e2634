import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goldenCases, snapshotOf } from '../golden/cases';
import { translate } from '../../src/translate';
import type { EnvoyJson, ResourceSet } from '../../src/translate/types';

const KINDS = ['clusters', 'endpoints', 'listeners', 'routes'] as const;

function hasProvenance(json: EnvoyJson): boolean {
  const meta = json.metadata as { filter_metadata?: { mast?: { sources?: unknown } } } | undefined;
  return Array.isArray(meta?.filter_metadata?.mast?.sources);
}

for (const c of goldenCases()) {
  const set: ResourceSet = translate(snapshotOf(c.input, c.inputFile).snapshot, c.proxy);

  test(`${c.name}: names are unique, sorted and match the resource`, () => {
    for (const kind of KINDS) {
      const names = set[kind].map((r) => r.name);
      assert.deepEqual(names, [...new Set(names)].sort(), kind);
      for (const r of set[kind]) assert.equal(r.json.name ?? r.json.cluster_name, r.name);
    }
  });

  test(`${c.name}: every resource names its sources beside it; routes and endpoints from objects carry them inside`, () => {
    for (const kind of KINDS) {
      for (const r of set[kind]) {
        assert.ok(Array.isArray(r.sources), `${kind} ${r.name} has no sources`);
        assert.equal(r.json.metadata, undefined, `${kind} ${r.name}: resource-level provenance must not be encoded`);
      }
    }
    for (const r of [...set.clusters, ...set.listeners]) assert.doesNotMatch(JSON.stringify(r.json), /"mast"/, `${r.name} encodes provenance`);
    // Every virtual host, route and endpoint made from a user's object names it inside the bytes.
    const services = set.routes.flatMap((r) => r.json.virtual_hosts as EnvoyJson[]).filter((vh) => !['allow_any', 'block_all'].includes(vh.name as string));
    const endpoints = set.endpoints.flatMap((e) => e.json.endpoints as EnvoyJson[]).flatMap((g) => g.lb_endpoints as EnvoyJson[]);
    for (const json of services.flatMap((vh) => [vh, ...(vh.routes as EnvoyJson[])]).concat(endpoints)) {
      assert.ok(hasProvenance(json), JSON.stringify(json).slice(0, 200));
    }
  });

  test(`${c.name}: translation is pure`, () => {
    const { snapshot } = snapshotOf(c.input, c.inputFile);
    const before = JSON.stringify(snapshot.virtualServices()) + JSON.stringify(snapshot.destinationRules()) + JSON.stringify(snapshot.services());
    const first = JSON.stringify(translate(snapshot, c.proxy));
    assert.equal(JSON.stringify(translate(snapshot, c.proxy)), first);
    assert.equal(JSON.stringify(snapshot.virtualServices()) + JSON.stringify(snapshot.destinationRules()) + JSON.stringify(snapshot.services()), before);
  });
}
