// Walking a request's fields from its bytes (src/xds/proto-walk.ts) finds what the deserializer
// finds: for bytes in any encoding protobufjs accepts (padded varints, a fifth varint byte with
// high bits set, six-to-ten-byte varints, declared fields under any wire type, unknown fields of
// every wire type, groups), the names the walk sees are the deserializer's names, and the walk
// fails exactly where the deserializer throws. A client must not hide names from the limits or
// from RepeatedNames by encoding them in a way the two read differently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import { DISCOVERY_REQUEST_FIELDS, walkFields } from '../../src/xds/proto-walk';
import { sotwReader } from '../../src/xds/discovery-services';
import { DEFAULT_XDS_LIMITS, NAME_FIELDS, refusedBeforeDecoding } from '../../src/xds/limits';
import { TYPE_URLS } from '../../src/translate/types';

const method = (serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition)['StreamAggregatedResources']!;
const encode = (req: object): Buffer => method.requestSerialize(req);
const plain = (b: Buffer): { resource_names: string[] } => method.requestDeserialize(b);

/** A varint of `value` (< 2^32) in `style`: canonical, padded with 0x80 bytes, or with junk high bits in a fifth byte protobufjs ignores. */
function varint(value: number, style: 'canonical' | 'padded' | 'high-bits' | 'ten'): number[] {
  const out: number[] = [];
  if (style === 'canonical' || style === 'padded') {
    let v = value;
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    if (style === 'padded' && out.length < 5) {
      out[out.length - 1]! |= 0x80;
      while (out.length < 4) out.push(0x80);
      out.push(0);
    }
    return out;
  }
  // Five bytes, the fifth's bits 4-6 set (protobufjs keeps its low 4 bits); 'ten' also sets its
  // continuation bit and adds five bytes protobufjs skips unread.
  const b = [0, 7, 14, 21].map((s) => ((value >>> s) & 0x7f) | 0x80);
  const fifth = ((value >>> 28) & 0x0f) | 0x70;
  return style === 'ten' ? [...b, fifth | 0x80, 0xff, 0xff, 0xff, 0xff, 0x01] : [...b, fifth];
}

const style = fc.constantFrom('canonical' as const, 'canonical' as const, 'padded' as const, 'high-bits' as const, 'ten' as const);
const text = fc.string({ maxLength: 12 });
/** One field's bytes: a name, another declared string under any wire type, or an unknown field of any wire type. */
const field = fc.oneof(
  fc.record({ kind: fc.constant('name' as const), value: text, tag: style, len: style, wireType: fc.constantFrom(2, 2, 0, 1, 5) }),
  fc.record({ kind: fc.constant('string' as const), field: fc.constantFrom(1, 4, 5), value: text, tag: style, len: style, wireType: fc.constantFrom(2, 0, 1) }),
  fc.record({ kind: fc.constant('unknown' as const), field: fc.integer({ min: 8, max: 2 ** 29 - 1 }), wireType: fc.constantFrom(0, 1, 2, 3, 5), payload: fc.uint8Array({ maxLength: 9 }), tag: style }),
);
type FieldSpec = typeof field extends fc.Arbitrary<infer T> ? T : never;

function bytesOf(f: FieldSpec): number[] {
  if (f.kind !== 'unknown') {
    const value = [...Buffer.from(f.value)];
    return [...varint(((f.kind === 'name' ? 3 : f.field) << 3) | f.wireType, f.tag), ...varint(value.length, f.len), ...value];
  }
  const tag = varint(f.field * 8 + f.wireType, f.tag);
  const p = [...f.payload];
  switch (f.wireType) {
    case 0: return [...tag, ...p.map((x) => x | 0x80), 0x01];
    case 1: return [...tag, ...[...p, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8)];
    case 5: return [...tag, ...[...p, 0, 0, 0, 0].slice(0, 4)];
    case 2: return [...tag, ...varint(p.length, 'canonical'), ...p];
    // A group: a varint field inside, then its end.
    default: return [...tag, 0x08, 0x01, ...varint(f.field * 8 + 4, 'canonical')];
  }
}

describe('walkFields', () => {
  it('sees the names the deserializer decodes, and fails where it throws (property)', () => {
    fc.assert(fc.property(fc.array(field, { maxLength: 12 }), fc.integer({ min: 0, max: 3 }), (fields, cut) => {
      const whole = Buffer.from(fields.flatMap(bytesOf));
      // Sometimes cut short, so the walk and the deserializer meet truncated fields too.
      const b = whole.subarray(0, Math.max(0, whole.length - cut));
      const seen: string[] = [];
      const walked = walkFields(b, 0, b.length, DISCOVERY_REQUEST_FIELDS, (f) => {
        if (f.field === 3) seen.push(b.toString('utf8', f.from, f.to));
      });
      let decoded: string[] | undefined;
      try {
        decoded = plain(b).resource_names;
      } catch {
        decoded = undefined;
      }
      if (decoded === undefined) assert.equal(walked, 'invalid');
      else {
        assert.equal(walked, 'end');
        assert.deepEqual(seen, decoded);
      }
    }), { numRuns: 2000 });
  });
});

describe('names hidden in other encodings', () => {
  const EDS = TYPE_URLS.endpoint;
  const names = Array.from({ length: 200 }, (_, i) => `outbound|80||svc-${i}.default.svc.cluster.local`);
  // Field 3 with a five-byte tag whose fifth byte protobufjs reads only the low 4 bits of.
  const aliased = (s: string): Buffer => Buffer.from([0x9a, 0x80, 0x80, 0x80, 0x10, s.length, ...Buffer.from(s)]);

  it('counts them against the names limit before decoding', () => {
    const limits = { ...DEFAULT_XDS_LIMITS, maxNamesPerType: 100 };
    const b = Buffer.concat([encode({ type_url: EDS }), ...Array.from({ length: 101 }, (_, i) => aliased(`n${i}`))]);
    assert.equal(plain(b).resource_names.length, 101);
    assert.ok(refusedBeforeDecoding(b, NAME_FIELDS.sotw, limits));
  });

  it('counts a delta request\'s unsubscribed names too', () => {
    const limits = { ...DEFAULT_XDS_LIMITS, maxNamesPerType: 100 };
    const delta = (serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition)['DeltaAggregatedResources']!;
    const many = Array.from({ length: 101 }, (_, i) => `n${i}`);
    assert.ok(refusedBeforeDecoding(delta.requestSerialize({ type_url: EDS, resource_names_unsubscribe: many }), NAME_FIELDS.delta, limits));
    assert.ok(refusedBeforeDecoding(delta.requestSerialize({ type_url: EDS, resource_locators_unsubscribe: many.map((name) => ({ name })) }), NAME_FIELDS.delta, limits));
    assert.equal(refusedBeforeDecoding(delta.requestSerialize({ type_url: EDS, resource_names_unsubscribe: many.slice(1) }), NAME_FIELDS.delta, limits), undefined);
  });

  it('never lets one client\'s request make a kept list stand for other names', () => {
    const reader = sotwReader(method.requestDeserialize, DEFAULT_XDS_LIMITS);
    const ack = encode({ type_url: EDS, resource_names: names, version_info: 'v1', response_nonce: 'n1' });
    // A request with the victim's names and more, hidden in an aliased tag or behind a
    // response_nonce tagged as fixed64 (protobufjs reads a declared field as a string anyway).
    for (const hidden of [aliased('evil'), Buffer.from([0x29, 0x00, 0x1a, 0x04, ...Buffer.from('evil')])]) {
      const attack = Buffer.concat([encode({ type_url: EDS, resource_names: names, node: { id: 'attacker' } }), hidden]);
      assert.deepEqual(reader.deserialize(attack), method.requestDeserialize(attack));
      assert.deepEqual(reader.deserialize(ack), method.requestDeserialize(ack));
      assert.deepEqual(reader.deserialize(Buffer.concat([ack, hidden])), method.requestDeserialize(Buffer.concat([ack, hidden])));
    }
  });

  it('keeps no list whose last name the end of the request cut short', () => {
    // The deserializer takes what is left of a last string: a request ending inside a name
    // ('ab' of a declared 6 bytes) is decoded with the name's start, and its bytes are the start
    // of a request naming 'abhxhx', whose rest ('hx' 'hx') also reads as two unknown fields.
    const name = (s: string, declared = s.length): Buffer => Buffer.from([0x1a, declared, ...Buffer.from(s)]);
    const run = Buffer.concat(Array.from({ length: 31 }, (_, i) => name(`n${i}`)));
    const attack = Buffer.concat([run, name('ab', 6)]);
    const victim = Buffer.concat([encode({ version_info: 'v1' }), run, name('abhxhx'), encode({ type_url: 'eds', response_nonce: 'n1' })]);
    const reader = sotwReader(method.requestDeserialize, DEFAULT_XDS_LIMITS);
    assert.deepEqual(reader.deserialize(attack), method.requestDeserialize(attack));
    assert.deepEqual(reader.deserialize(victim), method.requestDeserialize(victim));
    const [framed] = reader.decoder(-1).write(Buffer.concat([Buffer.from([0, 0, 0, 0, victim.length]), victim]));
    assert.deepEqual(reader.deserialize(framed!.subarray(5)), method.requestDeserialize(victim));
  });
});
