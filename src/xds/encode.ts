// Turns Envoy resources written as proto3 JSON (snake_case, as config_dump prints them) into
// protobuf bytes. protobufjs' own fromObject neither understands the JSON forms of well-known
// types (Duration strings, Struct, wrappers, "@type" Any) nor rejects unknown fields, so this walks
// the reflected schema itself: a typo in a translator fails loudly here instead of being dropped.
// The walk yields the plain object protobufjs' encoder takes (enums as numbers, bytes as
// Buffers), so it encodes directly, without fromObject's second copy of every message.
import * as protobuf from 'protobufjs';
import { resourceTypes } from '../envoy-api/protos';

export class EncodeError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

const TYPE_PREFIX = 'type.googleapis.com/';

export function encodeMessage(typeName: string, json: unknown): Uint8Array {
  const type = resourceTypes().lookupType(typeName);
  return type.encode(convertMessage(type, json, typeName) as Obj).finish();
}

/** Encodes a `google.protobuf.Any` wrapping `json` of the given type URL. */
export function encodeAny(typeUrl: string, json: unknown): Uint8Array {
  const any = resourceTypes().lookupType('google.protobuf.Any');
  return any.encode({ type_url: typeUrl, value: encodeMessage(typeUrl.slice(TYPE_PREFIX.length), json) }).finish();
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convertMessage(type: protobuf.Type, json: unknown, path: string): unknown {
  const wkt = WELL_KNOWN[type.fullName.slice(1)];
  if (wkt) return wkt(json, path);
  if (!isObj(json)) throw new EncodeError(path, `expected an object for ${type.name}`);
  const out: Obj = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key];
    if (!field) throw new EncodeError(`${path}.${key}`, `${type.fullName.slice(1)} has no field "${key}"`);
    if (value === null || value === undefined) continue;
    out[key] = convertField(field, value, `${path}.${key}`);
  }
  return out;
}

function convertField(field: protobuf.Field, value: unknown, path: string): unknown {
  field.resolve();
  if (field.map) {
    if (!isObj(value)) throw new EncodeError(path, 'expected an object for a map field');
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = convertSingle(field, v, `${path}.${k}`);
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new EncodeError(path, 'expected a list');
    return value.map((v, i) => convertSingle(field, v, `${path}[${i}]`));
  }
  return convertSingle(field, value, path);
}

function convertSingle(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return convertMessage(resolved, value, path);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'number') return value;
    if (typeof value !== 'string' || !(value in resolved.values)) {
      throw new EncodeError(path, `"${String(value)}" is not a value of enum ${resolved.name}`);
    }
    return resolved.values[value];
  }
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw new EncodeError(path, 'expected a string');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new EncodeError(path, 'expected a boolean');
      return value;
    case 'bytes':
      if (typeof value !== 'string') throw new EncodeError(path, 'expected base64 bytes');
      return Buffer.from(value, 'base64');
    default:
      if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+$/.test(value))) {
        throw new EncodeError(path, `expected a number for ${field.type}`);
      }
      // 64-bit integers keep their JSON string form (the encoder parses it without rounding).
      return typeof value === 'string' && !LONG_TYPES.has(field.type) ? Number(value) : value;
  }
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

const WRAPPERS = ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'];

const WELL_KNOWN: Record<string, (json: unknown, path: string) => unknown> = {
  'google.protobuf.Any': (json, path) => {
    if (!isObj(json) || typeof json['@type'] !== 'string' || !json['@type'].startsWith(TYPE_PREFIX)) {
      throw new EncodeError(path, 'an Any needs "@type": "type.googleapis.com/..."');
    }
    const { '@type': typeUrl, ...rest } = json as Obj & { '@type': string };
    const typeName = typeUrl.slice(TYPE_PREFIX.length);
    const inner = resourceTypes().lookup(typeName);
    if (!(inner instanceof protobuf.Type)) throw new EncodeError(path, `unknown type ${typeUrl} (add its .proto to proto/roots.js)`);
    const obj = convertMessage(inner, rest, `${path}<${inner.name}>`);
    return { type_url: typeUrl, value: inner.encode(obj as Obj).finish() };
  },
  'google.protobuf.Duration': (json, path) => parseDuration(json, path),
  'google.protobuf.Struct': (json, path) => {
    if (!isObj(json)) throw new EncodeError(path, 'expected an object for a Struct');
    return structOf(json);
  },
  'google.protobuf.Value': (json) => valueOf(json),
  'google.protobuf.ListValue': (json, path) => {
    if (!Array.isArray(json)) throw new EncodeError(path, 'expected a list');
    return { values: json.map(valueOf) };
  },
  'google.protobuf.Empty': (json, path) => {
    if (!isObj(json) || Object.keys(json).length) throw new EncodeError(path, 'expected {} for Empty');
    return {};
  },
  ...Object.fromEntries(WRAPPERS.map((w) => [`google.protobuf.${w}`, (json: unknown, path: string) => {
    if (json === null || typeof json === 'object') throw new EncodeError(path, `expected a plain value for ${w}`);
    return { value: w === 'BytesValue' ? Buffer.from(String(json), 'base64') : json };
  }])),
};

function structOf(obj: Obj): unknown {
  return { fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, valueOf(v)])) };
}

// google.protobuf.Value comes from protobufjs' built-in definitions, whose field names are
// camelCase whatever keepCase says; fromObject would silently drop snake_case keys here.
function valueOf(v: unknown): unknown {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(valueOf) } };
  return { structValue: structOf(v as Obj) };
}

/** proto3 JSON durations: "1.5s", "-0.250s". */
export function parseDuration(json: unknown, path: string): { seconds: number; nanos: number } {
  if (typeof json !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(json)) {
    throw new EncodeError(path, `"${String(json)}" is not a duration like "1.5s"`);
  }
  const negative = json.startsWith('-');
  const [whole, frac = ''] = json.replace(/^-/, '').slice(0, -1).split('.');
  const seconds = Number(whole);
  const nanos = Number(frac.padEnd(9, '0'));
  return negative ? { seconds: -seconds, nanos: -nanos } : { seconds, nanos };
}
