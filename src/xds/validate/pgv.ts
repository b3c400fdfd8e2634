// A generic validator driven by the protoc-gen-validate annotations in Envoy's own .proto files,
// read from the protobufjs Root Mast encodes with (src/envoy-api/protos.ts). Each message type's rules
// are compiled once; validating is then a walk over Mast's proto3 JSON (the shape encode.ts takes:
// snake_case keys, Any as {"@type", ...fields}, Duration strings, plain wrapper values), entering
// Any contents. PGV semantics kept (templates/cc/msg.go, message.go, wrapper.go):
// - rules on a plain scalar apply to its default when absent (an absent string with min_len: 1
//   fails); on a oneof member or a wrapper only when set;
// - message rules apply only to a present message, except `required`; `skip` stops descent;
// - a oneof marked (validate.required) needs one member; (validate.disabled) and
//   (validate.ignored) messages are not checked.
// Two checks are protobuf's own rather than PGV's, and refused by Envoy's JSON parser: two members
// of one oneof set (`proto.oneof`, on the wire the last silently wins), and an integer outside its
// type's range (`proto.range`, on the wire it would be truncated).
import * as protobuf from 'protobufjs';
import { resourceTypes } from '../../envoy-api/protos';
import { isObj, type Obj } from './json';
import type { Check, PathLike } from './check';
import { mapCheck, repeatedCheck, requiredMessage, valueCheck, type ValueKind } from './rules';
import type { Violation } from './violation';

export type { Violation } from './violation';

/** Called for every present message of a type (full name without the leading dot). */
export type MessageVisitor = (json: unknown, path: string, out: Violation[]) => void;
export type Visitors = ReadonlyMap<string, MessageVisitor>;

type Wkt = 'any' | 'duration' | 'timestamp' | 'wrapper' | 'opaque';

interface FieldPlan {
  name: string;
  kind: ValueKind;
  wkt?: Wkt;
  message?: protobuf.Type;
  messageName?: string;
  repeated: boolean;
  map: boolean;
  inOneof: boolean;
  skip: boolean;
  /** A single value, each item of a list, or each value of a map. */
  check?: Check;
  /** The list or map as a whole. */
  collectionCheck?: Check;
  keyCheck?: Check;
  range?: readonly [bigint, bigint];
  /** What an absent value means: the checks on its default, or "required". */
  absent?: (path: PathLike, out: Violation[]) => void;
}

/**
 * A path built as the walk descends and rendered (`a.b[0]["k"]`) only when a violation or a
 * visitor needs it: most of a large resource is valid, and its paths would be garbage.
 */
class Path {
  constructor(
    private readonly parent: Path | undefined,
    private readonly seg: string,
  ) {}

  field(name: string): Path {
    return new Path(this, name);
  }

  index(i: number): Path {
    return new Path(this, `[${i}]`);
  }

  key(k: string): Path {
    return new Path(this, `[${JSON.stringify(k)}]`);
  }

  toString(): string {
    if (!this.parent) return this.seg;
    const head = this.parent.toString();
    return !head || this.seg.startsWith('[') ? `${head}${this.seg}` : `${head}.${this.seg}`;
  }
}

const ROOT = new Path(undefined, '');

interface TypePlan {
  fullName: string;
  fields: Map<string, FieldPlan>;
  absentChecks: FieldPlan[];
  oneofs: { name: string; members: string[]; required: boolean }[];
  disabled: boolean;
}

const TYPE_PREFIX = 'type.googleapis.com/';
const WRAPPER_KINDS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};
const OPAQUE = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue', 'google.protobuf.Empty']);
const RANGES: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const DEFAULTS: Record<string, unknown> = { string: '', bytes: '', bool: false, enum: 0 };

/** The (validate.rules) of a field: protobufjs keeps each option statement apart; merge them. */
function fieldRules(field: protobuf.Field): Obj | undefined {
  let merged: Obj | undefined;
  for (const entry of (field.parsedOptions ?? []) as Obj[]) {
    const r = entry['(validate.rules)'];
    if (isObj(r)) merged = deepMerge(merged ?? {}, r);
  }
  return merged;
}

function deepMerge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Obj, v) : v;
  return out;
}

function messageOption(type: protobuf.Type, name: string): boolean {
  return ((type.parsedOptions ?? []) as Obj[]).some((o) => o[name] === true) || type.options?.[name] === true;
}

/** A Root's compiled plans, built lazily type by type. */
export class ProtoRules {
  private readonly plans = new Map<protobuf.Type, TypePlan>();
  private readonly anyTypes = new Map<string, protobuf.Type | null>();
  private readonly types = new Map<string, protobuf.Type>();

  constructor(private readonly root: protobuf.Root) {}

  /**
   * Violations of the PGV rules in `json`, a message of `typeName` (`envoy.config.route.v3.RouteConfiguration`),
   * and calls `visitors` for each present message of the types they name; with `rules` false
   * only the visitors run. Throws only when `typeName` is not in the Root.
   */
  check(typeName: string, json: unknown, visitors?: Visitors, rules = true): Violation[] {
    const out: Violation[] = [];
    let type = this.types.get(typeName);
    if (!type) {
      type = this.root.lookupType(typeName);
      this.types.set(typeName, type);
    }
    this.walkMessage(type, json, ROOT, out, visitors, rules);
    return out;
  }

  private plan(type: protobuf.Type): TypePlan {
    let plan = this.plans.get(type);
    if (!plan) {
      plan = this.compile(type);
      this.plans.set(type, plan);
    }
    return plan;
  }

  private compile(type: protobuf.Type): TypePlan {
    const fields = new Map<string, FieldPlan>();
    const absentChecks: FieldPlan[] = [];
    for (const field of type.fieldsArray) {
      const plan = compileField(field);
      fields.set(field.name, plan);
      if (plan.absent) absentChecks.push(plan);
    }
    const oneofs = type.oneofsArray.map((o) => ({ name: o.name, members: o.fieldsArray.map((f) => f.name), required: o.options?.['(validate.required)'] === true }));
    return { fullName: type.fullName.slice(1), fields, absentChecks, oneofs, disabled: messageOption(type, '(validate.disabled)') || messageOption(type, '(validate.ignored)') };
  }

  private anyType(typeUrl: string): protobuf.Type | null {
    let t = this.anyTypes.get(typeUrl);
    if (t === undefined) {
      const found = typeUrl.startsWith(TYPE_PREFIX) ? this.root.lookup(typeUrl.slice(TYPE_PREFIX.length)) : null;
      t = found instanceof protobuf.Type ? found : null;
      this.anyTypes.set(typeUrl, t);
    }
    return t;
  }

  private walkMessage(type: protobuf.Type, json: unknown, path: Path, out: Violation[], visitors: Visitors | undefined, enabled: boolean): void {
    if (!isObj(json)) return; // a shape encode.ts refuses
    const plan = this.plan(type);
    const visit = visitors?.get(plan.fullName);
    if (visit) visit(json, String(path), out);
    const rules = enabled && !plan.disabled;
    for (const key in json) {
      const value = json[key];
      const f = plan.fields.get(key);
      if (!f || value === null || value === undefined) continue;
      this.walkField(f, value, path.field(key), out, visitors, enabled, rules);
    }
    if (!rules) return;
    for (const f of plan.absentChecks) {
      if (json[f.name] === undefined || json[f.name] === null) f.absent?.(path.field(f.name), out);
    }
    for (const o of plan.oneofs) {
      const set = o.members.filter((m) => json[m] !== undefined && json[m] !== null);
      if (set.length > 1) out.push({ path: String(path.field(set[1] as string)), rule: 'proto.oneof', message: `fields ${set.map((s) => `"${s}"`).join(' and ')} of oneof "${o.name}" are both set` });
      else if (set.length === 0 && o.required) out.push({ path: String(path.field(o.name)), rule: 'oneof.required', message: `field: "${o.name}", reason: is required` });
    }
  }

  private walkField(f: FieldPlan, value: unknown, path: Path, out: Violation[], visitors: Visitors | undefined, enabled: boolean, rules: boolean): void {
    if (f.map) {
      if (!isObj(value)) return;
      if (rules) f.collectionCheck?.(value, path, out);
      for (const k in value) {
        const p = path.key(k);
        if (rules) f.keyCheck?.(k, p, out);
        this.walkValue(f, value[k], p, out, visitors, enabled, rules);
      }
    } else if (f.repeated) {
      if (!Array.isArray(value)) return;
      if (rules) f.collectionCheck?.(value, path, out);
      for (let i = 0; i < value.length; i++) this.walkValue(f, value[i], path.index(i), out, visitors, enabled, rules);
    } else {
      this.walkValue(f, value, path, out, visitors, enabled, rules);
    }
  }

  /** `enabled`: rules wanted at all; `rules`: and the enclosing message is not disabled. */
  private walkValue(f: FieldPlan, value: unknown, path: Path, out: Violation[], visitors: Visitors | undefined, enabled: boolean, rules: boolean): void {
    if (value === null || value === undefined) return;
    if (rules) {
      // A value its type cannot hold is that error alone.
      if (!f.range || inRange(f, value, path, out)) f.check?.(value, path, out);
    }
    if (f.skip) return;
    if (f.wkt === 'any') {
      if (!isObj(value) || typeof value['@type'] !== 'string') return;
      const inner = this.anyType(value['@type']);
      if (!inner) return;
      const { '@type': _t, ...rest } = value;
      this.walkMessage(inner, rest, path, out, visitors, enabled);
    } else if (f.wkt) {
      const visit = f.messageName ? visitors?.get(f.messageName) : undefined;
      if (visit) visit(value, String(path), out);
    } else if (f.message) {
      this.walkMessage(f.message, value, path, out, visitors, enabled);
    }
  }
}

function inRange(f: FieldPlan, value: unknown, path: Path, out: Violation[]): boolean {
  const [lo, hi] = f.range as readonly [bigint, bigint];
  const ok = (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value));
  if (ok && BigInt(value as number | string) >= lo && BigInt(value as number | string) <= hi) return true;
  if (typeof value !== 'number' && typeof value !== 'string') return false; // a shape encode.ts refuses
  out.push({ path: String(path), rule: 'proto.range', message: `${String(value)} is not a valid ${f.kind}: it must be an integer in [${lo}, ${hi}]` });
  return false;
}

function compileField(field: protobuf.Field): FieldPlan {
  field.resolve();
  const rules = fieldRules(field);
  const resolved = field.resolvedType;
  const messageName = resolved instanceof protobuf.Type ? resolved.fullName.slice(1) : undefined;
  let kind: ValueKind = field.type;
  let wkt: Wkt | undefined;
  let enumValues: Record<string, number> | undefined;
  if (resolved instanceof protobuf.Enum) {
    kind = 'enum';
    enumValues = resolved.values;
  } else if (messageName) {
    kind = 'message';
    if (messageName === 'google.protobuf.Any') [kind, wkt] = ['any', 'any'];
    else if (messageName === 'google.protobuf.Duration') [kind, wkt] = ['duration', 'duration'];
    else if (messageName === 'google.protobuf.Timestamp') [kind, wkt] = ['timestamp', 'timestamp'];
    else if (WRAPPER_KINDS[messageName]) [kind, wkt] = [WRAPPER_KINDS[messageName] as string, 'wrapper'];
    else if (OPAQUE.has(messageName)) wkt = 'opaque';
  }
  const plan: FieldPlan = {
    name: field.name,
    kind,
    wkt,
    messageName,
    message: resolved instanceof protobuf.Type && !wkt ? resolved : undefined,
    repeated: field.repeated && !field.map,
    map: field.map,
    inOneof: field.partOf !== null && field.partOf !== undefined,
    skip: (rules?.message as Obj | undefined)?.skip === true,
    range: RANGES[kind],
  };
  if (plan.map) {
    const m = rules?.map as Obj | undefined;
    plan.collectionCheck = mapCheck(m);
    plan.keyCheck = valueCheck((field as unknown as protobuf.MapField).keyType, m?.keys as Obj | undefined);
    plan.check = valueCheck(kind, m?.values as Obj | undefined, enumValues);
    return plan;
  }
  if (plan.repeated) {
    const r = rules?.repeated as Obj | undefined;
    plan.collectionCheck = repeatedCheck(r, (v) => (kind === 'enum' && typeof v === 'string' ? enumValues?.[v] : String(v)));
    plan.check = valueCheck(kind, r?.items as Obj | undefined, enumValues);
    if (r && (Number(r.min_items ?? 0) > 0)) plan.absent = (path, out) => plan.collectionCheck?.([], path, out);
    return plan;
  }
  plan.check = valueCheck(kind, rules, enumValues);
  // A oneof member's rules run only when it is the member set (templates/cc/msg.go).
  if (plan.inOneof) return plan;
  const required = requiredMessage(kind, rules, wkt === 'wrapper');
  if (required) {
    plan.absent = (path, out) => out.push({ path: String(path), rule: kind === 'message' || wkt === 'wrapper' ? 'message.required' : `${kind}.required`, message: required });
  } else if (!messageName && plan.check) {
    const dflt = kind in DEFAULTS ? DEFAULTS[kind] : 0;
    plan.absent = (path, out) => plan.check?.(dflt, path, out);
  }
  return plan;
}

let envoyRules: ProtoRules | undefined;

/** The compiled rules of the Root Mast encodes with (src/envoy-api/protos.ts), built once. */
export function envoyProtoRules(): ProtoRules {
  envoyRules ??= new ProtoRules(resourceTypes());
  return envoyRules;
}

/**
 * Violations of Envoy's protoc-gen-validate rules in `json`, a message of `typeName` written as
 * Mast writes proto3 JSON (see src/xds/encode.ts). Rules compile once per type; see the file
 * header for the semantics. Throws if `typeName` is not a type Mast loads (proto/roots.js).
 */
export function checkProtoRules(typeName: string, json: unknown): Violation[] {
  return envoyProtoRules().check(typeName, json);
}
