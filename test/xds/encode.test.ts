import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EncodeError, encodeAny, encodeMessage } from '../../src/xds/encode';
import { resourceTypes } from '../../src/envoy-api/protos';

function roundTrip(typeName: string, json: unknown): Record<string, unknown> {
  const type = resourceTypes().lookupType(typeName);
  return type.toObject(type.decode(encodeMessage(typeName, json)), { longs: Number, enums: String }) as Record<string, unknown>;
}

describe('proto3 JSON encoding', () => {
  it('keeps Struct values (provenance metadata) intact', () => {
    const out = roundTrip('envoy.config.core.v3.Metadata', { filter_metadata: { mast: { sources: ['VirtualService/default/reviews'], n: 2, ok: true, nested: { a: null } } } });
    const fields = (out['filter_metadata'] as Record<string, { fields: Record<string, Record<string, unknown>> }>)['mast']!.fields;
    assert.deepEqual(fields['sources'], { listValue: { values: [{ stringValue: 'VirtualService/default/reviews' }] } });
    assert.deepEqual(fields['n'], { numberValue: 2 });
    assert.deepEqual(fields['ok'], { boolValue: true });
    assert.deepEqual(fields['nested'], { structValue: { fields: { a: { nullValue: 'NULL_VALUE' } } } });
  });

  it('turns durations, wrappers and nested Any into their binary forms', () => {
    const out = roundTrip('envoy.config.cluster.v3.Cluster', {
      name: 'c',
      connect_timeout: '1.250s',
      per_connection_buffer_limit_bytes: 1024,
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    });
    assert.deepEqual(out['connect_timeout'], { seconds: 1, nanos: 250000000 });
    assert.deepEqual(out['per_connection_buffer_limit_bytes'], { value: 1024 });
    const any = (out['typed_extension_protocol_options'] as Record<string, { type_url: string }>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']!;
    assert.equal(any.type_url, 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
  });

  it('rejects unknown fields, bad enum values and bad durations with the path', () => {
    assert.throws(() => encodeAny('type.googleapis.com/envoy.config.cluster.v3.Cluster', { name: 'c', bogus: 1 }), (e: unknown) => e instanceof EncodeError && /Cluster\.bogus/.test(e.message));
    assert.throws(() => encodeAny('type.googleapis.com/envoy.config.cluster.v3.Cluster', { name: 'c', lb_policy: 'SOMETIMES' }), /not a value of enum/);
    assert.throws(() => encodeAny('type.googleapis.com/envoy.config.cluster.v3.Cluster', { name: 'c', connect_timeout: '10' }), /not a duration/);
  });
});
