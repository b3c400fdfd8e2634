// Debug answers written as they are read. /debug/syncz at 1000 proxies built one string of every
// proxy's status (and the objects it was made from) before the first byte went out: 250-400 MiB
// for one read (issue 10). A JSON object here is written field by field, and a field marked
// `streamed` element by element from an iterable that makes each element only when it is
// needed, so a read holds one element and one 64 KiB chunk, however many there are; the
// socket's backpressure (Readable.from pulls only as the reply drains) paces the making.
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** A field whose elements are written one at a time, as a JSON array. */
export class Streamed<T> {
  constructor(readonly items: Iterable<T>) {}
}

/** Marks `items` (an array, or a generator that makes each element when it is read) to be written one element at a time. */
export function streamed<T>(items: Iterable<T>): Streamed<T> {
  return new Streamed(items);
}

function* pieces(fields: Record<string, unknown>): Generator<string> {
  yield '{';
  let first = true;
  for (const [key, value] of Object.entries(fields)) {
    // As JSON.stringify leaves out undefined fields.
    if (value === undefined) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (value instanceof Streamed) {
      yield '[';
      let i = 0;
      // As JSON.stringify writes an element it cannot represent (undefined, a function).
      for (const item of value.items as Iterable<unknown>) yield `${i++ ? ',' : ''}${JSON.stringify(item) ?? 'null'}`;
      yield ']';
    } else {
      yield JSON.stringify(value);
    }
  }
  yield '}';
}

function* chunked(parts: Iterable<string>): Generator<string> {
  let buffer = '';
  for (const p of parts) {
    buffer += p;
    if (buffer.length >= CHUNK) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}

/**
 * The JSON of `fields` (the same text JSON.stringify makes of the object with each Streamed
 * field's items as an array), as a byte stream fastify sends as the reply body.
 */
export function jsonStream(fields: Record<string, unknown>): Readable {
  return Readable.from(chunked(pieces(fields)), { objectMode: false });
}
