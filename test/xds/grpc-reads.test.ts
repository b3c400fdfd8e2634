import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamDecoder } from '@grpc/grpc-js/build/src/stream-decoder';
import { dropDecodedChunks } from '../../src/xds/grpc-reads';

/** A gRPC length-prefixed message (flag 0, big-endian length) around `body`. */
function framed(body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Every Buffer the decoder holds in its own fields (directly or in an array) that views `read`. */
function viewsOf(decoder: StreamDecoder, read: ArrayBufferLike): string[] {
  const held: string[] = [];
  for (const [field, value] of Object.entries(decoder)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => v instanceof Uint8Array && v.buffer === read)) held.push(field);
  }
  return held;
}

describe('dropDecodedChunks', () => {
  // Node's HTTP/2 hands DATA out as views of one buffer per socket read; this stands for one read
  // that carried two messages, the second split across this read and the next.
  const first = Buffer.alloc(20_000, 1);
  const second = Buffer.alloc(30_000, 2);
  const bytes = Buffer.concat([framed(first), framed(second)]);
  const split = 5 + first.length + 5 + 1000;

  it('keeps no view of a socket read once its messages are complete, and decodes as before', () => {
    dropDecodedChunks();
    const decoder = new StreamDecoder(-1);
    const read1 = Buffer.from(bytes.subarray(0, split));
    const read2 = Buffer.from(bytes.subarray(split));
    const out1 = decoder.write(read1);
    assert.equal(out1.length, 1);
    assert.ok(out1[0]!.equals(framed(first)));
    // The second message is still being read: its first chunk must be kept.
    assert.notDeepEqual(viewsOf(decoder, read1.buffer), []);
    const out2 = decoder.write(read2);
    assert.equal(out2.length, 1);
    assert.ok(out2[0]!.equals(framed(second)));
    assert.deepEqual(viewsOf(decoder, read1.buffer), [], 'the first read is let go');
    assert.deepEqual(viewsOf(decoder, read2.buffer), [], 'the last read is let go');
  });

  it('decodes a message split at every byte of its prefix and an empty message', () => {
    dropDecodedChunks();
    const decoder = new StreamDecoder(-1);
    const stream = Buffer.concat([framed(Buffer.from('hello')), framed(Buffer.alloc(0)), framed(Buffer.from('world'))]);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...decoder.write(stream.subarray(i, i + 1)));
    assert.deepEqual(out, [framed(Buffer.from('hello')), framed(Buffer.alloc(0)), framed(Buffer.from('world'))]);
  });
});
