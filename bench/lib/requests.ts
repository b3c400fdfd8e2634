// The load client's requests as bytes. A SotW ACK repeats every name the sidecar subscribes to (as
// Envoy's does): 1200 EDS names, about 54 KB, on the 1000-service mesh. Encoding that through
// protobufjs (fromObject, then a Writer) for every ACK of every sidecar was the load client's
// largest cost (a third of its CPU in a SotW churn at 500 sidecars, and most of its garbage), so
// a subscription's names are encoded once, shared by the sidecars holding the same list, and an
// ACK is that block between its few short fields, copied once, by grpc-js, into the message it
// frames (RequestBytes). The bytes are those protobufjs made of the
// requests the client sent before (every field it sets is written, empty or not, in field number
// order): test/bench/requests.test.ts compares them.
// Field numbers: envoy/service/discovery/v3/discovery.proto (DiscoveryRequest,
// DeltaDiscoveryRequest).

import { ResponseBytes } from '../../src/xds/wire';

const LEN = 2;

/** Bytes of `n` as a varint. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

/** Size of a length-delimited field (tags here are one byte: fields 1-15) holding `len` bytes. */
const fieldSize = (len: number): number => 1 + varintSize(len) + len;

/** Writes string field `field` (one-byte tag) of `len` bytes; returns the end. */
function writeString(out: Buffer, at: number, field: number, value: string, len: number): number {
  out[at++] = (field << 3) | LEN;
  at = writeVarint(out, at, len);
  return at + out.write(value, at, len, 'utf8');
}

/** One string field as bytes, for the fields that repeat unchanged (a type URL). */
function stringField(field: number, value: string): Buffer {
  const len = Buffer.byteLength(value);
  const out = Buffer.allocUnsafe(fieldSize(len));
  writeString(out, 0, field, value, len);
  return out;
}

/** Interned by content: the sidecars of one deployment subscribe to the same lists. */
const namesBlocks = new Map<string, Buffer>();
const typeFields = new Map<string, Buffer>();

/**
 * A DiscoveryRequest's `resource_names` (field 3, repeated string) in `names`' order, as bytes to
 * pass to `sotwRequest`. Blocks are shared by content, and kept for the life of the process: a
 * load client holds a few distinct lists (one per type and subscription step), not one per sidecar.
 */
export function resourceNamesField(names: readonly string[]): Buffer {
  let size = 0;
  const lens = names.map((n) => Buffer.byteLength(n));
  for (const len of lens) size += fieldSize(len);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  names.forEach((n, i) => (at = writeString(out, at, 3, n, lens[i]!)));
  // Keyed by the bytes themselves: any join of the names could make two lists one key.
  const key = out.toString('latin1');
  const known = namesBlocks.get(key);
  if (known) return known;
  namesBlocks.set(key, out);
  return out;
}

function typeField(field: number, typeUrl: string): Buffer {
  const key = `${field} ${typeUrl}`;
  let known = typeFields.get(key);
  if (!known) typeFields.set(key, (known = stringField(field, typeUrl)));
  return known;
}

/**
 * A request as its pieces, in order, as grpc-js' client takes a message to frame: it reads
 * `length` and calls `copy(target, 5)` (test/support/ads-client.ts EncodedRequest), so the shared
 * names block is copied once, into the frame, with no concatenation of its own per ACK. The
 * server's ResponseBytes (src/xds/wire.ts) does the copying; grpc-js' client reads `length` where
 * its server reads `byteLength`.
 */
export class RequestBytes extends ResponseBytes {
  get length(): number {
    return this.byteLength;
  }
}

/** A SotW DiscoveryRequest without node or error: `version_info` (1), the names block
 * `resourceNamesField` made (3), `type_url` (4), `response_nonce` (5). */
export function sotwRequest(typeUrl: string, names: Buffer, version: string, nonce: string): RequestBytes {
  const type = typeField(4, typeUrl);
  const vLen = Buffer.byteLength(version);
  const nLen = Buffer.byteLength(nonce);
  const head = Buffer.allocUnsafe(fieldSize(vLen));
  writeString(head, 0, 1, version, vLen);
  const tail = Buffer.allocUnsafe(type.length + fieldSize(nLen));
  writeString(tail, type.copy(tail, 0), 5, nonce, nLen);
  return new RequestBytes([head, names, tail]);
}

/** A delta ACK: DeltaDiscoveryRequest `type_url` (2) and `response_nonce` (6). */
export function deltaAck(typeUrl: string, nonce: string): Buffer {
  const type = typeField(2, typeUrl);
  const nLen = Buffer.byteLength(nonce);
  const out = Buffer.allocUnsafe(type.length + fieldSize(nLen));
  const at = type.copy(out, 0);
  writeString(out, at, 6, nonce, nLen);
  return out;
}
