// A SotW client repeats its whole subscription in every request: each ACK of an EDS response names
// the endpoints of every cluster again (1200 names, about 54 KB on the 1000-service mesh), and the
// proxies of one deployment all name the same ones. At 500 proxies, decoding those names was the
// largest cost left of a SotW endpoint change (docs/design-notes.md). A request whose names are,
// byte for byte, those of a recent request is given that request's decoded names (frozen and
// shared: nothing that reads a request changes it), and only the rest of it is decoded.
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import { recognised } from './names-decoder';
import { DISCOVERY_REQUEST_FIELDS, walkFields } from './proto-walk';

/** DiscoveryRequest fields (envoy/service/discovery/v3/discovery.proto). */
const VERSION_INFO = 1;
const NAMES = 3;
/** The tag of a `resource_names` field as encoders write it. */
export const NAMES_TAG = (NAMES << 3) | 2;
const TYPE_URL = 4;
const RESPONSE_NONCE = 5;
const LOCATORS = 7;
/** Fewer names are decoded each time: reusing them would not pay for the comparison. */
const MIN_NAMES = 32;
/** Distinct name lists kept, the most recently used first. */
const KEPT = 16;
/**
 * The kept lists' encoded bytes, all together, at most, per method (ADS and each per-type SotW
 * service has its own RepeatedNames); their decoded names take a few times as much again (V8's
 * strings and the array). The 1000-service mesh's EDS list is 54 KB and 10,000 services' about
 * 540 KB; without a bound, 16 requests each just under the request size limit would be held.
 */
export const KEPT_BYTES = 4 * 1024 * 1024;

/** A kept list of names. */
export interface Known {
  /** The `resource_names` fields as they were encoded, tags included. */
  bytes: Buffer;
  names: readonly string[];
}

/**
 * Where the first `resource_names` field's tag is in `b[from, end)`: its offset; 'locators' if a
 * `resource_locators` field comes first; 'none' if every field was walked and neither came;
 * 'invalid' if the bytes are not a message or stop inside a field. Read as the deserializer reads
 * them (proto-walk.ts).
 */
export function namesAt(b: Uint8Array, from: number, end: number): number | 'locators' | 'none' | 'invalid' {
  let found: number | 'locators' = 'locators';
  const walked = walkFields(b, from, end, DISCOVERY_REQUEST_FIELDS, (f) => {
    if (f.field === NAMES) found = f.tagFrom;
    else if (f.field !== LOCATORS) return false;
    return true;
  });
  return walked === 'stopped' ? found : walked === 'end' ? 'none' : 'invalid';
}

/**
 * The offset of the first `resource_names` field's tag in `b` from `from`, `b.length` when there is
 * none, or -1 if a `resource_locators` field comes first or the bytes are not a message (the
 * whole request is then decoded as usual, which reports them).
 */
function firstNames(b: Uint8Array, from: number): number {
  const at = namesAt(b, from, b.length);
  return typeof at === 'number' ? at : at === 'none' ? b.length : -1;
}

/**
 * The end of the run of `resource_names` fields starting at `from`, and how many they are; end -1
 * if the bytes are not a message, or if the run's last name was cut short by the end of the bytes
 * (the deserializer takes what is left): such bytes are the start of longer names, so kept they
 * would stand for a request whose names go on.
 */
function namesEnd(b: Uint8Array, from: number): { end: number; count: number } {
  let end = b.length;
  let count = 0;
  let clamped = false;
  const walked = walkFields(b, from, b.length, DISCOVERY_REQUEST_FIELDS, (f) => {
    if (f.field !== NAMES) {
      end = f.tagFrom;
      return true;
    }
    clamped = f.clamped;
    count++;
    return false;
  });
  return { end: walked === 'invalid' || clamped ? -1 : end, count };
}

/**
 * Reads the fields of `b` into `req` when they are only an ACK's strings (version_info, type_url,
 * response_nonce; the last of a repeated one wins, as protobuf decoders take it); false at any
 * other field (a node, an error_detail, an unknown field, ...), which the deserializer then reads.
 */
function ackFields(b: Buffer, req: DiscoveryRequest__Output): boolean {
  return walkFields(b, 0, b.length, DISCOVERY_REQUEST_FIELDS, (f) => {
    // Buffer's utf8Slice is what protobufjs' reader uses for strings in Node.
    const value = f.known ? b.toString('utf8', f.from, f.to) : '';
    if (f.field === VERSION_INFO) req.version_info = value;
    else if (f.field === TYPE_URL) req.type_url = value;
    else if (f.field === RESPONSE_NONCE) req.response_nonce = value;
    else return true;
    return false;
  }) === 'end';
}

/**
 * Decodes SotW DiscoveryRequests with `decode` (grpc-js' deserializer of the method), reusing the
 * names of the last KEPT distinct lists of MIN_NAMES or more, KEPT_BYTES of them at most. Names
 * are reused only when they are one run of fields that no other `resource_names` or
 * `resource_locators` field accompanies, as Envoy and protobuf encoders write them (in field
 * order); anything else is decoded whole.
 */
export class RepeatedNames {
  private known: Known[] = [];

  constructor(private readonly decode: (b: Buffer) => DiscoveryRequest__Output) {}

  /** The kept lists, the most recently used first; the array is replaced, never changed. */
  runs = (): readonly Known[] => this.known;

  /**
   * A request NamesDecoder recognised (`b` is the view grpc-js makes of what it framed): decoded
   * with the kept list's names when nothing else in it is a name or locator. Otherwise the
   * request's bytes as its client sent them: `b` itself when it was not recognised, or `b` with the
   * names put back (a name or locator elsewhere in it too), for the other paths to decode.
   */
  streamed(b: Buffer): DiscoveryRequest__Output | Buffer {
    const r = recognised.get(b.buffer);
    if (!r || b.byteOffset + b.length !== b.buffer.byteLength) return b;
    const k = r.known;
    if (firstNames(b, 0) !== b.length) return Buffer.concat([b.subarray(0, r.at), k.bytes, b.subarray(r.at)]);
    this.used(k);
    return this.withNames(b, k);
  }

  /** `b` decoded with names a recent request had, or undefined when it has no such names. */
  reused(b: Buffer): DiscoveryRequest__Output | undefined {
    if (this.known.length === 0) return undefined;
    const start = firstNames(b, 0);
    if (start < 0 || start === b.length) return undefined;
    const i = this.known.findIndex((k) => start + k.bytes.length <= b.length && b.compare(k.bytes, 0, k.bytes.length, start, start + k.bytes.length) === 0);
    const k = this.known[i];
    if (!k) return undefined;
    const end = start + k.bytes.length;
    // No name or locator may follow: the request's names are then exactly these.
    if (firstNames(b, end) !== b.length) return undefined;
    this.used(k);
    return this.withNames(Buffer.concat([b.subarray(0, start), b.subarray(end)]), k);
  }

  /** `rest` (a request's fields but its names, which are `k`'s) decoded, with `k`'s names. */
  private withNames(rest: Buffer, k: Known): DiscoveryRequest__Output {
    // An ACK's other fields are three short strings, read here; anything else goes to the
    // deserializer. The object has the deserializer's shape (proto-loader, defaults: true).
    const ack: DiscoveryRequest__Output = { resource_names: k.names as string[], resource_locators: [], version_info: '', node: null, type_url: '', response_nonce: '', error_detail: null };
    if (ackFields(rest, ack)) return ack;
    const req = this.decode(rest);
    req.resource_names = k.names as string[];
    return req;
  }

  /** `k` goes first in the kept lists (if still kept). */
  private used(k: Known): void {
    const i = this.known.indexOf(k);
    if (i > 0) this.known = [k, ...this.known.slice(0, i), ...this.known.slice(i + 1)];
  }

  /** `b` decoded whole; its names are kept for the requests that repeat them. */
  decoded(b: Buffer): DiscoveryRequest__Output {
    const req = this.decode(b);
    if (req.resource_names.length < MIN_NAMES) return req;
    const start = firstNames(b, 0);
    if (start < 0 || start === b.length) return req;
    const { end, count } = namesEnd(b, start);
    // The run must be all the names the deserializer found, no more and no fewer, or a list kept
    // could stand for names other than its own.
    if (end < 0 || count !== req.resource_names.length || firstNames(b, end) !== b.length) return req;
    if (end - start > KEPT_BYTES) return req;
    const kept: Known[] = [{ bytes: Buffer.from(b.subarray(start, end)), names: Object.freeze(req.resource_names) }];
    let bytes = end - start;
    for (const k of this.known) {
      if (kept.length === KEPT || bytes + k.bytes.length > KEPT_BYTES) break;
      kept.push(k);
      bytes += k.bytes.length;
    }
    this.known = kept;
    return req;
  }
}
