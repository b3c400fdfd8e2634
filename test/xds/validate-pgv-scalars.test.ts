// Unit tests of src/xds/validate's PGV string, number, bool and bytes rules, on the test proto of
// test/support/validate-fixtures.ts, worded as Envoy 1.36 words them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, none, one, testRules } from '../support/validate-fixtures';

const rules = testRules();

/** A Strings message valid everywhere but the fields given. */
const okStrings = { min: 'ab', between: 'a', exact: 'ab', bytes_between: 'a', bytes_exact: 'ab', pattern: 'abc', prefix: 'x-a', suffix: 'a.com', contains: 'amidb', in: 'a', const: 'k', name_strict: 'x-y', value_strict: 'v', ip: '::1', ipv4: '1.2.3.4', ipv6: '::1', hostname: 'a.b', address: 'a.b', uuid: '123e4567-e89b-12d3-a456-426614174000' };

describe('PGV string rules (templates/cc/string.go, worded as Envoy 1.36 words them)', () => {
  const cases: [string, string, string, string][] = [
    ['min', 'a', 'string.min_len', 'value length must be at least 2 characters'],
    ['max', 'abcd', 'string.max_len', 'value length must be at most 3 characters'],
    ['between', 'abc', 'string.max_len', 'value must have between 1 and 2 characters inclusive'],
    ['exact', 'a', 'string.len', 'value must be 2 characters'],
    ['bytes_max', 'éé', 'string.max_bytes', 'value length must be at most 3 bytes'],
    ['bytes_between', 'abc', 'string.max_bytes', 'value length must be between 1 and 2 bytes, inclusive'],
    ['bytes_exact', 'a', 'string.len_bytes', 'value length must be 2 bytes'],
    ['pattern', 'A', 'string.pattern', 'value does not match regex pattern "^[a-z]+$"'],
    ['prefix', 'a', 'string.prefix', 'value does not have prefix "x-"'],
    ['suffix', 'a.org', 'string.suffix', 'value does not have suffix ".com"'],
    ['contains', 'abc', 'string.contains', 'value does not contain substring "mid"'],
    ['not_contains', 'xbadx', 'string.not_contains', 'value contains substring "bad"'],
    ['in', 'c', 'string.in', 'value must be in list [a b]'],
    ['not_in', 'z', 'string.not_in', 'value must not be in list [z]'],
    ['const', 'j', 'string.const', 'value must equal "k"'],
    ['name_strict', 'a b', 'string.well_known_regex', "value does not match regex pattern \"^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$\""],
    ['name_loose', 'a\nb', 'string.well_known_regex', 'value does not match regex pattern "^[^\\x00\\n\\r]*$"'],
    ['value_strict', 'a\u0001', 'string.well_known_regex', 'value does not match regex pattern "^[^\\x00-\\b\\n-\\x1f\\x7f]*$"'],
    ['ip', 'x', 'string.ip', 'value must be a valid IP Address'],
    ['ipv4', '::1', 'string.ipv4', 'value must be a valid IPv4 Address'],
    ['ipv6', '1.2.3.4', 'string.ipv6', 'value must be a valid IPv6 Address'],
    ['hostname', '-a.b', 'string.hostname', 'value must be a valid hostname'],
    ['address', 'a_b', 'string.address', 'value must be an ip address, or a hostname.'],
    ['uuid', 'nope', 'string.uuid', 'value must be a valid UUID'],
    ['ignore_empty', 'abc', 'string.min_len', 'value length must be at least 5 characters'],
    ['runes', 'ab', '', ''],
  ];
  for (const [field, value, rule, message] of cases) {
    it(`${field}: ${rule || 'accepted'}`, () => {
      if (!rule) return none(rules, 'Strings', { ...okStrings, [field]: value }, field);
      assert.deepEqual(one(rules, 'Strings', { ...okStrings, [field]: value }, field), { path: field, rule, message });
      none(rules, 'Strings', okStrings, field);
    });
  }

  it('counts characters as code points, and lets "," through a strict header name as PGV does', () => {
    none(rules, 'Strings', { ...okStrings, runes: '😀é' }, 'runes');
    none(rules, 'Strings', { ...okStrings, name_strict: 'a,b' }, 'name_strict');
    none(rules, 'Strings', { ...okStrings, name_loose: 'a b' }, 'name_loose');
  });

  it('applies scalar rules to the default of an absent field, unless ignore_empty', () => {
    const list = rules.check('t.Strings', {});
    assert.equal(at(list, 'min').rule, 'string.min_len');
    assert.equal(at(list, 'name_strict').rule, 'string.well_known_regex');
    assert.equal(list.filter((v) => v.path === 'ignore_empty').length, 0);
    assert.equal(list.filter((v) => v.path === 'max').length, 0);
  });
});

describe('PGV number, bool and bytes rules (templates/goshared/ltgt.go, const.go, in.go, bytes.go)', () => {
  const cases: [string, unknown, string, string][] = [
    ['i32', 0, 'int32.gt', 'value must be inside range (0, 10)'],
    ['i32', 10, 'int32.lt', 'value must be inside range (0, 10)'],
    ['i64', '-6', 'int64.gte', 'value must be inside range [-5, 5]'],
    ['outside', 15, 'uint32.lt+gt', 'value must be outside range [10, 20]'],
    ['d', 0, 'double.gt', 'value must be inside range (0, 1]'],
    ['d', 1.5, 'double.lte', 'value must be inside range (0, 1]'],
    ['f', 0.25, 'float.gte', 'value must be greater than or equal to 0.5'],
    ['c', 4, 'sint32.const', 'value must equal 3'],
    ['in', 3, 'fixed32.in', 'value must be in list [1 2]'],
    ['not_in', '7', 'sfixed64.not_in', 'value must not be in list [7]'],
    ['ignore_empty', 3, 'uint32.gte', 'value must be greater than or equal to 5'],
    ['wrapped', 101, 'uint32.lte', 'value must be less than or equal to 100'],
    ['yes', false, 'bool.const', 'value must equal true'],
    ['b', 'Yg==', 'bytes.min_len', 'value length must be at least 2 bytes'],
    ['b', 'YmI=', 'bytes.prefix', 'value does not have prefix "\\x61"'],
    ['b_in', 'Yw==', 'bytes.in', 'value must be in list ["\\x61" "\\x62"]'],
  ];
  const ok = { i32: 5, i64: 0, outside: 25, d: 0.5, f: 1, c: 3, in: 1, not_in: 1, yes: true, b: 'YWI=', b_in: 'YQ==', wrapped_required: 1 };
  for (const [field, value, rule, message] of cases) {
    it(`${field}=${String(value)}: ${rule}`, () => {
      assert.deepEqual(one(rules, 'Numbers', { ...ok, [field]: value }, field), { path: field, rule, message });
    });
  }

  it('accepts the valid values, 64-bit strings and the edge of the exclusive range', () => {
    assert.deepEqual(rules.check('t.Numbers', ok), []);
    assert.deepEqual(rules.check('t.Numbers', { ...ok, outside: 9, u64: '18446744073709551615', i64: '5' }), []);
  });

  it('checks a wrapper only when set, and words a required wrapper as wrapper.go does', () => {
    const list = rules.check('t.Numbers', { ...ok, wrapped_required: undefined });
    assert.deepEqual(at(list, 'wrapped_required'), { path: 'wrapped_required', rule: 'message.required', message: 'value is required and must not be nil.' });
    assert.equal(list.filter((v) => v.path === 'wrapped').length, 0);
  });

  it('refuses integers outside their type, which Envoy JSON-parses as errors and the wire truncates', () => {
    assert.equal(one(rules, 'Numbers', { ...ok, i32: 2 ** 31 }, 'i32').rule, 'proto.range');
    assert.equal(one(rules, 'Numbers', { ...ok, wrapped: -1 }, 'wrapped').rule, 'proto.range');
    assert.equal(one(rules, 'Numbers', { ...ok, u64: '18446744073709551616' }, 'u64').rule, 'proto.range');
    assert.equal(one(rules, 'Numbers', { ...ok, c: 1.5 }, 'c').rule, 'proto.range');
  });
});
