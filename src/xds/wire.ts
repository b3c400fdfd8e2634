// Writes DiscoveryResponse envelopes around resources that were encoded once (as Any bytes) when
// their version was made (DeltaDiscoveryResponse: delta-response.ts). Only the small envelope is
// written per stream; the resource bytes are shared by every proxy that receives them.
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

  constructor(readonly pieces: readonly Uint8Array[]) {
    this.byteLength = pieces.reduce((n, p) => n + p.length, 0);
  }

  /** Buffer.copy's contract for a whole source: writes every piece from `offset`; returns the bytes written. */
  copy(target: Uint8Array, offset = 0): number {
    let at = offset;
    for (const p of this.pieces) {
      target.set(p, at);
      at += p.length;
    }
    return at - offset;
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
