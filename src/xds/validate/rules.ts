// protoc-gen-validate's rules for one value, compiled once into a checking function. The order of
// checks and the wording follow PGV's C++ templates (protoc-gen-validate templates/cc/*.go: const,
// in, ltgt, string, bytes, enum, duration, any, repeated, map, wrapper, message), with the
// "characters" wording Envoy 1.36's PGV uses for string lengths. As in the generated C++, a value
// reports only its first failing rule.
import { isIP } from 'node:net';
import { boundNanos, durationNanos, goBytes, goDuration, goList, goQuote, type Nanos } from './format';
import type { Violation } from './violation';

export type Obj = Record<string, unknown>;

/** Where a value is; rendered to a string (`a.b[0]`) only for a violation. */
export type PathLike = string | { toString(): string };

/** Checks one (normalised) value; pushes at most one violation. */
export type Check = (value: unknown, path: PathLike, out: Violation[]) => void;

type Fail = (rule: string, message: string) => void;
type Test = (value: never, fail: Fail) => void;

function asList(x: unknown): unknown[] {
  return Array.isArray(x) ? x : x === undefined ? [] : [x];
}

/**
 * Runs `tests` in order until one fails, as the generated C++ returns at its first error. The
 * failure callback is made once per rule set, not per value: validation runs on every resource.
 */
function sequence(kind: string, tests: Test[]): Check | undefined {
  if (tests.length === 0) return undefined;
  let hit: [string, string] | undefined;
  const fail: Fail = (rule, message) => {
    hit ??= [rule, message];
  };
  return (value, path, out) => {
    hit = undefined;
    for (const t of tests) {
      t(value as never, fail);
      if (hit) {
        out.push({ path: String(path), rule: `${kind}.${hit[0]}`, message: hit[1] });
        return;
      }
    }
  };
}

// ---------------------------------------------------------------- numbers (templates/goshared/ltgt.go)

const INTEGER_KINDS = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);

type Num = bigint | number;

/** lt/lte/gt/gte with PGV's exclusive ranges: `lte: 0, gte: 1s` means "0 or at least 1s". */
function rangeTest<T extends Num>(r: Obj, conv: (x: unknown) => T, show: (x: T) => string): Test | undefined {
  const hi = r.lt !== undefined ? { key: 'lt', v: conv(r.lt), open: true } : r.lte !== undefined ? { key: 'lte', v: conv(r.lte), open: false } : undefined;
  const lo = r.gt !== undefined ? { key: 'gt', v: conv(r.gt), open: true } : r.gte !== undefined ? { key: 'gte', v: conv(r.gte), open: false } : undefined;
  if (!hi && !lo) return undefined;
  const belowHi = (v: T) => !hi || (hi.open ? v < hi.v : v <= hi.v);
  const aboveLo = (v: T) => !lo || (lo.open ? v > lo.v : v >= lo.v);
  if (hi && lo && hi.v > lo.v) {
    const text = `value must be inside range ${lo.open ? '(' : '['}${show(lo.v)}, ${show(hi.v)}${hi.open ? ')' : ']'}`;
    return (v: T, fail) => {
      if (!aboveLo(v)) fail(lo.key, text);
      else if (!belowHi(v)) fail(hi.key, text);
    };
  }
  if (hi && lo) {
    // hi <= lo: the allowed values lie outside the gap between them.
    const text = `value must be outside range ${hi.open ? '[' : '('}${show(hi.v)}, ${show(lo.v)}${lo.open ? ']' : ')'}`;
    return (v: T, fail) => {
      if (!belowHi(v) && !aboveLo(v)) fail(`${hi.key}+${lo.key}`, text);
    };
  }
  if (hi) {
    const text = `value must be less than ${hi.open ? '' : 'or equal to '}${show(hi.v)}`;
    return (v: T, fail) => {
      if (!belowHi(v)) fail(hi.key, text);
    };
  }
  const l = lo as NonNullable<typeof lo>;
  const text = `value must be greater than ${l.open ? '' : 'or equal to '}${show(l.v)}`;
  return (v: T, fail) => {
    if (!aboveLo(v)) fail(l.key, text);
  };
}

function inTests<T>(r: Obj, conv: (x: unknown) => T, show: (items: unknown[]) => string, key = (x: T): unknown => x, subject = 'value'): Test[] {
  const inList = asList(r.in);
  const notIn = asList(r.not_in);
  // The templates test `in` and `not_in` as if/else-if: with both set, only `in` counts.
  if (inList.length > 0) {
    const set = new Set(inList.map((x) => key(conv(x))));
    return [(v: T, fail) => (set.has(key(v)) ? undefined : fail('in', `${subject} must be in list ${show(inList)}`))];
  }
  if (notIn.length > 0) {
    const set = new Set(notIn.map((x) => key(conv(x))));
    return [(v: T, fail) => (set.has(key(v)) ? fail('not_in', `${subject} must not be in list ${show(notIn)}`) : undefined)];
  }
  return [];
}

function toBig(x: unknown): bigint {
  return typeof x === 'bigint' ? x : BigInt(typeof x === 'number' ? Math.trunc(x) : String(x));
}

function numberCheck(kind: string, r: Obj): Check | undefined {
  const isInt = INTEGER_KINDS.has(kind);
  const conv = (isInt ? toBig : Number) as (x: unknown) => Num;
  const tests: Test[] = [];
  if (r.const !== undefined) {
    const c = conv(r.const);
    tests.push((v: Num, fail) => (v === c ? undefined : fail('const', `value must equal ${c}`)));
  }
  const range = rangeTest(r, conv, String);
  if (range) tests.push(range);
  tests.push(...inTests(r, conv, goList));
  const check = sequence(kind, tests);
  if (!check) return undefined;
  return (value, path, out) => {
    const v = conv(value);
    if (r.ignore_empty && (v === 0 || v === 0n)) return;
    check(v, path, out);
  };
}

// ---------------------------------------------------------------- strings (templates/cc/string.go)

/**
 * validate.proto's well-known regexes as PGV's C++ compiles them. `strict: false` (Envoy's usual
 * choice) only forbids NUL, CR and LF. Note `+-.` in the strict name class is a range, so `,` passes.
 */
const HEADER_NAME_STRICT = "^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$";
const HEADER_VALUE_STRICT = '^[^\u0000-\u0008\u000A-\u001F\u007F]*$';
const HEADER_LOOSE = '^[^\u0000\u000A\u000D]*$';

function wellKnownRegex(r: Obj): string | undefined {
  const which = r.well_known_regex === 1 ? 'HTTP_HEADER_NAME' : r.well_known_regex === 2 ? 'HTTP_HEADER_VALUE' : r.well_known_regex;
  if (which !== 'HTTP_HEADER_NAME' && which !== 'HTTP_HEADER_VALUE') return undefined;
  if (r.strict === false) return HEADER_LOOSE;
  return which === 'HTTP_HEADER_NAME' ? HEADER_NAME_STRICT : HEADER_VALUE_STRICT;
}

/** PGV's C++ matches with RE2::FullMatch; Envoy's patterns are all within JavaScript's syntax. */
function fullMatcher(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return new RegExp(`^(?:${pattern})$`);
  }
}

function lengthTests(unit: 'characters' | 'bytes', len: unknown, min: unknown, max: unknown, measure: (s: never) => number, names: [string, string, string]): Test[] {
  const [lenName, minName, maxName] = names;
  const n = (x: unknown) => Number(x);
  if (len !== undefined || (min !== undefined && max !== undefined && n(min) === n(max))) {
    const want = n(len ?? min);
    const text = unit === 'characters' ? `value must be ${want} characters` : `value length must be ${want} bytes`;
    return [(s: never, fail) => (measure(s) === want ? undefined : fail(len !== undefined ? lenName : measure(s) < want ? minName : maxName, text))];
  }
  if (min !== undefined && max !== undefined) {
    const text = unit === 'characters' ? `value must have between ${n(min)} and ${n(max)} characters inclusive` : `value length must be between ${n(min)} and ${n(max)} bytes, inclusive`;
    return [(s: never, fail) => {
      const l = measure(s);
      if (l < n(min)) fail(minName, text);
      else if (l > n(max)) fail(maxName, text);
    }];
  }
  if (min !== undefined) return [(s: never, fail) => (measure(s) < n(min) ? fail(minName, `value length must be at least ${n(min)} ${unit}`) : undefined)];
  if (max !== undefined) return [(s: never, fail) => (measure(s) > n(max) ? fail(maxName, `value length must be at most ${n(max)} ${unit}`) : undefined)];
  return [];
}

const runes = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** pgv::IsHostname (validate/validate.h). */
function isHostname(s: string): boolean {
  if (s.length > 253) return false;
  return s.replace(/\.$/, '').split('.').every((c) => c.length > 0 && c.length <= 63 && /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/.test(c));
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function stringCheck(r: Obj): Check | undefined {
  const tests: Test[] = [];
  if (r.const !== undefined) tests.push((s: string, fail) => (s === r.const ? undefined : fail('const', `value must equal ${goQuote(String(r.const))}`)));
  tests.push(...inTests(r, String, goList));
  tests.push(...lengthTests('characters', r.len, r.min_len, r.max_len, runes, ['len', 'min_len', 'max_len']));
  tests.push(...lengthTests('bytes', r.len_bytes, r.min_bytes, r.max_bytes, (s: string) => Buffer.byteLength(s, 'utf8'), ['len_bytes', 'min_bytes', 'max_bytes']));
  const sub = (key: string, ok: (s: string, x: string) => boolean, text: string) => {
    const x = r[key];
    if (typeof x === 'string' && x !== '') tests.push((s: string, fail) => (ok(s, x) ? undefined : fail(key, `${text} ${goQuote(x)}`)));
  };
  sub('prefix', (s, x) => s.startsWith(x), 'value does not have prefix');
  sub('suffix', (s, x) => s.endsWith(x), 'value does not have suffix');
  sub('contains', (s, x) => s.includes(x), 'value does not contain substring');
  sub('not_contains', (s, x) => !s.includes(x), 'value contains substring');
  for (const [key, pattern] of [['pattern', r.pattern], ['well_known_regex', wellKnownRegex(r)]] as const) {
    if (typeof pattern !== 'string' || pattern === '') continue;
    const re = fullMatcher(pattern);
    tests.push((s: string, fail) => (re.test(s) ? undefined : fail(key, `value does not match regex pattern ${goQuote(pattern)}`)));
  }
  const format = (key: string, ok: (s: string) => boolean, text: string) => {
    if (r[key]) tests.push((s: string, fail) => (ok(s) ? undefined : fail(key, text)));
  };
  // email, uri and uri_ref are unimplemented in PGV's C++ (a proto using them cannot build with
  // Envoy), so Envoy's protos never carry them.
  format('ip', (s) => isIP(s) !== 0, 'value must be a valid IP Address');
  format('ipv4', (s) => isIP(s) === 4, 'value must be a valid IPv4 Address');
  format('ipv6', (s) => isIP(s) === 6, 'value must be a valid IPv6 Address');
  format('address', (s) => isHostname(s) || isIP(s) !== 0, 'value must be an ip address, or a hostname.');
  format('hostname', isHostname, 'value must be a valid hostname');
  format('uuid', (s) => UUID.test(s), 'value must be a valid UUID');
  const check = sequence('string', tests);
  if (!check) return undefined;
  return (value, path, out) => {
    if (typeof value !== 'string') return;
    if (r.ignore_empty && value === '') return;
    check(value, path, out);
  };
}

// ---------------------------------------------------------------- bytes (templates/cc/bytes.go)

function bytesCheck(r: Obj): Check | undefined {
  const b64 = (x: unknown) => Buffer.from(String(x), 'base64');
  const tests: Test[] = [];
  if (r.const !== undefined) {
    const c = b64(r.const);
    tests.push((b: Buffer, fail) => (b.equals(c) ? undefined : fail('const', `value must equal ${goBytes(c)}`)));
  }
  tests.push(...inTests(r, b64, (items) => goList(items.map((x) => goBytes(b64(x)))), (b: Buffer) => b.toString('hex')));
  tests.push(...lengthTests('bytes', r.len, r.min_len, r.max_len, (b: Buffer) => b.length, ['len', 'min_len', 'max_len']));
  for (const [key, ok, text] of [
    ['prefix', (b: Buffer, x: Buffer) => b.subarray(0, x.length).equals(x), 'value does not have prefix'],
    ['suffix', (b: Buffer, x: Buffer) => x.length <= b.length && b.subarray(b.length - x.length).equals(x), 'value does not have suffix'],
    ['contains', (b: Buffer, x: Buffer) => b.includes(x), 'value does not contain substring'],
  ] as const) {
    if (r[key] === undefined) continue;
    const x = b64(r[key]);
    tests.push((b: Buffer, fail) => (ok(b, x) ? undefined : fail(key, `${text} ${goBytes(x)}`)));
  }
  const check = sequence('bytes', tests);
  if (!check) return undefined;
  return (value, path, out) => {
    if (typeof value !== 'string') return;
    const b = b64(value);
    if (r.ignore_empty && b.length === 0) return;
    check(b, path, out);
  };
}

// ---------------------------------------------------------------- bool, enum (templates/cc/const.go, enum.go, in.go)

function boolCheck(r: Obj): Check | undefined {
  if (r.const === undefined) return undefined;
  return sequence('bool', [(v: boolean, fail) => (v === r.const ? undefined : fail('const', `value must equal ${String(r.const)}`))]);
}

/** Enum values arrive as names or numbers; rules compare numbers and name the values in lists. */
function enumCheck(r: Obj, values: Record<string, number>): Check | undefined {
  const names = new Map(Object.entries(values).map(([k, v]) => [v, k]));
  const num = (x: unknown): number => (typeof x === 'string' && x in values ? (values[x] as number) : Number(x));
  const show = (items: unknown[]) => goList(items.map((x) => names.get(num(x)) ?? num(x)));
  const tests: Test[] = [];
  if (r.const !== undefined) {
    const c = num(r.const);
    tests.push((v: number, fail) => (v === c ? undefined : fail('const', `value must equal ${c}`)));
  }
  tests.push(...inTests(r, num, show));
  if (r.defined_only) tests.push((v: number, fail) => (names.has(v) ? undefined : fail('defined_only', 'value must be one of the defined enum values')));
  const check = sequence('enum', tests);
  if (!check) return undefined;
  return (value, path, out) => {
    const v = num(value);
    if (Number.isNaN(v)) return; // not a value of the enum at all: encode.ts reports it
    check(v, path, out);
  };
}

// ---------------------------------------------------------------- Duration, Timestamp, Any (templates/cc/duration.go, timestamp.go, any.go)

function durationCheck(r: Obj): Check | undefined {
  const tests: Test[] = [];
  if (r.const !== undefined) {
    const c = boundNanos(r.const);
    tests.push((d: Nanos, fail) => (d === c ? undefined : fail('const', `value must equal ${goDuration(c)}`)));
  }
  const range = rangeTest(r, boundNanos, goDuration);
  if (range) tests.push(range);
  tests.push(...inTests(r, boundNanos, (items) => goList(items.map((x) => goDuration(boundNanos(x))))));
  const check = sequence('duration', tests);
  if (!check) return undefined;
  return (value, path, out) => {
    const d = durationNanos(value);
    if (d !== undefined) check(d, path, out);
  };
}

function timestampCheck(r: Obj): Check | undefined {
  const ms = (x: unknown) => BigInt(Date.parse(String(x))) * 1_000_000n;
  const bound = (b: unknown) => boundNanos(b);
  const show = (n: bigint) => new Date(Number(n / 1_000_000n)).toISOString();
  const range = rangeTest(r, bound, show);
  if (!range) return undefined;
  const check = sequence('timestamp', [range]);
  return (value, path, out) => {
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) check?.(ms(value), path, out);
  };
}

function anyCheck(r: Obj): Check | undefined {
  const check = sequence('any', inTests(r, String, goList, (x) => x, 'type URL'));
  if (!check) return undefined;
  return (value, path, out) => check(String((value as Obj)['@type']), path, out);
}

// ---------------------------------------------------------------- one value of a field

export type ValueKind = 'string' | 'bytes' | 'bool' | 'enum' | 'duration' | 'timestamp' | 'any' | 'message' | string;

/**
 * The check PGV's `rules` (a FieldRules object, or one of its `items`/`keys`/`values`) make of a
 * single present value of `kind` (a scalar type name, `enum`, or a well-known message kind).
 */
export function valueCheck(kind: ValueKind, rules: Obj | undefined, enumValues?: Record<string, number>): Check | undefined {
  if (!rules) return undefined;
  const r = (key: string) => rules[key] as Obj | undefined;
  switch (kind) {
    case 'string':
      return r('string') && stringCheck(r('string') as Obj);
    case 'bytes':
      return r('bytes') && bytesCheck(r('bytes') as Obj);
    case 'bool':
      return r('bool') && boolCheck(r('bool') as Obj);
    case 'enum':
      return r('enum') && enumValues && enumCheck(r('enum') as Obj, enumValues);
    case 'duration':
      return r('duration') && durationCheck(r('duration') as Obj);
    case 'timestamp':
      return r('timestamp') && timestampCheck(r('timestamp') as Obj);
    case 'any':
      return r('any') && anyCheck(r('any') as Obj);
    case 'message':
      return undefined;
    default:
      return r(kind) && numberCheck(kind, r(kind) as Obj);
  }
}

/** Whether an absent value of this field is an error by its rules, and in which words. */
export function requiredMessage(kind: ValueKind, rules: Obj | undefined, wrapper: boolean): Violation['message'] | undefined {
  if (!rules) return undefined;
  const own = rules[kind === 'message' ? 'message' : kind] as Obj | undefined;
  const message = rules.message as Obj | undefined;
  // templates/cc/wrapper.go: a wrapper with scalar rules and message.required.
  if (wrapper && message?.required && own && kind !== 'message') return 'value is required and must not be nil.';
  if (message?.required || own?.required) return 'value is required';
  return undefined;
}

/** The size and uniqueness rules of a repeated field (templates/cc/repeated.go). */
export function repeatedCheck(r: Obj | undefined, key: (v: unknown) => unknown): Check | undefined {
  if (!r) return undefined;
  const tests: Test[] = [];
  tests.push(...countTests(r.min_items, r.max_items, 'items', 'item(s)', 'items, inclusive'));
  const check = sequence('repeated', tests);
  return (value, path, out) => {
    const list = value as unknown[];
    if (r.ignore_empty && list.length === 0) return;
    check?.(list.length, path, out);
    if (r.unique) {
      const seen = new Set<unknown>();
      list.forEach((item, i) => {
        const k = key(item);
        if (seen.has(k)) out.push({ path: `${String(path)}[${i}]`, rule: 'repeated.unique', message: 'repeated value must contain unique items' });
        seen.add(k);
      });
    }
  };
}

/** The size rules of a map field (templates/cc/map.go). */
export function mapCheck(r: Obj | undefined): Check | undefined {
  if (!r) return undefined;
  const check = sequence('map', countTests(r.min_pairs, r.max_pairs, 'pairs', 'pair(s)', 'pairs, inclusive'));
  if (!check) return undefined;
  return (value, path, out) => {
    const size = Object.keys(value as Obj).length;
    if (r.ignore_empty && size === 0) return;
    check(size, path, out);
  };
}

function countTests(min: unknown, max: unknown, what: string, unit: string, between: string): Test[] {
  const lo = min === undefined ? undefined : Number(min);
  const hi = max === undefined ? undefined : Number(max);
  const [minRule, maxRule] = what === 'items' ? ['min_items', 'max_items'] : ['min_pairs', 'max_pairs'];
  if (lo !== undefined && lo > 0) {
    if (hi === lo) return [(n: number, fail) => (n === lo ? undefined : fail(n < lo ? minRule : maxRule, `value must contain exactly ${lo} ${unit}`))];
    if (hi !== undefined) return [(n: number, fail) => (n < lo || n > hi ? fail(n < lo ? minRule : maxRule, `value must contain between ${lo} and ${hi} ${between}`) : undefined)];
    return [(n: number, fail) => (n < lo ? fail(minRule, `value must contain at least ${lo} ${unit}`) : undefined)];
  }
  if (hi !== undefined) return [(n: number, fail) => (n > hi ? fail(maxRule, `value must contain no more than ${hi} ${unit}`) : undefined)];
  return [];
}
