import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { resourceTypes } from '../../src/envoy-api/protos';
import { TYPE_URLS, type ProxyClass, type ResourceSet } from '../../src/translate/types';
import { createTelemetry } from '../../src/telemetry/metrics';
import { ViewCache } from '../../src/xds/cache';
import { DeltaConnection } from '../../src/xds/delta';
import { DeltaResponse } from '../../src/xds/delta-response';
import { InflightBudget } from '../../src/xds/inflight';
import { DEFAULT_XDS_LIMITS } from '../../src/xds/limits';
import { XdsMetrics } from '../../src/xds/metrics';
import { ResponseBytes, type EncodedResource } from '../../src/xds/wire';
import { cluster, endpoints, fakeSnapshot, quiet } from './fake-world';

type Decoded = {
  system_version_info: string;
  resources: { name: string; version: string; resource: { type_url: string; value: Uint8Array } }[];
  type_url: string;
  nonce: string;
  removed_resources: string[];
  control_plane: { identifier: string } | null;
};

const decode = (bytes: Uint8Array): Decoded =>
  resourceTypes().lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse').toObject(resourceTypes().lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse').decode(bytes), { defaults: true }) as unknown as Decoded;

const anyOf = (typeUrl: string, value: Uint8Array): Uint8Array => resourceTypes().lookupType('google.protobuf.Any').encode({ type_url: typeUrl, value }).finish();

// Names and versions of any text, any sizes around the one- and two-byte varint lengths.
const text = fc.string({ unit: 'binary', maxLength: 140 });
const resource = fc.record({ name: text, version: text, value: fc.uint8Array({ maxLength: 300 }) });

describe('DeltaResponse', () => {
  it('is exactly byteLength long and decodes to the resources (in order) and removals it was given', () => {
    fc.assert(
      fc.property(text, text, fc.array(resource, { maxLength: 6 }), fc.array(text, { maxLength: 6 }), (version, nonce, given, removed) => {
        const typeUrl = TYPE_URLS.cluster;
        const resources: EncodedResource[] = given.map((r) => ({ name: r.name, version: r.version, any: anyOf(typeUrl, r.value) }));
        const response = new DeltaResponse(typeUrl, version, nonce, resources, removed);
        const bytes = response.bytes();
        assert.ok(bytes instanceof ResponseBytes);
        assert.equal(bytes.byteLength, response.byteLength, 'the size the budget was asked for is the size written');
        const d = decode(bytes.concat());
        assert.equal(d.system_version_info, version);
        assert.equal(d.type_url, typeUrl);
        assert.equal(d.nonce, nonce);
        assert.deepEqual(d.removed_resources, removed);
        assert.equal(d.control_plane?.identifier, 'mast');
        assert.deepEqual(
          d.resources.map((r) => [r.name, r.version, r.resource.type_url, Buffer.from(r.resource.value).toString('hex')]),
          given.map((r) => [r.name, r.version, typeUrl, Buffer.from(r.value).toString('hex')]),
        );
      }),
    );
  });

  it('a resource sent by many responses is written into one shared piece', () => {
    const r: EncodedResource = { name: 'c', version: 'v1', any: anyOf(TYPE_URLS.cluster, new Uint8Array([1, 2, 3])) };
    const a = new DeltaResponse(TYPE_URLS.cluster, '1', 'n1', [r], []).bytes();
    const b = new DeltaResponse(TYPE_URLS.cluster, '2', 'n2', [r], []).bytes();
    assert.equal(a.pieces.length, 3, 'head, the resource, tail');
    assert.equal(a.pieces[1], b.pieces[1]);
  });
});

const PROXY: ProxyClass = { role: 'router', namespace: 'ns', labels: {}, ips: ['127.0.0.9'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };

describe('a delta response the budget refuses', () => {
  const telemetry = createTelemetry();
  after(() => telemetry.shutdown());

  it('is never made, and on its turn is sent as computed unless something it was computed from changed', () => {
    const metrics = new XdsMetrics(telemetry.meter, () => ({ sotw: 0, delta: 0 }));
    const state = { set: { clusters: [cluster('a'), cluster('b')], endpoints: [endpoints('a', 80)], listeners: [], routes: [] } as ResourceSet, generation: 1 };
    const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => state.set }], quiet);
    const view = () => {
      views.setSnapshot(fakeSnapshot(state.generation));
      return views.viewFor(PROXY);
    };
    const budget = new InflightBudget(1);
    const streams = [0, 1, 2].map(() => ({ written: [] as { chunk: Buffer; done: () => void }[] }));
    const conns = streams.map((s, i) => new DeltaConnection(String(i), { ...PROXY, id: `p${i}`, workloadName: 'gw.ns', serviceAccount: 'default' }, {
      write: (chunk: Buffer | ResponseBytes, done: () => void) => (s.written.push({ chunk: chunk instanceof ResponseBytes ? chunk.concat() : chunk, done }), true),
      once: () => undefined,
    }, metrics, quiet, DEFAULT_XDS_LIMITS, budget));
    const proto = DeltaConnection.prototype as unknown as { changes: (...a: unknown[]) => unknown };
    const made = DeltaResponse.prototype.bytes;
    const computed = new Map<string, number>();
    let bytesMade = 0;
    const changes = proto.changes;
    proto.changes = function (this: DeltaConnection, ...a: unknown[]) {
      // (st, available, phase, scope): the updates each response carries, not the removals after.
      if (a[2] === 'updates') computed.set(this.id, (computed.get(this.id) ?? 0) + 1);
      return changes.apply(this, a);
    };
    DeltaResponse.prototype.bytes = function (this: DeltaResponse) {
      bytesMade++;
      return made.call(this);
    };
    try {
      const ask = (c: DeltaConnection) => c.onRequest({ type_url: TYPE_URLS.cluster, resource_names_subscribe: ['*'], resource_names_unsubscribe: [], initial_resource_versions: {}, response_nonce: '', node: null, error_detail: null, resource_locators: [] } as never, view());
      for (const c of conns) ask(c);
      assert.deepEqual(streams.map((s) => s.written.length), [1, 0, 0], 'one response in flight; the others wait');
      assert.equal(bytesMade, 1, 'the refused responses were sized, not made');
      // Stream 2's subscription changes while it waits: what it had computed no longer holds.
      conns[2]!.onRequest({ type_url: TYPE_URLS.cluster, resource_names_subscribe: [], resource_names_unsubscribe: ['*'], initial_resource_versions: {}, response_nonce: '', node: null, error_detail: null, resource_locators: [] } as never, view());
      const before = new Map(computed);
      streams[0]!.written.splice(0).forEach((w) => w.done());
      assert.equal(streams[1]!.written.length, 1, 'stream 1 sends on its turn');
      assert.equal(computed.get('1'), before.get('1'), 'with the changes it computed when refused');
      const sent = decode(streams[1]!.written[0]!.chunk);
      assert.deepEqual(sent.resources.map((r) => r.name), ['a', 'b']);
      streams[1]!.written.splice(0).forEach((w) => w.done());
      assert.ok(computed.get('2')! > before.get('2')!, 'stream 2 computed again after its subscription changed');
      assert.equal(streams[2]!.written.length, 0, 'it now subscribes to nothing');
      assert.equal(bytesMade, 2, 'a response is made only to be written');
    } finally {
      proto.changes = changes;
      DeltaResponse.prototype.bytes = made;
    }
  });
});
