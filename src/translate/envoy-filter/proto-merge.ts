// proto.Merge on proto3 JSON: what an EnvoyFilter MERGE does to the resource it matches (Istio's
// pkg/proto/merge, after golang/protobuf's Merge). Scalars and enums in the patch replace;
// messages merge field by field; repeated fields append; map entries replace by key; setting one
// member of a oneof clears the others. An Any merges with an Any of the same "@type" field by field
// and is replaced by one of another type (Istio's MergeAnyWithAny refuses to merge two types).
import type * as protobuf from 'protobufjs';
import { TYPE_PREFIX, messageType } from '../../model/envoy-proto-json';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `patch` merged into `base`, both `typeName` messages in normalised proto3 JSON
 * (src/model/envoy-proto-json.ts). Neither input is changed; unchanged subtrees are shared.
 */
export function protoMerge(typeName: string, base: Obj, patch: Obj): Obj {
  const type = messageType(typeName);
  if (!type) throw new Error(`${typeName} is not loaded (proto/roots.js)`);
  return mergeMessage(type, base, patch);
}

/** Two Anys, merged when they hold one type, else the patch's. */
export function mergeAny(base: unknown, patch: unknown): unknown {
  if (!isObj(base) || !isObj(patch) || base['@type'] !== patch['@type'] || typeof patch['@type'] !== 'string') return patch;
  const name = patch['@type'].slice(TYPE_PREFIX.length);
  const type = messageType(name);
  // A well-known type inside an Any keeps its JSON under "value": the patch's replaces it.
  if (!type || 'value' in patch && !type.fields.value) return patch;
  const { '@type': t, ...b } = base;
  const { '@type': _p, ...p } = patch;
  return { '@type': t, ...mergeMessage(type, b, p) };
}

function mergeMessage(type: protobuf.Type, base: Obj, patch: Obj): Obj {
  switch (type.fullName.slice(1)) {
    case 'google.protobuf.Any':
      return mergeAny(base, patch) as Obj;
    case 'google.protobuf.Struct':
      return { ...base, ...patch };
  }
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const field = type.fields[key];
    if (!field) continue;
    field.resolve();
    const oneof = field.partOf && !field.partOf.name.startsWith('_') ? field.partOf : undefined;
    if (oneof) for (const member of oneof.oneof) if (member !== key) delete out[member];
    const current = out[key];
    if (field.map) out[key] = { ...(isObj(current) ? current : {}), ...(value as Obj) };
    else if (field.repeated) out[key] = [...(Array.isArray(current) ? current : []), ...(value as unknown[])];
    else if (field.resolvedType && 'fieldsArray' in field.resolvedType && isObj(current) && isObj(value) && !WHOLE.has(field.resolvedType.fullName.slice(1))) {
      out[key] = mergeMessage(field.resolvedType as protobuf.Type, current, value);
    } else out[key] = value;
  }
  return out;
}

/** Well-known types whose JSON form is a value, not fields: the patch's replaces the base's. */
const WHOLE = new Set(['google.protobuf.Duration', 'google.protobuf.Timestamp', 'google.protobuf.Value', 'google.protobuf.ListValue', 'google.protobuf.FieldMask']);
