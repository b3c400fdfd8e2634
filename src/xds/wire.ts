// Writes DiscoveryResponse envelopes around resources that were encoded once (as Any bytes) when
// their version was made (DeltaDiscoveryResponse: delta-response.ts). Only the small envelope is
// written per stream; the resource bytes are shared by every proxy that receives them.
import { MessageChannel } from 'node:worker_threads';
import { Writer } from 'protobufjs';

/** A resource at one version, encoded once and shared by every stream that sends it. */
export interface EncodedResource {
  name: string;
  /** Content hash of `any`: equal bytes, equal version. */
  version: string;
  /** The encoded `google.protobuf.Any` wrapping the resource. */
  any: Uint8Array;
}

const CONTROL_PLANE_ID = 'mast';

// On Node, protobufjs' Writer is its BufferWriter, whose finish() already gives a Buffer.
function finished(w: Writer): Buffer {
  const out = w.finish();
  return Buffer.isBuffer(out) ? out : Buffer.from(out);
}

function controlPlane(w: Writer, field: number): void {
  w.uint32((field << 3) | 2).fork().uint32((1 << 3) | 2).string(CONTROL_PLANE_ID).ldelim();
}

/**
 * The repeated `resources` field of a DiscoveryResponse: written once per resource list and
 * shared by every stream that sends the same list.
 */
export function sotwResources(resources: Iterable<EncodedResource>): Buffer {
  const w = Writer.create();
  for (const r of resources) w.uint32((2 << 3) | 2).bytes(r.any);
  return finished(w);
}

/** The gRPC length prefix grpc-js writes before each message it frames: a flag byte and 4 of length. */
const GRPC_PREFIX = 5;

/**
 * A closed port: a message posted to it is still serialized, which detaches the ArrayBuffers it
 * transfers (HTML's postMessage; Node's MessagePort::PostMessage serializes for a closed port
 * "to ensure spec-compliant behavior w.r.t. transfers"), and then dropped, which frees their
 * memory at once. Node 20 has no ArrayBuffer.prototype.transfer to do it more plainly.
 */
const DISCARD = (() => {
  const { port1 } = new MessageChannel();
  port1.close();
  return port1;
})();

/**
 * A response kept as the pieces it is made of until grpc-js frames it: grpc-js copies every
 * message it sends into a buffer 5 bytes longer (the gRPC length prefix), reading the serializer's
 * output as `byteLength` and `copy(target, 5)` only (@grpc/grpc-js server-interceptors.ts,
 * serializeMessage), so the pieces are copied once, straight into that buffer, instead of being
 * concatenated into a response-sized buffer that is garbage as soon as grpc-js has copied it.
 * A SotW response at 1000 services is up to 1.2 MB; the copy saved halves the large buffers a
 * sync allocates (design-notes, "Bytes in flight are bounded").
 */
export class ResponseBytes {
  readonly byteLength: number;
  /** grpc-js' framed message (what copy() last wrote into after a 5-byte prefix), until `release`. */
  private framed: Uint8Array | undefined;

  constructor(readonly pieces: readonly Uint8Array[]) {
    this.byteLength = pieces.reduce((n, p) => n + p.length, 0);
  }

  /** Buffer.copy's contract for a whole source: writes every piece from `offset`; returns the bytes written. */
  copy(target: Uint8Array, offset = 0): number {
    // grpc-js' frame: the 5-byte gRPC prefix, then this message (serializeMessage).
    if (offset === GRPC_PREFIX && target.byteLength === this.byteLength + GRPC_PREFIX) this.framed = target;
    let at = offset;
    for (const p of this.pieces) {
      target.set(p, at);
      at += p.length;
    }
    return at - offset;
  }

  /**
   * Frees the framed message now, once the transport is done with it (its write's callback ran
   * without an error: Node's HTTP/2 calls it after the socket took the bytes, node_http2.cc
   * ClearOutgoing). Otherwise it stays as garbage until V8 collects it: a framed response that
   * waited on a slow client is promoted, and V8 collects the old generation's array buffers only
   * every 64 MiB of external memory; with the reads streams kept (grpc-reads.ts), 80-110 MiB of
   * array buffers sat in a 500-sidecar sync's peak RSS (BENCHMARKS.md). Only a buffer
   * that is wholly the framed message is freed (grpc-js' Buffer.allocUnsafe gives one of its own
   * above 4 KiB; smaller ones are slices of Node's shared pool), and only one copy() wrote as
   * grpc-js frames (at offset 5 of a buffer 5 bytes longer): a copy anyone else made is theirs.
   * Returns the bytes freed.
   */
  release(): number {
    const framed = this.framed;
    this.framed = undefined;
    if (!framed || framed.byteOffset !== 0 || framed.buffer.byteLength !== framed.byteLength) return 0;
    const bytes = framed.byteLength;
    DISCARD.postMessage(framed.buffer, [framed.buffer as ArrayBuffer]);
    return bytes;
  }

  /** The response in one buffer (tests, and callers that need the bytes themselves). */
  concat(): Buffer {
    return Buffer.concat(this.pieces, this.byteLength);
  }
}

/**
 * A DiscoveryResponse around `resources`, the field sotwResources wrote (in one or more pieces),
 * as the pieces to concatenate: their total is the response's size before its bytes are made.
 */
export function sotwPieces(typeUrl: string, versionInfo: string, nonce: string, resources: readonly Buffer[]): Buffer[] {
  const head = Writer.create();
  head.uint32((1 << 3) | 2).string(versionInfo);
  const tail = Writer.create();
  tail.uint32((4 << 3) | 2).string(typeUrl);
  tail.uint32((5 << 3) | 2).string(nonce);
  controlPlane(tail, 6);
  return [finished(head), ...resources, finished(tail)];
}

/** A DiscoveryResponse around `resources`, the field sotwResources wrote (in one or more pieces). */
export function sotwResponse(typeUrl: string, versionInfo: string, nonce: string, resources: readonly Buffer[]): Buffer {
  return Buffer.concat(sotwPieces(typeUrl, versionInfo, nonce, resources));
}
