// Walking a protobuf message's top-level fields from its bytes, exactly as the deserializers
// grpc-js calls read them: proto-loader's, which decode with protobufjs 7 (src/reader.js
// `uint32`, `skip`, `skipType`; src/decoder.js, the generated decoder). Code that looks at a
// request's bytes before or instead of decoding it (the name limits, reused names) must find the
// fields the deserializer will find, or a client could hide names from a limit, or make a kept
// list of names stand for other names, by encoding them in ways the two read differently. Where
// protobufjs differs from the wire format's letter, this follows protobufjs: a varint's fifth
// byte gives only its low 4 bits, and a longer varint skips five more bytes unread; a field the
// message declares is read as length-delimited whatever wire type its tag says; and a declared
// string whose length runs past the end of the bytes is what is left of them (BufferReader's
// `string` clamps), where a message would throw.

/** `at.pos` moves past what is read. */
export interface At {
  pos: number;
}

/** protobufjs' Reader.recursionLimit: groups nested deeper make it throw. */
const RECURSION_LIMIT = 100;

/** protobufjs' Reader.uint32 at `at.pos` of `b[0, end)`; -1 where it would throw. */
export function uint32(b: Uint8Array, at: At, end: number): number {
  if (end - at.pos < 5) {
    if (at.pos >= end) return -1;
    // readVarint32NearEnd: at most four bytes.
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (at.pos >= end) return -1;
      const x = b[at.pos++]!;
      value = (value | ((x & 127) << (i * 7))) >>> 0;
      if (x < 128) return value;
    }
    return -1;
  }
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const x = b[at.pos++]!;
    value = (value | ((x & 127) << (i * 7))) >>> 0;
    if (x < 128) return value;
  }
  const fifth = b[at.pos++]!;
  value = (value | ((fifth & 15) << 28)) >>> 0;
  if (fifth < 128) return value;
  at.pos += 5;
  return at.pos > end ? -1 : value;
}

/** protobufjs' Reader.skipType: moves past a value of `wireType`; false where it would throw. */
function skipType(b: Uint8Array, at: At, end: number, wireType: number, depth: number): boolean {
  if (depth > RECURSION_LIMIT) return false;
  switch (wireType) {
    case 0:
      do {
        if (at.pos >= end) return false;
      } while (b[at.pos++]! & 128);
      return true;
    case 1:
    case 5: {
      const n = wireType === 1 ? 8 : 4;
      if (at.pos + n > end) return false;
      at.pos += n;
      return true;
    }
    case 2: {
      const n = uint32(b, at, end);
      if (n < 0 || at.pos + n > end) return false;
      at.pos += n;
      return true;
    }
    case 3:
      for (;;) {
        const tag = uint32(b, at, end);
        if (tag < 0) return false;
        if ((tag & 7) === 4) return true;
        if (!skipType(b, at, end, tag & 7, depth + 1)) return false;
      }
    default:
      return false;
  }
}

/**
 * What a walk is shown of one field: its number, whether the message declares it (`known`), where
 * its tag begins, for a declared field where its value's bytes are, and whether they were cut short.
 */
export interface Field {
  field: number;
  known: boolean;
  tagFrom: number;
  from: number;
  to: number;
  /** A declared string whose length ran past the end: its value is what was left. */
  clamped: boolean;
}

/** How a message declares a field: every declared field of the messages walked here is length-delimited. */
export type Declared = 'string' | 'message' | undefined;

/**
 * Walks the fields of the message in `b[from, to)` as protobufjs decodes it, `declared(n)` saying
 * how the message declares field n. Calls `visit` with each field (an undeclared one is skipped
 * by its wire type, `from` and `to` being its tag's end); a `visit` returning true stops the walk.
 * Returns 'stopped', 'end' (every field walked), or 'invalid' where protobufjs would throw (or
 * the bytes stop inside a field).
 */
export function walkFields(b: Uint8Array, from: number, to: number, declared: (field: number) => Declared, visit: (f: Field) => boolean | void): 'stopped' | 'end' | 'invalid' {
  const at = { pos: from };
  while (at.pos < to) {
    const tagFrom = at.pos;
    const tag = uint32(b, at, to);
    if (tag < 0) return 'invalid';
    const field = tag >>> 3;
    const kind = declared(field);
    if (kind) {
      const n = uint32(b, at, to);
      if (n < 0) return 'invalid';
      if (at.pos + n > to && kind === 'message') return 'invalid';
      const valueFrom = at.pos;
      const clamped = at.pos + n > to;
      at.pos = Math.min(at.pos + n, to);
      if (visit({ field, known: true, tagFrom, from: valueFrom, to: at.pos, clamped })) return 'stopped';
    } else {
      const tagEnd = at.pos;
      if (!skipType(b, at, to, tag & 7, 0)) return 'invalid';
      if (visit({ field, known: false, tagFrom, from: tagEnd, to: tagEnd, clamped: false })) return 'stopped';
    }
  }
  return 'end';
}

const declaredBy = (strings: number[], messages: number[]) => (field: number): Declared =>
  strings.includes(field) ? 'string' : messages.includes(field) ? 'message' : undefined;

/** DiscoveryRequest's fields (envoy/service/discovery/v3/discovery.proto). */
export const DISCOVERY_REQUEST_FIELDS = declaredBy([1, 3, 4, 5], [2, 6, 7]);
/** DeltaDiscoveryRequest's (the map initial_resource_versions, 5, is read as messages). */
export const DELTA_DISCOVERY_REQUEST_FIELDS = declaredBy([2, 3, 4, 6], [1, 5, 7, 8, 9]);
/** Node's (envoy/config/core/v3/base.proto; 5 is reserved). */
export const NODE_FIELDS = declaredBy([1, 2, 6, 7, 10], [3, 4, 8, 9, 11, 12]);
