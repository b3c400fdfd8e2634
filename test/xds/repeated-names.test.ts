// Reusing a recent SotW request's decoded names (src/xds/repeated-names.ts): whatever bytes come
// in, the result equals what the method's own deserializer makes of them; the names are shared
// only when the request's names are exactly a kept list's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import { KEPT_BYTES, RepeatedNames } from '../../src/xds/repeated-names';
import { TYPE_URLS } from '../../src/translate/types';

const method = (serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition)['StreamAggregatedResources']!;
const encode = (req: object): Buffer => method.requestSerialize(req);
const plain = (b: Buffer): DiscoveryRequest__Output => method.requestDeserialize(b);
const decoder = (): ((b: Buffer) => DiscoveryRequest__Output) => {
  const names = new RepeatedNames(plain);
  return (b) => names.reused(b) ?? names.decoded(b);
};

const EDS = TYPE_URLS.endpoint;
const list = (n: number, prefix = 'outbound|9080||svc-'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}.default.svc.cluster.local`);
const ack = (names: string[], nonce: string, extra: object = {}): Buffer => encode({ type_url: EDS, resource_names: names, version_info: `v-${nonce}`, response_nonce: nonce, ...extra });

describe('RepeatedNames', () => {
  it('gives an ACK repeating a request\'s names those names, shared, with the ACK\'s own other fields', () => {
    const decode = decoder();
    const names = list(100);
    const first = decode(encode({ type_url: EDS, resource_names: names, node: { id: 'sidecar~10.0.0.1~a.default~default.svc.cluster.local' } }));
    const second = decode(ack(names, '7'));
    assert.deepEqual(second, plain(ack(names, '7')));
    assert.equal(second.resource_names, first.resource_names, 'the second request reuses the first one\'s names');
    assert.equal(second.response_nonce, '7');
    assert.equal(second.version_info, 'v-7');
    assert.equal(second.node, null);
    assert.ok(Object.isFrozen(second.resource_names));
  });

  it('decodes other names, fewer names, names in two runs and names beside locators as the deserializer does', () => {
    const decode = decoder();
    const names = list(100);
    decode(ack(names, '1'));
    const fewer = ack(names.slice(0, 99), '2');
    const more = ack([...names, 'outbound|9080||extra.default.svc.cluster.local'], '3');
    // Protobuf merges repeated fields across concatenated messages: the names in two runs.
    const split = Buffer.concat([ack(names, '4'), encode({ resource_names: ['outbound|9080||late.default.svc.cluster.local'] })]);
    const located = ack(names, '5', { resource_locators: [{ name: 'outbound|9080||loc.default.svc.cluster.local' }] });
    for (const b of [fewer, more, split, located, ack(names, '6')]) assert.deepEqual(decode(b), plain(b));
    assert.equal(decode(split).resource_names.length, 101);
  });

  it('decodes short lists each time', () => {
    const decode = decoder();
    const names = list(5);
    const a = decode(ack(names, '1'));
    const b = decode(ack(names, '2'));
    assert.deepEqual(b, plain(ack(names, '2')));
    assert.notEqual(a.resource_names, b.resource_names);
  });

  it('keeps lists of KEPT_BYTES in all at most, dropping the least recently used first', () => {
    const decode = decoder();
    // Three lists of about 0.4 x KEPT_BYTES each (names of 48 characters, 50 bytes encoded): two
    // fit, the third pushes the first out.
    const big = (tag: string): string[] => list(Math.ceil((0.4 * KEPT_BYTES) / 50), `outbound|9080||${tag}-`);
    const [a, b, c] = [big('a'), big('b'), big('c')];
    const first = [a, b, c].map((names, i) => decode(ack(names, `${i}`)).resource_names);
    assert.notEqual(decode(ack(a, 'a2')).resource_names, first[0], 'the oldest list was dropped, so its ACK is decoded anew');
    // a, decoded again, is kept again, and b, now the least recent, goes.
    assert.equal(decode(ack(c, 'c2')).resource_names, first[2], 'the newest list is still kept');
    assert.notEqual(decode(ack(b, 'b2')).resource_names, first[1]);
    // One list larger than the whole budget is never kept.
    const huge = list(Math.ceil(KEPT_BYTES / 40), 'outbound|9080||huge-');
    const once = decode(ack(huge, 'h1'));
    assert.notEqual(decode(ack(huge, 'h2')).resource_names, once.resource_names);
    assert.deepEqual(decode(ack(huge, 'h3')), plain(ack(huge, 'h3')));
  });

  it('equals the deserializer on any sequence of requests (property)', () => {
    const pool = list(80, 'c-');
    const request = fc.record({
      names: fc.subarray(pool, { minLength: 0, maxLength: 80 }).chain((s) => fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length })),
      nonce: fc.string({ maxLength: 8, unit: 'binary' }),
      version: fc.string({ maxLength: 12 }),
      node: fc.boolean(),
      extra: fc.constantFrom('none', 'late-name', 'locator', 'error'),
    });
    fc.assert(fc.property(fc.array(request, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 3 }), (reqs, repeats) => {
      const decode = decoder();
      const bytes = reqs.flatMap((r) => {
        const base = encode({ type_url: EDS, resource_names: r.names, version_info: r.version, response_nonce: r.nonce, ...(r.node && { node: { id: 'sidecar~10.0.0.2~b.default~default.svc.cluster.local' } }) });
        const b = r.extra === 'late-name' ? Buffer.concat([base, encode({ resource_names: ['late'] })])
          : r.extra === 'locator' ? Buffer.concat([base, encode({ resource_locators: [{ name: 'loc' }] })])
          : r.extra === 'error' ? Buffer.concat([base, encode({ error_detail: { code: 3, message: 'rejected' } })])
          : base;
        return Array.from({ length: repeats + 1 }, () => b);
      });
      for (const b of bytes) assert.deepEqual(decode(b), plain(b));
    }), { numRuns: 200 });
  });
});
