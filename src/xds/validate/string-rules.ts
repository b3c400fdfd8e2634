// protoc-gen-validate's string and bytes rules (templates/cc/string.go, bytes.go), worded as
// Envoy 1.36's PGV words them ("characters" for string lengths).
import { isIP } from 'node:net';
import { goBytes, goList, goQuote } from './format';
import type { Obj } from './json';
import { inTests, sequence, type Check, type Test } from './check';

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

/**
 * The check of a string field from its `(validate.rules).string` options `r` (PGV
 * templates/cc/string.go), tests in the templates' order: const, in / not_in, lengths in code
 * points then bytes, prefix, suffix, contains, not_contains, pattern and well-known regexes, then
 * the formats (ip, ipv4, ipv6, address, hostname, uuid). Undefined when `r` sets nothing checkable;
 * non-strings are left to the JSON parser, and `ignore_empty` lets '' through.
 */
export function stringCheck(r: Obj): Check | undefined {
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

/**
 * The check of a bytes field (proto3 JSON: base64) from its `(validate.rules).bytes` options `r`
 * (PGV templates/cc/bytes.go): const, in / not_in, lengths in bytes, prefix, suffix, contains,
 * with the options (base64 too, as protobufjs keeps them) decoded before comparing. Undefined when
 * `r` sets nothing checkable.
 */
export function bytesCheck(r: Obj): Check | undefined {
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

