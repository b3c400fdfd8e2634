// A DeltaDiscoveryResponse whose size is known before its bytes are made, and whose bytes are
// the shared pieces grpc-js copies once. A delta stream asks the global budget (inflight.ts) for
// a response's bytes before making it, so a response the budget refuses is never made at all
// (design-notes, "A delta response is sized before it is made"); and, as SotW's lists are
// (wire.ts, ResponseBytes), each resource's `any` bytes go to grpc-js as they were encoded,
// never copied into a response-sized buffer of Mast's own.
import { Writer } from 'protobufjs';
import { ResponseBytes, type EncodedResource } from './wire';

const CONTROL_PLANE_ID = 'mast';

/** Bytes of a varint holding `n` (a length: 0 <= n < 2^32). */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes of a length-delimited field (a one-byte tag, as every field here has) of `n` bytes. */
const fieldSize = (n: number): number => 1 + varintSize(n) + n;

/** Bytes of a string field holding `s`. */
const stringFieldSize = (s: string): number => fieldSize(Buffer.byteLength(s));

/**
 * A resource's `resources` entry (envoy.service.discovery.v3.Resource: version = 1, resource =
 * 2, name = 3; as field 2 of the response), tag and length included. Made once per resource
 * object (interned, so once per distinct resource and generation) and shared by every delta
 * stream that sends it. One piece per resource, not the `any` bytes between two small ones: a
 * piece costs grpc-js a `set` call when it frames the response, and three per resource took
 * 1.8 s of CPU at 500 delta sidecars; the copy of the `any` bytes is made once for all streams.
 */
const entries = new WeakMap<EncodedResource, Buffer>();

function finished(w: Writer): Buffer {
  const out = w.finish();
  return Buffer.isBuffer(out) ? out : Buffer.from(out);
}

function entryOf(r: EncodedResource): Buffer {
  let e = entries.get(r);
  if (e) return e;
  const w = Writer.create().uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(r.version).uint32((2 << 3) | 2).bytes(r.any).uint32((3 << 3) | 2).string(r.name);
  e = finished(w.ldelim());
  entries.set(r, e);
  return e;
}

/**
 * A DeltaDiscoveryResponse (envoy/service/discovery/v3/discovery.proto: system_version_info = 1,
 * resources = 2, type_url = 4, nonce = 5, removed_resources = 6, control_plane = 7) of
 * `resources` (sent in the given order) and `removed` names. `byteLength` is exact and costs a
 * sum; `bytes()` makes the response, to be called only once it is to be written.
 */
export class DeltaResponse {
  readonly byteLength: number;
  private readonly entries: Buffer[];

  constructor(
    private readonly typeUrl: string,
    private readonly systemVersion: string,
    private readonly nonce: string,
    resources: readonly EncodedResource[],
    private readonly removed: readonly string[],
  ) {
    let n = stringFieldSize(systemVersion) + stringFieldSize(typeUrl) + stringFieldSize(nonce) + fieldSize(stringFieldSize(CONTROL_PLANE_ID));
    this.entries = resources.map(entryOf);
    for (const e of this.entries) n += e.length;
    for (const name of removed) n += stringFieldSize(name);
    this.byteLength = n;
  }

  /** The response as pieces grpc-js frames without joining them (ResponseBytes). */
  bytes(): ResponseBytes {
    const pieces: Uint8Array[] = [finished(Writer.create().uint32((1 << 3) | 2).string(this.systemVersion))];
    for (const e of this.entries) pieces.push(e);
    const tail = Writer.create();
    tail.uint32((4 << 3) | 2).string(this.typeUrl);
    tail.uint32((5 << 3) | 2).string(this.nonce);
    for (const name of this.removed) tail.uint32((6 << 3) | 2).string(name);
    tail.uint32((7 << 3) | 2).fork().uint32((1 << 3) | 2).string(CONTROL_PLANE_ID).ldelim();
    pieces.push(finished(tail));
    return new ResponseBytes(pieces);
  }
}
