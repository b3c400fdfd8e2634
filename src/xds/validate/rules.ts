// protoc-gen-validate's rules for one value, compiled once into a checking function. The order of
// checks and the wording follow PGV's C++ templates (protoc-gen-validate templates/cc/*.go: const,
// in, ltgt, string, bytes, enum, duration, any, repeated, map, wrapper, message), with the
// "characters" wording Envoy 1.36's PGV uses for string lengths. As in the generated C++, a value
// reports only its first failing rule.
import { boundNanos, durationNanos, goDuration, goList, type Nanos } from './format';
import { inTests, sequence, type Check, type Test } from './check';
import { bytesCheck, stringCheck } from './string-rules';
import type { Obj } from './json';
import type { Violation } from './violation';

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
