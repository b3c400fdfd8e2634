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

  it('releases only the buffer grpc-js framed it into, never a copy made elsewhere', () => {
    const r = new ResponseBytes([Buffer.alloc(10_000, 1)]);
    const elsewhere = Buffer.alloc(10_000);
    r.copy(elsewhere, 0);
    assert.equal(r.release(), 0);
    assert.equal(elsewhere.byteLength, 10_000);
    const framed = Buffer.allocUnsafe(10_005);
    r.copy(framed, 5);
    assert.equal(r.release(), 10_005);
    assert.equal(framed.byteLength, 0, 'the framed buffer is detached, its memory freed');
    assert.equal(r.release(), 0, 'once');
    // A small message is framed in a slice of Node's shared pool, which is not ours to free.
    const small = new ResponseBytes([Buffer.from('abc')]);
    const pooled = Buffer.allocUnsafe(8);
    small.copy(pooled, 5);
    assert.equal(small.release(), 0);
    assert.equal(pooled.byteLength, 8);
  });

  // Each framed copy is freed in its write's callback, as Connection.write does, while the client
  // stops reading for a while (HTTP/2 flow control holds writes part-sent): freed too early, a
  // later response's buffer could take the memory and the client would read its bytes instead.
  it('frees each framed copy after its write and every response arrives intact', async () => {
    const count = 40;
    const size = 200_000;
    const body = (i: number): Buffer => Buffer.alloc(size, i + 1);
    let freed = 0;
    const server = discoveryServer(DEFAULT_XDS_LIMITS, {
      stream(call) {
        const writer = call as unknown as { write(c: ResponseBytes, cb: (err?: Error | null) => void): boolean };
        const next = (i: number): void => {
          if (i === count) return;
          const r = new ResponseBytes([body(i).subarray(0, 1000), body(i).subarray(1000)]);
          writer.write(r, (err) => {
            if (!err) freed += r.release();
            next(i + 1);
          });
        };
        next(0);
      },
      fetch: () => assert.fail('no fetch'),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest(ADS, (b: Buffer) => b, (b: Buffer) => b);
      const got: Buffer[] = [];
      const all = new Promise<void>((resolve, reject) => {
        call.on('data', (b: Buffer) => {
          got.push(b);
          if (got.length === 3) {
            call.pause();
            setTimeout(() => call.resume(), 300);
          }
          if (got.length === count) resolve();
        });
        call.once('error', reject);
      });
      call.write(Buffer.alloc(0));
      await all;
      got.forEach((b, i) => assert.ok(b.equals(body(i)), `response ${i} arrived as written`));
      assert.ok(freed >= (count - 1) * (size + 5), `the framed copies were freed (${freed} bytes)`);
      call.cancel();
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
