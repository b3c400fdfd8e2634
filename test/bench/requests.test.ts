// The load client encodes its own requests (bench/lib/requests.ts) so that a SotW ACK's 1200
// repeated names are not encoded for every ACK. Those bytes go to the server as they are, so they
// must be what protobufjs makes of the same request (as the client sent it before) from the real DiscoveryRequest and
// DeltaDiscoveryRequest types (envoy/service/discovery/v3/discovery.proto): compared byte for byte
// on random names (empty ones, non-ASCII, long ones whose length takes a two-byte varint), versions
// and nonces, and decoded back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { serviceDefinitions, resourceTypes } from '../../src/envoy-api/protos';
import { deltaAck, resourceNamesField, RequestBytes, sotwRequest } from '../../bench/lib/requests';
import { AdsClient } from '../support/ads-client';

const bytesOf = (r: RequestBytes): Buffer => {
  const b = Buffer.alloc(r.length);
  assert.equal(r.copy(b, 0), r.length);
  return b;
};

const types = () => ({
  sotw: resourceTypes().lookupType('envoy.service.discovery.v3.DiscoveryRequest'),
  delta: resourceTypes().lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest'),
});

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ minLength: 120, maxLength: 300 }));
const typeUrl = fc.constantFrom('type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', 'type.googleapis.com/envoy.config.cluster.v3.Cluster', '');

test('a SotW request encoded by the load client is the bytes protobufjs encodes', () => {
  const { sotw } = types();
  fc.assert(
    fc.property(fc.array(text, { maxLength: 30 }), text, text, typeUrl, (names, version, nonce, type) => {
      const ours = bytesOf(sotwRequest(type, resourceNamesField(names), version, nonce));
      const theirs = Buffer.from(sotw.encode(sotw.fromObject({ version_info: version, resource_names: names, type_url: type, response_nonce: nonce })).finish());
      assert.deepEqual(ours, theirs);
      const back = sotw.toObject(sotw.decode(ours), { defaults: true }) as Record<string, unknown>;
      assert.deepEqual(back['resource_names'], names);
      assert.equal(back['version_info'], version);
      assert.equal(back['response_nonce'], nonce);
    }),
  );
});

test('names blocks are shared by content, and a different list gets its own', () => {
  const a = resourceNamesField(['outbound|9080||a', 'outbound|9080||b']);
  assert.equal(resourceNamesField(['outbound|9080||a', 'outbound|9080||b']), a);
  assert.notEqual(resourceNamesField(['outbound|9080||a\noutbound|9080||b']), a);
  assert.notDeepEqual(resourceNamesField(['outbound|9080||b', 'outbound|9080||a']), a);
});

test('a delta ACK encoded by the load client is the bytes protobufjs encodes', () => {
  const { delta } = types();
  fc.assert(
    fc.property(typeUrl, text, (type, nonce) => {
      const theirs = Buffer.from(delta.encode(delta.fromObject({ type_url: type, response_nonce: nonce })).finish());
      assert.deepEqual(deltaAck(type, nonce), theirs);
    }),
  );
});

// grpc-js' client frames a message by reading `length` and calling copy(target, 5); if an upgrade
// frames it another way, the server sees other bytes and this fails.
test('a request sent as pieces reaches the server as their bytes, after a first request with the node', async () => {
  const ads = serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition;
  const raw = { ...ads, StreamAggregatedResources: { ...ads['StreamAggregatedResources']!, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b } };
  const received: Buffer[] = [];
  const server = new grpc.Server();
  server.addService(raw, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (b: Buffer) => {
        received.push(b);
        if (received.length === 1) call.write(Buffer.alloc(0));
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const client = AdsClient.raw(`127.0.0.1:${port}`, { id: 'sidecar~10.1.0.1~a.default~default.svc.cluster.local' }, 'sotw');
  try {
    const eds = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
    const request = sotwRequest(eds, resourceNamesField(['outbound|9080||a', 'outbound|9080||b']), 'v1', 'n1');
    assert.throws(() => client.sendEncoded(request), /after the first response/);
    client.send({ type_url: eds, resource_names: [] });
    await client.next(5000);
    client.sendEncoded(request);
    client.sendEncoded(deltaAck(eds, 'n2'));
    for (let i = 0; i < 50 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(received[1], bytesOf(request));
    assert.deepEqual(received[2], deltaAck(eds, 'n2'));
  } finally {
    client.close();
    server.forceShutdown();
  }
});
