// Readers for MeshConfig YAML, which Istio decodes as proto3 JSON (pkg/config/mesh ApplyMeshConfig ->
// protomarshal.ApplyYAML -> jsonpb): fields by their JSON (lowerCamel) name or their proto
// (snake_case) name, null as unset, and integers also as strings. A field Mast does not read is a
// MAST1015 finding naming it, never silently dropped; a value Istio would refuse is MAST2053.
import { parseDuration } from './duration';
import { childPath, isRecord, type FieldReader } from './parse/read';

/** Reads one value at `at` (its dotted path); undefined when it is wrong, after reporting why. */
export type Reader<T> = (value: unknown, at: string, read: FieldReader) => T | undefined;

/** One reader per field a message has in Mast, keyed by the field's JSON name. */
export type Fields<T> = { readonly [K in keyof T]-?: Reader<NonNullable<T[K]>> };

function invalid(read: FieldReader, at: string, message: string): undefined {
  read.report('MAST2053', at, message);
  return undefined;
}

/** `enable_64bit_trace_id` -> `enable64bitTraceId`, as protojson accepts either. */
export function jsonName(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export const string: Reader<string> = (v, at, read) => (typeof v === 'string' ? v : invalid(read, at, 'must be a string'));

export const bool: Reader<boolean> = (v, at, read) => (typeof v === 'boolean' ? v : invalid(read, at, 'must be true or false'));

/** A uint32 (protojson also takes a decimal string), at most `max`. */
export function uint(max = 0xffffffff, min = 0): Reader<number> {
  return (v, at, read) => {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) return invalid(read, at, `must be an integer in ${min}..${max}`);
    return n;
  };
}

/** A port, as Istio's ValidatePort wants it: 1..65535. */
export const port = uint(65535, 1);

/** A double (protojson also takes a numeric string). */
export const double: Reader<number> = (v, at, read) => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : invalid(read, at, 'must be a number');
};

/** A google.protobuf.Duration (`1.5s`, `300ms`), in seconds. */
export const duration: Reader<number> = (v, at, read) => {
  const seconds = typeof v === 'string' ? parseDuration(v) : undefined;
  return seconds ?? invalid(read, at, `${JSON.stringify(v)} is not a duration (write e.g. 1.5s or 300ms)`);
};

/** A google.protobuf.Struct: any mapping, kept as written. */
export const struct: Reader<Record<string, unknown>> = (v, at, read) => (isRecord(v) ? v : invalid(read, at, 'must be a mapping'));

/**
 * One of `values`. A value Istio has and Mast does not translate (a key of `unsupported`) is
 * MAST1015 and reads as the value it maps to, the nearest Mast has.
 */
export function enumOf<E extends string>(values: readonly E[], unsupported: Readonly<Record<string, E>> = {}): Reader<E> {
  return (v, at, read) => {
    if (values.includes(v as E)) return v as E;
    const instead = typeof v === 'string' && Object.prototype.hasOwnProperty.call(unsupported, v) ? unsupported[v] : undefined;
    if (instead !== undefined) {
      read.report('MAST1015', at, `${String(v)} is not supported by Mast; it is read as ${instead}`);
      return instead;
    }
    return invalid(read, at, `is ${JSON.stringify(v)}; must be one of ${[...values, ...Object.keys(unsupported)].join(', ')}`);
  };
}

/** A repeated field; a wrong item is reported and left out (and the whole is then refused, being an error). */
export function list<T>(item: Reader<T>): Reader<T[]> {
  return (v, at, read) => {
    if (!Array.isArray(v)) return invalid(read, at, 'must be a list');
    return v.flatMap((x, i) => {
      const r = item(x, childPath(at, i), read);
      return r === undefined ? [] : [r];
    });
  };
}

/**
 * A message: each field Mast reads through its reader, each other one MAST1015 (with `notes[key]`,
 * where Mast has another way to say it). The result holds only the fields set and valid.
 */
export function message<T>(fields: Fields<T>, notes: Readonly<Record<string, string>> = {}): Reader<Partial<T>> {
  return (v, at, read) => {
    if (!isRecord(v)) return invalid(read, at, 'must be a mapping');
    const out: Partial<Record<keyof T, unknown>> = {};
    for (const [raw, value] of Object.entries(v)) {
      const key = jsonName(raw);
      const path = childPath(at, raw);
      if (value === null || value === undefined) continue;
      if (Object.prototype.hasOwnProperty.call(fields, key)) {
        const r = (fields[key as keyof T] as Reader<unknown>)(value, path, read);
        if (r !== undefined) out[key as keyof T] = r;
      } else {
        read.report('MAST1015', path, `this MeshConfig field is not supported by Mast and is ignored${notes[key] ? ` (${notes[key]})` : ''}`);
      }
    }
    return out as Partial<T>;
  };
}
