// Reading SotW requests' DATA while recognising their names (src/xds/names-decoder.ts) through a
// SotW method's reader (discovery-services.ts sotwReader): whatever bytes come in, split however,
// every request equals what the method's own deserializer makes of it; a recognised request keeps
// none of the socket reads its names came in; and grpc-js calls of a registered method read with
// the decoder they are given.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import { sotwReader } from '../../src/xds/discovery-services';
import { decodeCallsWith, type MessageDecoder } from '../../src/xds/grpc-reads';
import { DEFAULT_XDS_LIMITS } from '../../src/xds/limits';
import { TYPE_URLS } from '../../src/translate/types';

const method = (serviceDefinitions()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as grpc.ServiceDefinition)['StreamAggregatedResources']!;
const encode = (req: object): Buffer => method.requestSerialize(req);
const plain = (b: Buffer): DiscoveryRequest__Output => method.requestDeserialize(b);

/** A gRPC length-prefixed message (flag 0, big-endian length) around `body`. */
function framed(body: Buffer, flag = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Feeds `bytes` to a reader's decoder in reads ending at `cuts`, and deserializes each message as grpc-js does (past the 5-byte prefix). */
function readAll(reader: ReturnType<typeof sotwReader>, decoder: MessageDecoder, bytes: Buffer, cuts: number[]): { requests: unknown[]; framedSizes: number[] } {
  const requests: unknown[] = [];
  const framedSizes: number[] = [];
  let from = 0;
  for (const to of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    // Each read in a buffer of its own, as Node's HTTP/2 hands them out.
    for (const m of decoder.write(Buffer.from(bytes.subarray(from, to)))) {
      framedSizes.push(m.length);
      requests.push(reader.deserialize(m.subarray(5)));
    }
    from = to;
  }
  return { requests, framedSizes };
}

const EDS = TYPE_URLS.endpoint;
const list = (n: number, prefix = 'outbound|9080||svc-'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}.default.svc.cluster.local`);
const ack = (names: string[], nonce: string, extra: object = {}): Buffer => encode({ type_url: EDS, resource_names: names, version_info: `v-${nonce}`, response_nonce: nonce, ...extra });
const NODE = { id: 'sidecar~10.0.0.1~a.default~default.svc.cluster.local' };

describe('NamesDecoder', () => {
  it('hands on an ACK repeating a request\'s names as its other fields alone, with the request\'s names', () => {
    const reader = sotwReader(plain, DEFAULT_XDS_LIMITS);
    const decoder = reader.decoder(-1);
    const names = list(1200);
    const first = encode({ type_url: EDS, resource_names: names, node: NODE });
    const second = ack(names, '7');
    assert.ok(second.length > 50_000);
    // The ACK in two reads, after the read of the request (decoded before the ACK begins, as
    // grpc-js decodes a read's messages before the next read).
    const { requests, framedSizes } = readAll(reader, decoder, Buffer.concat([framed(first), framed(second)]), [first.length + 5, first.length + 5 + 20_000]);
    assert.deepEqual(requests, [plain(first), plain(second)]);
    assert.equal((requests[1] as DiscoveryRequest__Output).resource_names, (requests[0] as DiscoveryRequest__Output).resource_names, 'the names are shared');
    assert.ok(framedSizes[1]! < 200, `the ACK went on without its names: ${framedSizes[1]} bytes`);
  });

  it('keeps no view of a read once it has compared the names in it', () => {
    const reader = sotwReader(plain, DEFAULT_XDS_LIMITS);
    const decoder = reader.decoder(-1);
    const names = list(1200);
    readAll(reader, decoder, framed(ack(names, '1')), []);
    const next = framed(ack(names, '2'));
    const read1 = Buffer.from(next.subarray(0, 30_000));
    assert.deepEqual(decoder.write(read1), []);
    const held = Object.entries(decoder).filter(([, v]) => (Array.isArray(v) ? v : [v]).some((x) => x instanceof Uint8Array && x.buffer === read1.buffer));
    assert.deepEqual(held.map(([k]) => k), [], 'half an ACK read holds none of its read');
    const [m] = decoder.write(Buffer.from(next.subarray(30_000)));
    assert.deepEqual(reader.deserialize(m!.subarray(5)), plain(next.subarray(5)));
  });

  it('refuses a message over the maximum length as grpc-js does', () => {
    const reader = sotwReader(plain, DEFAULT_XDS_LIMITS);
    assert.throws(() => reader.decoder(100).write(framed(Buffer.alloc(101))), /Received message larger than max \(101 vs 100\)/);
  });

  it('equals the deserializer on any requests split into any reads (property)', () => {
    let shortened = 0;
    // Lists that share their first 150 names, and ones a name off them (at the end, in the
    // middle, one more, one fewer), so that names match a kept list for a while and then do not.
    const bases = [list(150, 'c-'), list(220, 'c-'), list(300, 'd-')];
    const near = (names: string[], change: string, at: number): string[] =>
      change === 'fewer' ? names.slice(0, -1)
        : change === 'more' ? [...names, 'extra']
          : change === 'other' ? names.map((n, i) => (i === Math.floor(at * names.length) ? `${n}x` : n))
            : names;
    const request = fc.record({
      names: fc.tuple(fc.constantFrom(...bases), fc.constantFrom('same', 'same', 'fewer', 'more', 'other'), fc.double({ min: 0, max: 0.999, noNaN: true })).map(([b, change, at]) => near(b, change, at)),
      nonce: fc.string({ maxLength: 8, unit: 'binary' }),
      version: fc.string({ maxLength: 12 }),
      node: fc.boolean(),
      extra: fc.constantFrom('none', 'none', 'late-name', 'locator', 'error', 'compressed-flag'),
    });
    fc.assert(fc.property(fc.array(request, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 3 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 32 }), (reqs, repeats, cutAt, cutBetween) => {
      const reader = sotwReader(plain, DEFAULT_XDS_LIMITS);
      const bodies = reqs.flatMap((r) => {
        const base = encode({ type_url: EDS, resource_names: r.names, version_info: r.version, response_nonce: r.nonce, ...(r.node && { node: NODE }) });
        const b = r.extra === 'late-name' ? Buffer.concat([base, encode({ resource_names: ['late'] })])
          : r.extra === 'locator' ? Buffer.concat([base, encode({ resource_locators: [{ name: 'loc' }] })])
          : r.extra === 'error' ? Buffer.concat([base, encode({ error_detail: { code: 3, message: 'rejected' } })])
          : base;
        return Array.from({ length: repeats + 1 }, () => b);
      });
      // A flag of 1 says compressed: such a message is handed on whole, as grpc-js would.
      const flags = reqs.flatMap((r) => Array.from({ length: repeats + 1 }, () => (r.extra === 'compressed-flag' ? 1 : 0)));
      const messages = bodies.map((b, i) => framed(b, flags[i]));
      const bytes = Buffer.concat(messages);
      // Reads end anywhere, and where `cutBetween` says, between two messages (an ACK comes in a
      // read of its own when the proxy waited for a response before sending it).
      const ends = messages.map((_, i) => messages.slice(0, i + 1).reduce((sum, m) => sum + m.length, 0));
      const cuts = [...cutAt.map((c) => Math.floor(c * bytes.length)), ...ends.filter((_, i) => cutBetween[i])];
      const decoder = reader.decoder(-1);
      // Each read's messages are decoded before the next read, as grpc-js does.
      let i = 0;
      let from = 0;
      for (const to of [...cuts.sort((a, b) => a - b), bytes.length]) {
        if (to <= from) continue;
        for (const m of decoder.write(Buffer.from(bytes.subarray(from, to)))) {
          assert.equal(m[0], flags[i]);
          if (m.length < bodies[i]!.length) shortened++;
          assert.deepEqual(flags[i] ? m.subarray(5) : reader.deserialize(m.subarray(5)), flags[i] ? bodies[i] : plain(bodies[i]!));
          i++;
        }
        from = to;
      }
      assert.equal(i, bodies.length);
    }), { numRuns: 300 });
    assert.ok(shortened > 0, 'some requests were recognised');
  });
});

describe('decodeCallsWith', () => {
  const server = new grpc.Server();
  after(() => server.forceShutdown());

  it('gives calls of a registered method the decoder it makes', async () => {
    const made: number[] = [];
    const deserialize = (b: Buffer): Buffer => Buffer.from(b);
    // A decoder that hands on each message reversed, so its use shows in what the handler gets.
    decodeCallsWith(deserialize, (maxLength) => {
      made.push(maxLength);
      let pending = Buffer.alloc(0);
      return {
        write(data) {
          pending = Buffer.concat([pending, data]);
          const out: Buffer[] = [];
          while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
            const size = pending.readUInt32BE(1);
            out.push(framed(Buffer.from(pending.subarray(5, 5 + size)).reverse()));
            pending = pending.subarray(5 + size);
          }
          return out;
        },
      };
    });
    const service: grpc.ServiceDefinition = {
      Echo: { path: '/test.Echo/Echo', requestStream: true, responseStream: true, requestSerialize: (b: Buffer) => b, requestDeserialize: deserialize, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b },
    };
    server.addService(service, {
      Echo: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => call.on('data', (b: Buffer) => call.write(b)).on('end', () => call.end()),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    const Client = grpc.makeGenericClientConstructor(service, 'Echo');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = client.Echo() as grpc.ClientDuplexStream<Buffer, Buffer>;
      const got = new Promise<string>((resolve) => call.once('data', (b: Buffer) => resolve(b.toString())));
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      call.write(Buffer.from('abc'));
      assert.equal(await got, 'cba');
      call.end();
      assert.equal((await ended).code, grpc.status.OK);
      assert.equal(made.length, 1);
    } finally {
      client.close();
    }
  });
});
