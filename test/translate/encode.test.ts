// Every golden case's resources must survive src/xds/encode.ts, which rejects any field the
// vendored protos lack: Envoy may accept a field newer than those protos, the encoder would not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goldenCases, snapshotOf } from '../golden/cases';
import { translate } from '../../src/translate';
import { TYPE_URLS } from '../../src/translate/types';
import { encodeAny } from '../../src/xds/encode';

const URL_OF = { clusters: TYPE_URLS.cluster, endpoints: TYPE_URLS.endpoint, listeners: TYPE_URLS.listener, routes: TYPE_URLS.route, extensionConfigs: TYPE_URLS.extensionConfig } as const;

for (const c of goldenCases()) {
  test(`xds encoder accepts ${c.name}`, () => {
    const set = translate(snapshotOf(c.input, c.inputFile).snapshot, c.proxy);
    for (const kind of Object.keys(URL_OF) as (keyof typeof URL_OF)[]) {
      for (const r of set[kind] ?? []) assert.doesNotThrow(() => encodeAny(URL_OF[kind], r.json), `${kind} ${r.name}`);
    }
  });
}
