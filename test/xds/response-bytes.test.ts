import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { discoveryServer } from '../../src/xds/discovery-services';
import { DEFAULT_XDS_LIMITS } from '../../src/xds/limits';
import { ResponseBytes } from '../../src/xds/wire';

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

describe('ResponseBytes', () => {
  it('copies its pieces as Buffer.copy would, at an offset', () => {
    const r = new ResponseBytes([Buffer.from('ab'), new Uint8Array([0x63]), Buffer.alloc(0), Buffer.from('de')]);
    assert.equal(r.byteLength, 5);
    const target = Buffer.alloc(8, 0x2e);
    assert.equal(r.copy(target, 2), 5);
    assert.equal(target.toString(), '..abcde.');
    assert.deepEqual(r.concat(), Buffer.from('abcde'));
  });

  // grpc-js frames what the serializer returns by reading byteLength and calling copy(target, 5)
  // (server-interceptors.ts, serializeMessage); if an upgrade frames it another way, this fails.
  it('goes through grpc-js unconcatenated and arrives as the concatenated bytes', async () => {
    const pieces = [Buffer.from([0x0a, 0x01, 0x31]), Buffer.alloc(300_000, 7), Buffer.from([0x22, 0x00])];
    let written: (() => void) | undefined;
    const done = new Promise<void>((resolve) => (written = resolve));
    const server = discoveryServer(DEFAULT_XDS_LIMITS, {
      stream(call) {
        (call as unknown as { write(c: ResponseBytes, cb: () => void): boolean }).write(new ResponseBytes(pieces), () => written!());
      },
      fetch: () => assert.fail('no fetch'),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest(ADS, (b: Buffer) => b, (b: Buffer) => b);
      const got = new Promise<Buffer>((resolve, reject) => {
        call.once('data', resolve);
        call.once('error', reject);
      });
      call.write(Buffer.alloc(0));
      assert.deepEqual(await got, Buffer.concat(pieces));
      await done;
      call.cancel();
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
