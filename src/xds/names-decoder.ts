// gRPC's message framing for SotW discovery streams, recognising a request's names as they arrive.
// A SotW ACK names every resource of its type again: a sidecar's EDS ACK on the 1000-service mesh
// is 54 KB of 1200 cluster names, byte for byte those of a recent request (repeated-names.ts).
// grpc-js' StreamDecoder keeps a message's chunks, views of Node's socket reads, until the message
// is complete, then copies them into one buffer. Under a SotW churn 2000 sidecars each have an ACK
// half read at once: a heap snapshot at 2000 sidecars found 43 MiB of socket reads kept live by
// half-read messages, and the reads they kept outlived young-generation collections, so they were
// freed only by full ones (BENCHMARKS.md, "Session 9"). This decoder compares the names with the
// kept lists while they arrive and keeps none of their bytes: a recognised request is handed on as
// its other fields alone (a few dozen bytes), with a note of which kept list its names are.
//
// Framing: grpc/grpc doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message": a compressed-flag byte, a
// 4-byte big-endian length, the message.
import { namesAt, NAMES_TAG, type Known } from './repeated-names';

/** Where a recognised request's names were: `known`'s bytes go back at `at` in its body. */
export interface Recognised {
  known: Known;
  at: number;
}

/**
 * The framed messages this module made from recognised requests, by their ArrayBuffer (each has its
 * own): grpc-js hands the deserializer a view past the 5-byte prefix, of the same ArrayBuffer.
 */
export const recognised = new WeakMap<ArrayBufferLike, Recognised>();

const PREFIX_BYTES = 5;
const EMPTY = Buffer.alloc(0);
/** Smaller messages are read whole: recognising their names would save little. */
const MIN_RECOGNISED = 4096;
/**
 * The names must begin within this many bytes of the message: an ACK's version_info comes first.
 * A request with a node (a stream's first) begins later, and is read whole.
 */
const MAX_HEAD = 512;

/** What the decoder is reading. */
const enum Reading {
  /** The 5-byte prefix. */
  Prefix,
  /** A message as it is: its chunks are kept and joined when it is complete. */
  Whole,
  /** A message's first bytes, copied, until its first `resource_names` field is found. */
  Head,
  /** The names, compared with the kept lists still matching. */
  Names,
  /** The rest after a kept list's names, copied. */
  Tail,
}

/** `data[from, to)` copied into memory of its own (not a block of Node's shared Buffer pool). */
function ownCopy(data: Buffer, from: number, to: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(to - from);
  data.copy(copy, 0, from, to);
  return copy;
}

/**
 * Splits a call's DATA into length-prefixed messages, as grpc-js' StreamDecoder does (same
 * `write`), for a SotW discovery method. `runs()` gives the lists of names recent requests had
 * (RepeatedNames' kept lists). An uncompressed request of MIN_RECOGNISED bytes or more whose
 * `resource_names` begin within MAX_HEAD bytes and are exactly one of those lists is handed on
 * without them, in a buffer `recognised` maps to the list; any other message is handed on whole.
 * Throws, as grpc-js does, for a message over `maxLength` bytes (-1: no limit); grpc-js then ends
 * the call with RESOURCE_EXHAUSTED.
 */
export class NamesDecoder {
  private reading = Reading.Prefix;
  private readonly prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixRead = 0;
  /** Bytes of the message still to come. */
  private remaining = 0;
  /** Reading.Whole: the message's chunks so far. Reading.Tail: copies of the tail's chunks. */
  private chunks: Buffer[] = [];
  /** Reading.Head: the first bytes (a copy); from Reading.Names on, the bytes before the names. */
  private head = EMPTY;
  private headRead = 0;
  /** Reading.Names: the kept lists that match all the names so far. */
  private candidates: readonly Known[] = [];
  private matched = 0;
  private winner: Known | undefined;

  constructor(
    private readonly maxLength: number,
    private readonly runs: () => readonly Known[],
  ) {}

  write(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.feed(out, data, 0);
    return out;
  }

  /** Reads `data[pos, ...)` on from where the last read stopped; complete messages go to `out`. */
  private feed(out: Buffer[], data: Buffer, pos: number): void {
    while (pos < data.length) {
      switch (this.reading) {
        case Reading.Prefix: {
          const n = Math.min(PREFIX_BYTES - this.prefixRead, data.length - pos);
          data.copy(this.prefix, this.prefixRead, pos, pos + n);
          this.prefixRead += n;
          pos += n;
          if (this.prefixRead === PREFIX_BYTES) this.begin(out);
          break;
        }
        case Reading.Whole: {
          const n = Math.min(this.remaining, data.length - pos);
          this.chunks.push(data.subarray(pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.emitWhole(out);
          break;
        }
        case Reading.Head: {
          const n = Math.min(this.head.length - this.headRead, data.length - pos);
          data.copy(this.head, this.headRead, pos, pos + n);
          this.headRead += n;
          pos += n;
          this.remaining -= n;
          this.onHead(out);
          break;
        }
        case Reading.Names:
          pos = this.onNames(out, data, pos);
          break;
        case Reading.Tail: {
          const n = Math.min(this.remaining, data.length - pos);
          this.chunks.push(ownCopy(data, pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.emitRecognised(out);
          break;
        }
      }
    }
  }

  /** The prefix is read: choose how to read the message. */
  private begin(out: Buffer[]): void {
    const size = this.prefix.readUInt32BE(1);
    if (this.maxLength !== -1 && size > this.maxLength) {
      throw new Error(`Received message larger than max (${size} vs ${this.maxLength})`);
    }
    this.remaining = size;
    if (size === 0) return this.emit(out, Buffer.from(this.prefix));
    const compressed = this.prefix[0] !== 0;
    if (compressed || size < MIN_RECOGNISED || this.runs().length === 0) {
      this.reading = Reading.Whole;
      return;
    }
    this.reading = Reading.Head;
    // Only the bytes copied in are ever read (headRead). Not from Node's shared 8 KiB pool: a
    // stream with a request half read would keep a pool block alive.
    this.head = Buffer.allocUnsafeSlow(Math.min(MAX_HEAD, size));
    this.headRead = 0;
  }

  /** More of the head is read: find where the names begin, or give up and read the message whole. */
  private onHead(out: Buffer[]): void {
    // Fields cut short at the end of what was read so far may be whole once more is read.
    const start = namesAt(this.head, 0, this.headRead);
    const more = start === 'none' || start === 'invalid';
    const full = this.headRead === this.head.length;
    if (start === 'locators' || (more && full)) {
      this.reading = Reading.Whole;
      this.chunks = [this.head.subarray(0, this.headRead)];
      if (this.remaining === 0) this.emitWhole(out);
      return;
    }
    if (more) return;
    // The names begin at `start`: what was read after it is compared like any later chunk.
    const after = this.head.subarray(start, this.headRead);
    this.head = this.head.subarray(0, start);
    this.reading = Reading.Names;
    this.candidates = this.runs();
    this.matched = 0;
    this.remaining += after.length;
    this.feed(out, after, 0);
  }

  /**
   * Compares `data[pos, ...)` with the candidates: returns where the names end in `data` (the tail
   * begins), or data.length. A list whose bytes all matched wins if the next byte begins no other
   * name (`resource_names` fields run on); when none is left, the message is read whole, its
   * names so far taken back from the list they matched.
   */
  private onNames(out: Buffer[], data: Buffer, pos: number): number {
    while (pos < data.length || this.remaining === 0) {
      const done = this.candidates.find((k) => k.bytes.length === this.matched);
      if (done && (this.remaining === 0 || data[pos] !== NAMES_TAG)) {
        this.winner = done;
        this.candidates = [];
        this.reading = Reading.Tail;
        this.chunks = [];
        if (this.remaining === 0) this.emitRecognised(out);
        return pos;
      }
      const going = done ? this.candidates.filter((k) => k !== done) : this.candidates;
      const n = Math.min(data.length - pos, this.remaining, ...going.map((k) => k.bytes.length - this.matched));
      const still = n > 0 ? going.filter((k) => data.compare(k.bytes, this.matched, this.matched + n, pos, pos + n) === 0) : [];
      if (still.length === 0) {
        // No kept list is these names: the bytes compared so far are any candidate's.
        const taken = this.candidates[0]!.bytes.subarray(0, this.matched);
        this.reading = Reading.Whole;
        this.chunks = [this.head, taken];
        this.candidates = [];
        if (this.remaining === 0) this.emitWhole(out);
        return pos;
      }
      this.candidates = still;
      this.matched += n;
      this.remaining -= n;
      pos += n;
    }
    return pos;
  }

  /** A message read whole is complete. */
  private emitWhole(out: Buffer[]): void {
    this.emit(out, Buffer.concat([this.prefix, ...this.chunks]));
  }

  /** A recognised request is complete: its other fields, framed, in a buffer of its own. */
  private emitRecognised(out: Buffer[]): void {
    const body = this.head.length + this.chunks.reduce((sum, c) => sum + c.length, 0);
    const framed = Buffer.from(new ArrayBuffer(PREFIX_BYTES + body));
    framed.writeUInt32BE(body, 1);
    let at = PREFIX_BYTES;
    for (const c of [this.head, ...this.chunks]) at += c.copy(framed, at);
    recognised.set(framed.buffer, { known: this.winner!, at: this.head.length });
    this.emit(out, framed);
  }

  /** A message is complete: hand it on and let go of everything it was read into. */
  private emit(out: Buffer[], message: Buffer): void {
    out.push(message);
    this.reading = Reading.Prefix;
    this.prefixRead = 0;
    this.remaining = 0;
    this.chunks = [];
    this.head = EMPTY;
    this.candidates = [];
    this.matched = 0;
    this.winner = undefined;
  }
}
