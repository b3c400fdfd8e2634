// Envoy proto JSON as users write it in an EnvoyFilter patch value, read strictly and rewritten in
// the form translation emits (proto3 JSON with snake_case field names, Any as {"@type", ...}).
//
// Istio decodes a patch value with protojson (xds.BuildXDSObjectFromStruct, strict in validation):
// either field name spelling (snake_case or the camelCase JSON name), a "@type" for every Any, and
// udpa/xds TypedStruct (Envoy unpacks it into the type it names, so Mast does it here and can then
// check and merge the real message). protobufjs' fromObject would drop an unknown field silently,
// so this walks the reflected types (src/envoy-api/protos.ts) and reports every field it cannot place:
// unknown fields, wrong JSON types, enum values, Duration strings, and "@type"s naming a type
// Envoy's protos (as Mast loads them, proto/roots.js) do not define.
import * as protobuf from 'protobufjs';
import { resourceTypes } from '../envoy-api/protos';

export const TYPE_PREFIX = 'type.googleapis.com/';

/** The TypedStruct types Envoy unpacks in place of the message they name. */
const TYPED_STRUCTS = new Set(['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']);

export interface ProtoProblem {
  /** Where in the value, from its root: `typed_config.inline_code`, `routes[0].match`. */
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The message type `fullName` (`envoy.config.listener.v3.Listener`), or undefined when Mast does not load it. */
export function messageType(fullName: string): protobuf.Type | undefined {
  try {
    const found = resourceTypes().lookup(fullName);
    return found instanceof protobuf.Type ? found : undefined;
  } catch {
    return undefined;
  }
}

const camelIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** A field by its proto name or its JSON (lowerCamelCase) name, as protojson accepts either. */
export function fieldOf(type: protobuf.Type, key: string): protobuf.Field | undefined {
  const direct = type.fields[key];
  if (direct) return direct;
  let index = camelIndex.get(type);
  if (!index) {
    index = new Map(type.fieldsArray.map((f) => [f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), f]));
    camelIndex.set(type, index);
  }
  return index.get(key);
}

const child = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/**
 * `value` read as a `typeName` message: the same content with snake_case names, TypedStructs
 * unpacked, enum values as names, and the problems that make it something Envoy would refuse.
 */
export function normaliseMessage(typeName: string, value: unknown): { value: Obj; problems: ProtoProblem[] } {
  const type = messageType(typeName);
  if (!type) throw new Error(`${typeName} is not loaded (proto/roots.js)`);
  const problems: ProtoProblem[] = [];
  const out = message(type, value, '', problems);
  return { value: isObj(out) ? out : {}, problems };
}

function message(type: protobuf.Type, json: unknown, path: string, problems: ProtoProblem[]): unknown {
  const wkt = WELL_KNOWN[type.fullName.slice(1)];
  if (wkt) return wkt(json, path, problems);
  if (!isObj(json)) {
    problems.push({ path, message: `expected an object for ${type.fullName.slice(1)}` });
    return {};
  }
  const out: Obj = {};
  const oneofs = new Map<string, string>();
  for (const [key, v] of Object.entries(json)) {
    const field = fieldOf(type, key);
    if (!field) {
      problems.push({ path: child(path, key), message: `unknown field "${key}" in ${type.fullName.slice(1)}` });
      continue;
    }
    if (v === null || v === undefined) continue;
    const oneof = field.partOf && !field.partOf.name.startsWith('_') ? field.partOf.name : undefined;
    if (oneof) {
      const other = oneofs.get(oneof);
      if (other) problems.push({ path: child(path, key), message: `sets ${other} and ${field.name}, which are one of ${oneof}` });
      oneofs.set(oneof, field.name);
    }
    out[field.name] = fieldValue(field, v, child(path, field.name), problems);
  }
  return out;
}

function fieldValue(field: protobuf.Field, value: unknown, path: string, problems: ProtoProblem[]): unknown {
  field.resolve();
  if (field.map) {
    if (!isObj(value)) {
      problems.push({ path, message: 'expected an object for a map field' });
      return {};
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, single(field, v, child(path, k), problems)]));
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      problems.push({ path, message: 'expected a list' });
      return [];
    }
    return value.map((v, i) => single(field, v, child(path, i), problems));
  }
  return single(field, value, path, problems);
}

function single(field: protobuf.Field, value: unknown, path: string, problems: ProtoProblem[]): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return message(resolved, value, path, problems);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'number' && Number.isInteger(value)) return resolved.valuesById[value] ?? value;
    if (typeof value === 'string' && value in resolved.values) return value;
    problems.push({ path, message: `${JSON.stringify(value)} is not a value of enum ${resolved.name}` });
    return value;
  }
  const ok = scalarOk(field.type, value);
  if (!ok) problems.push({ path, message: `expected ${scalarName(field.type)}, got ${JSON.stringify(value)}` });
  // proto3 JSON writes 32-bit integers as numbers; a quoted one is accepted and written as a number.
  if (ok && typeof value === 'string' && INT32.has(field.type)) return Number(value);
  return value;
}

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INTEGER = /^-?\d+$/;

function scalarOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'bytes':
      return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value);
    case 'double':
    case 'float':
      return typeof value === 'number' || (typeof value === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(value));
    default: {
      const n = typeof value === 'number' ? value : typeof value === 'string' && INTEGER.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) return false;
      if (type.startsWith('u') || type.startsWith('fixed')) return n >= 0 && (INT32.has(type) ? n <= 0xffffffff : true);
      return INT32.has(type) ? n >= -0x80000000 && n <= 0x7fffffff : true;
    }
  }
}

function scalarName(type: string): string {
  return type === 'string' ? 'a string' : type === 'bool' ? 'a boolean' : type === 'bytes' ? 'base64 bytes' : `a number (${type})`;
}

const WRAPPERS: Record<string, string> = {
  DoubleValue: 'double',
  FloatValue: 'float',
  Int64Value: 'int64',
  UInt64Value: 'uint64',
  Int32Value: 'int32',
  UInt32Value: 'uint32',
  BoolValue: 'bool',
  StringValue: 'string',
  BytesValue: 'bytes',
};

type Reader = (json: unknown, path: string, problems: ProtoProblem[]) => unknown;

const WELL_KNOWN: Record<string, Reader> = {
  'google.protobuf.Any': anyValue,
  'google.protobuf.Duration': (json, path, problems) => {
    if (typeof json !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(json)) problems.push({ path, message: `${JSON.stringify(json)} is not a duration like "1.5s"` });
    return json;
  },
  'google.protobuf.Timestamp': (json, path, problems) => {
    if (typeof json !== 'string' || Number.isNaN(Date.parse(json))) problems.push({ path, message: `${JSON.stringify(json)} is not an RFC 3339 timestamp` });
    return json;
  },
  'google.protobuf.Struct': (json, path, problems) => {
    if (!isObj(json)) problems.push({ path, message: 'expected an object for a Struct' });
    return json;
  },
  'google.protobuf.Value': (json) => json,
  'google.protobuf.ListValue': (json, path, problems) => {
    if (!Array.isArray(json)) problems.push({ path, message: 'expected a list' });
    return json;
  },
  'google.protobuf.Empty': (json, path, problems) => {
    if (!isObj(json) || Object.keys(json).length > 0) problems.push({ path, message: 'expected {} for Empty' });
    return {};
  },
  ...Object.fromEntries(
    Object.entries(WRAPPERS).map(([name, scalar]): [string, Reader] => [
      `google.protobuf.${name}`,
      (json, path, problems) => {
        if (!scalarOk(scalar, json)) problems.push({ path, message: `expected ${scalarName(scalar)} for ${name}, got ${JSON.stringify(json)}` });
        return typeof json === 'string' && INT32.has(scalar) ? Number(json) : json;
      },
    ]),
  ),
};

/** An Any: `{"@type": URL, ...fields}`, a TypedStruct unpacked into the message it names. */
function anyValue(json: unknown, path: string, problems: ProtoProblem[]): unknown {
  const typeUrl = isObj(json) ? json['@type'] : undefined;
  if (!isObj(json) || typeof typeUrl !== 'string' || !typeUrl.includes('/')) {
    problems.push({ path, message: 'an Any needs "@type": "type.googleapis.com/..."' });
    return json;
  }
  const { '@type': _type, ...rest } = json;
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (TYPED_STRUCTS.has(typeName)) {
    const inner = rest.type_url ?? rest.typeUrl;
    if (typeof inner !== 'string' || !inner.includes('/')) {
      problems.push({ path: child(path, 'type_url'), message: 'a TypedStruct needs type_url naming the message its value holds' });
      return json;
    }
    return anyValue({ ...(isObj(rest.value) ? rest.value : {}), '@type': inner }, path, problems);
  }
  const type = messageType(typeName);
  if (!type) {
    problems.push({ path: child(path, '@type'), message: `${typeUrl} is not a type Envoy's API defines (or Mast does not load it: proto/roots.js)` });
    return json;
  }
  // Well-known types keep their JSON form under "value" inside an Any.
  const wkt = WELL_KNOWN[typeName];
  if (wkt) return { '@type': TYPE_PREFIX + typeName, value: wkt(rest.value, child(path, 'value'), problems) };
  const out = message(type, rest, path, problems);
  return { '@type': TYPE_PREFIX + typeName, ...(isObj(out) ? out : {}) };
}
