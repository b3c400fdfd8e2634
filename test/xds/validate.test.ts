// Unit tests of src/xds/validate: every PGV rule kind (on a test proto for the kinds Envoy's own
// protos do not use, and on Envoy's protos for the paths and wordings Envoy prints), every
// semantic check, the RE2 program size bound, and the speed of a large route table.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as protobuf from 'protobufjs';
import { checkEnvoySemantics, checkProtoRules, MAST_LIMITS, validateResource, type Violation } from '../../src/xds/validate';
import { goDuration } from '../../src/xds/validate/format';
import { ProtoRules } from '../../src/xds/validate/pgv';
import { re2ProgramSize } from '../../src/xds/validate/re2-size';

const deps = join(__dirname, '../../node_modules/@grpc/grpc-js-xds/deps');

// Rule kinds Envoy's loaded protos do not use (int64, float, bytes, timestamp, map keys, skip,
// disabled, ignored, ...) on a proto of our own, loaded the way src/xds/protos.ts loads Envoy's.
const TEST_PROTO = `
syntax = "proto3";
package t;
import "validate/validate.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/any.proto";
import "google/protobuf/wrappers.proto";

enum Color { RED = 0; GREEN = 1; BLUE = 2; }

message Strings {
  string min = 1 [(validate.rules).string.min_len = 2];
  string max = 2 [(validate.rules).string = {max_len: 3}];
  string between = 3 [(validate.rules).string = {min_len: 1, max_len: 2}];
  string exact = 4 [(validate.rules).string.len = 2];
  string bytes_max = 5 [(validate.rules).string.max_bytes = 3];
  string bytes_between = 6 [(validate.rules).string = {min_bytes: 1, max_bytes: 2}];
  string bytes_exact = 7 [(validate.rules).string.len_bytes = 2];
  string pattern = 8 [(validate.rules).string.pattern = "^[a-z]+$"];
  string prefix = 9 [(validate.rules).string.prefix = "x-"];
  string suffix = 10 [(validate.rules).string.suffix = ".com"];
  string contains = 11 [(validate.rules).string.contains = "mid"];
  string not_contains = 12 [(validate.rules).string.not_contains = "bad"];
  string in = 13 [(validate.rules).string = {in: ["a", "b"]}];
  string not_in = 14 [(validate.rules).string = {not_in: ["z"]}];
  string const = 15 [(validate.rules).string.const = "k"];
  string name_strict = 16 [(validate.rules).string.well_known_regex = HTTP_HEADER_NAME];
  string name_loose = 17 [(validate.rules).string = {well_known_regex: HTTP_HEADER_NAME, strict: false}];
  string value_strict = 18 [(validate.rules).string.well_known_regex = HTTP_HEADER_VALUE];
  string ip = 19 [(validate.rules).string.ip = true];
  string ipv4 = 20 [(validate.rules).string.ipv4 = true];
  string ipv6 = 21 [(validate.rules).string.ipv6 = true];
  string hostname = 22 [(validate.rules).string.hostname = true];
  string address = 23 [(validate.rules).string.address = true];
  string uuid = 24 [(validate.rules).string.uuid = true];
  string ignore_empty = 25 [(validate.rules).string = {min_len: 5, ignore_empty: true}];
  string runes = 26 [(validate.rules).string.max_len = 2];
}

message Numbers {
  int32 i32 = 1 [(validate.rules).int32 = {gt: 0, lt: 10}];
  int64 i64 = 2 [(validate.rules).int64 = {gte: -5, lte: 5}];
  uint64 u64 = 3 [(validate.rules).uint64.lte = 18446744073709551615];
  uint32 outside = 4 [(validate.rules).uint32 = {lt: 10, gt: 20}];
  double d = 5 [(validate.rules).double = {gt: 0, lte: 1}];
  float f = 6 [(validate.rules).float.gte = 0.5];
  sint32 c = 7 [(validate.rules).sint32.const = 3];
  fixed32 in = 8 [(validate.rules).fixed32 = {in: [1, 2]}];
  sfixed64 not_in = 9 [(validate.rules).sfixed64 = {not_in: [7]}];
  uint32 ignore_empty = 10 [(validate.rules).uint32 = {gte: 5, ignore_empty: true}];
  google.protobuf.UInt32Value wrapped = 11 [(validate.rules).uint32.lte = 100];
  google.protobuf.UInt32Value wrapped_required = 12 [(validate.rules).uint32.lte = 100, (validate.rules).message.required = true];
  bool yes = 13 [(validate.rules).bool.const = true];
  bytes b = 14 [(validate.rules).bytes = {min_len: 2, prefix: "YQ=="}];
  bytes b_in = 15 [(validate.rules).bytes = {in: ["YQ==", "Yg=="]}];
}

message Enums {
  Color defined = 1 [(validate.rules).enum.defined_only = true];
  Color in = 2 [(validate.rules).enum = {in: [1, 2]}];
  Color not_in = 3 [(validate.rules).enum = {not_in: [0]}];
  Color const = 4 [(validate.rules).enum.const = 2];
}

message Leaf { string name = 1 [(validate.rules).string.min_len = 1]; }

message Collections {
  repeated string few = 1 [(validate.rules).repeated = {min_items: 1, max_items: 2}];
  repeated string exact = 2 [(validate.rules).repeated = {min_items: 2, max_items: 2}];
  repeated string unique = 3 [(validate.rules).repeated.unique = true];
  repeated uint32 items = 4 [(validate.rules).repeated.items.uint32.lte = 9];
  repeated Leaf leaves = 5;
  map<string, Leaf> pairs = 6 [(validate.rules).map = {min_pairs: 1, keys: {string: {min_len: 2}}}];
  map<string, uint32> values = 7 [(validate.rules).map.values.uint32.gt = 0];
  repeated string ignore_empty = 8 [(validate.rules).repeated = {min_items: 2, ignore_empty: true}];
  repeated string at_most = 9 [(validate.rules).repeated.max_items = 1];
}

message Messages {
  Leaf required = 1 [(validate.rules).message.required = true];
  Leaf skipped = 2 [(validate.rules).message.skip = true];
  Leaf plain = 3;
  oneof choice {
    option (validate.required) = true;
    string a = 4 [(validate.rules).string.min_len = 3];
    string b = 5;
  }
  google.protobuf.Duration dur_required = 6 [(validate.rules).duration.required = true];
  google.protobuf.Duration dur_range = 7 [(validate.rules).duration = {gte: {nanos: 1000000}, lt: {seconds: 300}}];
  google.protobuf.Duration dur_gap = 8 [(validate.rules).duration = {lte: {}, gte: {seconds: 1}}];
  google.protobuf.Duration dur_in = 9 [(validate.rules).duration = {in {seconds: 1} in {seconds: 2}}];
  google.protobuf.Timestamp ts = 10 [(validate.rules).timestamp.gt = {seconds: 1000}];
  google.protobuf.Any any_in = 11 [(validate.rules).any = {required: true, in: ["type.googleapis.com/t.Leaf"]}];
  google.protobuf.Any any_not_in = 12 [(validate.rules).any = {not_in: ["type.googleapis.com/t.Leaf"]}];
}

message Disabled {
  option (validate.disabled) = true;
  string name = 1 [(validate.rules).string.min_len = 1];
}

message Ignored {
  option (validate.ignored) = true;
  string name = 1 [(validate.rules).string.min_len = 1];
}

message Holder {
  Disabled disabled = 1;
  Ignored ignored = 2;
}
`;

const dir = mkdtempSync(join(tmpdir(), 'mast-pgv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function testRules(): ProtoRules {
  writeFileSync(join(dir, 't.proto'), TEST_PROTO);
  const root = new protobuf.Root();
  root.resolvePath = (_o, target) => (target === 't.proto' ? join(dir, target) : target.startsWith('validate/') ? join(deps, 'protoc-gen-validate', target) : target);
  root.loadSync('t.proto', { keepCase: true });
  root.resolveAll();
  return new ProtoRules(root);
}

const rules = testRules();

/** The violation at `path` (asserting there is exactly one). */
function at(list: Violation[], path: string): Violation {
  const found = list.filter((v) => v.path === path);
  assert.equal(found.length, 1, `expected one violation at ${path}, got ${JSON.stringify(list, null, 1)}`);
  return found[0] as Violation;
}

function one(type: string, json: unknown, path: string): Violation {
  return at(rules.check(`t.${type}`, json), path);
}

function none(type: string, json: unknown, path: string): void {
  const list = rules.check(`t.${type}`, json).filter((v) => v.path === path);
  assert.deepEqual(list, [], `no violation expected at ${path}`);
}

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
      if (!rule) return none('Strings', { ...okStrings, [field]: value }, field);
      assert.deepEqual(one('Strings', { ...okStrings, [field]: value }, field), { path: field, rule, message });
      none('Strings', okStrings, field);
    });
  }

  it('counts characters as code points, and lets "," through a strict header name as PGV does', () => {
    none('Strings', { ...okStrings, runes: '😀é' }, 'runes');
    none('Strings', { ...okStrings, name_strict: 'a,b' }, 'name_strict');
    none('Strings', { ...okStrings, name_loose: 'a b' }, 'name_loose');
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
      assert.deepEqual(one('Numbers', { ...ok, [field]: value }, field), { path: field, rule, message });
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
    assert.equal(one('Numbers', { ...ok, i32: 2 ** 31 }, 'i32').rule, 'proto.range');
    assert.equal(one('Numbers', { ...ok, wrapped: -1 }, 'wrapped').rule, 'proto.range');
    assert.equal(one('Numbers', { ...ok, u64: '18446744073709551616' }, 'u64').rule, 'proto.range');
    assert.equal(one('Numbers', { ...ok, c: 1.5 }, 'c').rule, 'proto.range');
  });
});

describe('PGV enum rules (templates/cc/enum.go, in.go)', () => {
  it('checks defined_only, in, not_in (naming the values) and const, on names and numbers', () => {
    const ok = { in: 'GREEN', not_in: 'BLUE', const: 'BLUE' };
    assert.deepEqual(rules.check('t.Enums', ok), []);
    assert.deepEqual(one('Enums', { ...ok, defined: 7 }, 'defined'), { path: 'defined', rule: 'enum.defined_only', message: 'value must be one of the defined enum values' });
    assert.deepEqual(one('Enums', { ...ok, in: 0 }, 'in'), { path: 'in', rule: 'enum.in', message: 'value must be in list [GREEN BLUE]' });
    assert.deepEqual(one('Enums', { ...ok, not_in: 'RED' }, 'not_in'), { path: 'not_in', rule: 'enum.not_in', message: 'value must not be in list [RED]' });
    assert.deepEqual(one('Enums', { ...ok, const: 1 }, 'const'), { path: 'const', rule: 'enum.const', message: 'value must equal 2' });
    // An absent enum is its zero value: RED, which not_in refuses.
    assert.equal(one('Enums', { in: 1, const: 2 }, 'not_in').rule, 'enum.not_in');
  });
});

describe('PGV repeated and map rules (templates/cc/repeated.go, map.go)', () => {
  const ok = { few: ['a'], exact: ['a', 'b'], pairs: { ab: { name: 'x' } } };
  it('checks counts, uniqueness and items, with indexed paths', () => {
    assert.deepEqual(rules.check('t.Collections', ok), []);
    assert.deepEqual(one('Collections', { ...ok, few: [] }, 'few'), { path: 'few', rule: 'repeated.min_items', message: 'value must contain between 1 and 2 items, inclusive' });
    assert.equal(one('Collections', { ...ok, few: ['a', 'b', 'c'] }, 'few').rule, 'repeated.max_items');
    assert.equal(one('Collections', { ...ok, few: undefined }, 'few').rule, 'repeated.min_items');
    assert.equal(one('Collections', { ...ok, exact: ['a'] }, 'exact').message, 'value must contain exactly 2 item(s)');
    assert.equal(one('Collections', { ...ok, at_most: ['a', 'b'] }, 'at_most').message, 'value must contain no more than 1 item(s)');
    assert.deepEqual(one('Collections', { ...ok, unique: ['a', 'b', 'a'] }, 'unique[2]'), { path: 'unique[2]', rule: 'repeated.unique', message: 'repeated value must contain unique items' });
    assert.equal(one('Collections', { ...ok, items: [1, 10] }, 'items[1]').rule, 'uint32.lte');
    assert.equal(one('Collections', { ...ok, leaves: [{ name: 'a' }, {}] }, 'leaves[1].name').rule, 'string.min_len');
    assert.equal(rules.check('t.Collections', { ...ok, ignore_empty: [] }).length, 0);
    assert.equal(one('Collections', { ...ok, ignore_empty: ['a'] }, 'ignore_empty').rule, 'repeated.min_items');
  });

  it('checks pair counts, keys and values, with ["key"] paths', () => {
    assert.equal(one('Collections', { ...ok, pairs: {} }, 'pairs').message, 'value must contain at least 1 pair(s)');
    assert.equal(one('Collections', { ...ok, pairs: { a: { name: 'x' } } }, 'pairs["a"]').message, 'value length must be at least 2 characters');
    assert.equal(one('Collections', { ...ok, pairs: { ab: {} } }, 'pairs["ab"].name').rule, 'string.min_len');
    assert.equal(one('Collections', { ...ok, values: { k: 0 } }, 'values["k"]').message, 'value must be greater than 0');
  });
});

describe('PGV message, oneof, Duration, Timestamp and Any rules (templates/cc/message.go, msg.go, duration.go, any.go)', () => {
  const ok = { required: { name: 'a' }, a: 'abc', dur_required: '1s', any_in: { '@type': 'type.googleapis.com/t.Leaf', name: 'x' } };
  it('requires messages, skips skipped ones and descends into plain ones only when present', () => {
    assert.deepEqual(rules.check('t.Messages', ok), []);
    assert.deepEqual(one('Messages', { ...ok, required: undefined }, 'required'), { path: 'required', rule: 'message.required', message: 'value is required' });
    assert.equal(rules.check('t.Messages', { ...ok, skipped: {} }).length, 0);
    assert.equal(one('Messages', { ...ok, plain: {} }, 'plain.name').rule, 'string.min_len');
  });

  it('requires a member of a required oneof, checks only the member set, and refuses two members', () => {
    assert.deepEqual(one('Messages', { ...ok, a: undefined }, 'choice'), { path: 'choice', rule: 'oneof.required', message: 'field: "choice", reason: is required' });
    assert.deepEqual(rules.check('t.Messages', { ...ok, a: undefined, b: '' }), []);
    assert.equal(one('Messages', { ...ok, a: 'x' }, 'a').rule, 'string.min_len');
    assert.equal(one('Messages', { ...ok, b: 'y' }, 'b').rule, 'proto.oneof');
  });

  it('checks durations in Go duration words, exclusive ranges included', () => {
    assert.deepEqual(one('Messages', { ...ok, dur_required: undefined }, 'dur_required'), { path: 'dur_required', rule: 'duration.required', message: 'value is required' });
    assert.deepEqual(one('Messages', { ...ok, dur_range: '0.0005s' }, 'dur_range'), { path: 'dur_range', rule: 'duration.gte', message: 'value must be inside range [1ms, 5m0s)' });
    assert.equal(one('Messages', { ...ok, dur_range: '300s' }, 'dur_range').rule, 'duration.lt');
    assert.deepEqual(one('Messages', { ...ok, dur_gap: '0.5s' }, 'dur_gap'), { path: 'dur_gap', rule: 'duration.lte+gte', message: 'value must be outside range (0s, 1s)' });
    assert.deepEqual(rules.check('t.Messages', { ...ok, dur_gap: '0s' }), []);
    assert.deepEqual(rules.check('t.Messages', { ...ok, dur_gap: '2s' }), []);
    assert.equal(one('Messages', { ...ok, dur_in: '3s' }, 'dur_in').message, 'value must be in list [1s 2s]');
  });

  it('checks timestamps and Any type URLs, and enters Any contents', () => {
    assert.equal(one('Messages', { ...ok, ts: '1970-01-01T00:00:01Z' }, 'ts').rule, 'timestamp.gt');
    assert.deepEqual(one('Messages', { ...ok, any_in: undefined }, 'any_in'), { path: 'any_in', rule: 'any.required', message: 'value is required' });
    assert.deepEqual(one('Messages', { ...ok, any_in: { '@type': 'type.googleapis.com/t.Strings' } }, 'any_in'), { path: 'any_in', rule: 'any.in', message: 'type URL must be in list [type.googleapis.com/t.Leaf]' });
    assert.equal(one('Messages', { ...ok, any_not_in: { '@type': 'type.googleapis.com/t.Leaf' } }, 'any_not_in').rule, 'any.not_in');
    assert.equal(one('Messages', { ...ok, any_in: { '@type': 'type.googleapis.com/t.Leaf', name: '' } }, 'any_in.name').rule, 'string.min_len');
  });

  it('does not check messages marked (validate.disabled) or (validate.ignored)', () => {
    assert.deepEqual(rules.check('t.Holder', { disabled: { name: '' }, ignored: {} }), []);
  });

  it('formats durations as Go does', () => {
    assert.deepEqual([0n, 1500n, 1_000_000n, 1_500_000_000n, 300_000_000_000n, 9_000_000_000_000_000_000n].map(goDuration), ['0s', '1.5µs', '1ms', '1.5s', '5m0s', '2500000h0m0s']);
  });
});

describe('PGV rules of the Envoy protos Mast loads', () => {
  const fault = (abort: unknown) => ({ name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' }, typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', abort } } }] }] });

  it('reports inside Any with the map key in the path, in Envoy\'s words', () => {
    const list = checkProtoRules('envoy.config.route.v3.RouteConfiguration', fault({ http_status: 700, percentage: { numerator: 1 } }));
    assert.deepEqual(list, [{ path: 'virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.fault"].abort.http_status', rule: 'uint32.lt', message: 'value must be inside range [200, 600)' }]);
    const noError = checkProtoRules('envoy.config.route.v3.RouteConfiguration', fault({ percentage: { numerator: 1 } }));
    assert.deepEqual(noError, [{ path: 'virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.fault"].abort.error_type', rule: 'oneof.required', message: 'field: "error_type", reason: is required' }]);
  });

  it('reports header matcher paths and empty names as Envoy does', () => {
    const rc = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', headers: [{ name: '', string_match: { prefix: '' } }] }, route: { cluster: 'c' } }] }] };
    const list = checkProtoRules('envoy.config.route.v3.RouteConfiguration', rc);
    assert.equal(at(list, 'virtual_hosts[0].routes[0].match.headers[0].name').message, 'value length must be at least 1 characters');
    assert.equal(at(list, 'virtual_hosts[0].routes[0].match.headers[0].string_match.prefix').rule, 'string.min_len');
  });

  it('accepts every golden expected output', () => {
    for (const v of goldenResources()) assert.deepEqual(validateResource(`type.googleapis.com/${v.type}`, v.json, MAST_LIMITS), [], `${v.where}`);
  });
});

const GOLDEN_TYPES: Record<string, string> = {
  clusters: 'envoy.config.cluster.v3.Cluster',
  endpoints: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  listeners: 'envoy.config.listener.v3.Listener',
  routes: 'envoy.config.route.v3.RouteConfiguration',
};

function goldenResources(): { type: string; json: Record<string, unknown>; where: string }[] {
  const root = join(__dirname, '../golden');
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => Object.entries(GOLDEN_TYPES).flatMap(([file, type]) => {
      const list = JSON.parse(readFileSync(join(root, d.name, 'expected', `${file}.json`), 'utf8')) as Record<string, unknown>[];
      return list.map((json, i) => ({ type, json, where: `${d.name}/${file}[${i}]` }));
    }));
}

const RC = 'envoy.config.route.v3.RouteConfiguration';
const LIMITS = { regexMaxProgramSize: 100 };

function semantic(type: string, json: unknown, limits = LIMITS): Violation[] {
  return checkEnvoySemantics(type, json, limits);
}

function routeTable(virtualHosts: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'r', virtual_hosts: virtualHosts, ...extra };
}

function vh(name: string, domains: string[], routes: unknown[] = [{ match: { prefix: '/' }, route: { cluster: 'c' } }], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, domains, routes, ...extra };
}

function withRoute(route: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return routeTable([vh('v', ['*'], [{ match: { prefix: '/' }, ...route }])], extra);
}

describe('semantic checks of a RouteConfiguration (source/common/router/config_impl.cc)', () => {
  it('refuses a domain twice in a table, compared lower-cased in ASCII, wildcards by kind', () => {
    const list = semantic(RC, routeTable([vh('a', ['X.com', '*.y', 'z*']), vh('b', ['x.COM', '*.Y', 'Z*', 'a*b', 'A*B'])]));
    assert.deepEqual(list.map((v) => [v.path, v.rule]), [
      ['virtual_hosts[1].domains[0]', 'route.domain_unique'],
      ['virtual_hosts[1].domains[1]', 'route.domain_unique'],
      ['virtual_hosts[1].domains[2]', 'route.domain_unique'],
      ['virtual_hosts[1].domains[4]', 'route.domain_unique'],
    ]);
    assert.equal(list[0]?.message, 'Only unique values for domains are permitted. Duplicate entry of domain x.com in route r');
    assert.deepEqual(semantic(RC, routeTable([vh('a', ['*.x']), vh('b', ['x.*', 'x*y'])])), []);
    assert.deepEqual(semantic(RC, routeTable([vh('a', ['*']), vh('b', ['*'])])), [{ path: 'virtual_hosts[1].domains[0]', rule: 'route.domain_single_wildcard', message: 'Only a single wildcard domain is permitted in route r' }]);
  });

  it('accepts virtual hosts sharing a name, as Envoy 1.36 does', () => {
    assert.deepEqual(semantic(RC, routeTable([vh('a', ['x']), vh('a', ['y'])])), []);
  });

  it('refuses adding or removing pseudo-headers and host, at every level (header_parser.cc)', () => {
    const add = (key: string) => [{ header: { key, value: 'v' } }];
    const rc = routeTable([vh('v', ['*'], [{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1, request_headers_to_remove: ['Host'] }] } }, response_headers_to_add: add(':status') }], { request_headers_to_add: add('HOST') })], { request_headers_to_remove: [':path'] });
    assert.deepEqual(semantic(RC, rc).map((v) => [v.path, v.rule, v.message]), [
      ['request_headers_to_remove[0]', 'route.header_removable', ':-prefixed or host headers may not be removed'],
      ['virtual_hosts[0].request_headers_to_add[0].header.key', 'route.header_modifiable', ':-prefixed or host headers may not be modified'],
      ['virtual_hosts[0].routes[0].response_headers_to_add[0].header.key', 'route.header_modifiable', ':-prefixed or host headers may not be modified'],
      ['virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].request_headers_to_remove[0]', 'route.header_removable', ':-prefixed or host headers may not be removed'],
    ]);
  });

  it('parses added header values as substitution formats', () => {
    const value = (v: string) => semantic(RC, withRoute({ route: { cluster: 'c' }, request_headers_to_add: [{ header: { key: 'x', value: v } }] }));
    assert.deepEqual(value('50%').map((v) => v.message), ["Incorrect configuration: 50%. Couldn't find valid command at position 2"]);
    assert.deepEqual(value('%FOO%').map((v) => v.message), ['Not supported field in StreamInfo: FOO']);
    assert.deepEqual(value('%a%').map((v) => v.rule), ['route.header_format']);
    assert.deepEqual(value('a%%b %DOWNSTREAM_REMOTE_ADDRESS% %REQ(x-id)% %START_TIME(%s)%'), []);
    assert.equal(value('%REQ%').length, 1);
  });

  it('refuses bad weighted clusters, double rewrites, bad mirrors, big bodies, duplicate upgrades and back-offs', () => {
    const wc = (clusters: unknown[]) => semantic(RC, withRoute({ route: { weighted_clusters: { clusters } } })).map((v) => [v.path, v.message]);
    assert.deepEqual(wc([{ name: 'a', weight: 0 }]), [['virtual_hosts[0].routes[0].route.weighted_clusters', 'Sum of weights in the weighted_cluster must be greater than 0.']]);
    assert.deepEqual(wc([{ name: 'a', weight: 4294967295 }, { name: 'b', weight: 1 }]), [['virtual_hosts[0].routes[0].route.weighted_clusters', 'The sum of weights of all weighted clusters of route  exceeds 4294967295']]);
    assert.deepEqual(wc([{ name: 'a', weight: 1 }, { name: 'b' }]).map(([p]) => p), ['virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].weight']);
    assert.deepEqual(wc([{ weight: 1 }, { name: 'a', cluster_header: 'x', weight: 1 }]).map(([, m]) => m), ['At least one of name or cluster_header need to be specified', 'Only one of name or cluster_header can be specified']);
    const rules = (route: Record<string, unknown>, extra?: Record<string, unknown>) => semantic(RC, withRoute(route, extra)).map((v) => v.rule);
    assert.deepEqual(rules({ route: { cluster: 'c', prefix_rewrite: '/x', regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' } } }), ['route.single_rewrite']);
    assert.deepEqual(rules({ route: { cluster: 'c', request_mirror_policies: [{}, { cluster: 'a', cluster_header: 'b' }] } }), ['route.mirror_cluster', 'route.mirror_cluster']);
    assert.deepEqual(rules({ direct_response: { status: 200, body: { inline_string: 'x'.repeat(4097) } } }), ['route.direct_response_body_size']);
    assert.deepEqual(rules({ direct_response: { status: 200, body: { inline_string: 'x'.repeat(4096) } } }), []);
    assert.deepEqual(rules({ direct_response: { status: 200, body: { inline_string: 'x'.repeat(5000) } } }, { max_direct_response_body_size_bytes: 5000 }), []);
    assert.deepEqual(rules({ route: { cluster: 'c', upgrade_configs: [{ upgrade_type: 'websocket' }, { upgrade_type: 'WebSocket' }, { upgrade_type: 'h2c', connect_config: {} }] } }), ['route.upgrade_unique', 'route.upgrade_connect_config']);
    assert.deepEqual(rules({ route: { cluster: 'c', retry_policy: { retry_back_off: { base_interval: '1s', max_interval: '0.5s' } } } }), ['route.retry_back_off']);
    assert.deepEqual(rules({ route: { cluster: 'c', retry_policy: { retry_back_off: { base_interval: '0.0001s', max_interval: '0.0005s' } } } }), []);
  });

  it('refuses negative and too long durations anywhere, Any contents included (utility.cc)', () => {
    const timeout = (t: string) => semantic(RC, withRoute({ route: { cluster: 'c', timeout: t } }));
    assert.deepEqual(timeout('-1s'), [{ path: 'virtual_hosts[0].routes[0].route.timeout', rule: 'duration.positive', message: 'Invalid duration: Expected positive duration: -1s' }]);
    assert.deepEqual(timeout('9223372036s').map((v) => v.rule), ['duration.range']);
    assert.deepEqual(timeout('9223372035.999999999s'), []);
    const fault = semantic(RC, withRoute({ route: { cluster: 'c' }, typed_per_filter_config: { f: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', delay: { fixed_delay: '-0.5s' } } } }));
    assert.deepEqual(fault.map((v) => v.path), ['virtual_hosts[0].routes[0].typed_per_filter_config["f"].delay.fixed_delay']);
  });

  it('checks every regex for RE2 syntax and program size against the limit given (regex.cc)', () => {
    const rx = (regex: string, limits = LIMITS) => semantic(RC, withRoute({ match: { safe_regex: { regex } }, route: { cluster: 'c' } }), limits);
    assert.deepEqual(rx('^/api/v[0-9]+$'), []);
    assert.deepEqual(rx('(a').map((v) => [v.path, v.rule]), [['virtual_hosts[0].routes[0].match.safe_regex.regex', 'regex.syntax']]);
    assert.deepEqual(rx('(a{100}){11}').map((v) => v.message), ["Invalid regex '(a{100}){11}': invalid repetition size: {11}"]);
    assert.deepEqual(rx('a{1000}').map((v) => v.rule), ['regex.program_size']);
    assert.deepEqual(rx('a{1000}', MAST_LIMITS), []);
    const cors = semantic(RC, withRoute({ route: { cluster: 'c' }, typed_per_filter_config: { cors: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy', allow_origin_string_match: [{ safe_regex: { regex: '[' } }, { safe_regex: { regex: 'a' }, ignore_case: true }] } } }));
    assert.deepEqual(cors.map((v) => [v.path, v.rule]), [
      ['virtual_hosts[0].routes[0].typed_per_filter_config["cors"].allow_origin_string_match[0].safe_regex.regex', 'regex.syntax'],
      ['virtual_hosts[0].routes[0].typed_per_filter_config["cors"].allow_origin_string_match[1].ignore_case', 'string_matcher.ignore_case'],
    ]);
    const header = semantic(RC, withRoute({ match: { prefix: '/', headers: [{ name: 'x', string_match: { safe_regex: { regex: '*' } } }], query_parameters: [{ name: 'q', string_match: { safe_regex: { regex: '(?<' } } }] }, route: { cluster: 'c', regex_rewrite: { pattern: { regex: ')' }, substitution: '' } } }));
    assert.deepEqual(header.map((v) => v.path), ['virtual_hosts[0].routes[0].match.headers[0].string_match.safe_regex.regex', 'virtual_hosts[0].routes[0].match.query_parameters[0].string_match.safe_regex.regex', 'virtual_hosts[0].routes[0].route.regex_rewrite.pattern.regex']);
  });
});

describe('the RE2 program size bound', () => {
  const size = (p: string) => {
    const r = re2ProgramSize(p);
    assert.ok('size' in r, `${p}: ${JSON.stringify(r)}`);
    return r.size;
  };

  it('counts UTF-8 bytes, captures, repetition expansions and the unanchored prefix', () => {
    assert.equal(size('a'), 1 + 5);
    assert.equal(size('é'), 2 + 5);
    assert.equal(size('(a)'), 3 + 5);
    assert.equal(size('a{3}'), 3 + 5);
    assert.equal(size('a{1,3}'), 1 + 2 * 3 + 5);
    assert.ok(size('a*') < size('(?:a?)*'), 'a nullable loop body costs an extra Alt');
    assert.ok(size('.') > size('[a-z]'), 'UTF-8 classes cost more than an ASCII range');
    assert.ok(size('(?i)é') > size('é'), '(?i) adds the other case');
    assert.ok(size('\\pL') > 1000, 'Unicode letters are a large class');
  });

  it('refuses nested counted repetitions over 1000, naming the repeat RE2 names', () => {
    assert.deepEqual(re2ProgramSize('(a{100}){11}'), { error: 'invalid repetition size: {11}' });
    assert.deepEqual(re2ProgramSize('((a{10}){10}){11}'), { error: 'invalid repetition size: {11}' });
    assert.deepEqual(re2ProgramSize('(a{2,}){600}'), { error: 'invalid repetition size: {600}' });
    assert.ok('size' in re2ProgramSize('(a{100}){10}'));
    assert.ok('size' in re2ProgramSize('(a*){1000}'));
  });
});

describe('semantic checks of Clusters and ClusterLoadAssignments', () => {
  const CL = 'envoy.config.cluster.v3.Cluster';
  const la = (address: string) => ({ cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 80 } } } }] }] });
  const rules = (c: Record<string, unknown>) => semantic(CL, { name: 'c', connect_timeout: '1s', ...c }).map((v) => v.rule);

  it('pairs ORIGINAL_DST with CLUSTER_PROVIDED and nothing else with it', () => {
    assert.deepEqual(semantic(CL, { name: 'c', connect_timeout: '1s', type: 'ORIGINAL_DST' }).map((v) => v.message), ["cluster: LB policy ROUND_ROBIN is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'"]);
    assert.deepEqual(rules({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' }), []);
    assert.deepEqual(rules({ type: 4, lb_policy: 6, load_assignment: la('1.2.3.4') }), ['cluster.original_dst_load_assignment']);
    assert.deepEqual(rules({ type: 'STATIC', lb_policy: 'CLUSTER_PROVIDED' }), ['cluster.cluster_provided_lb']);
  });

  it('needs an EDS config, one LOGICAL_DNS endpoint, IP literals for STATIC, and known protocol options', () => {
    assert.deepEqual(rules({ type: 'EDS' }), ['cluster.eds_config']);
    assert.deepEqual(semantic(CL, { name: 'c', connect_timeout: '1s', type: 'STRICT_DNS', eds_cluster_config: { service_name: 'x' } }).map((v) => v.message), ['eds_cluster_config set in a non-EDS cluster']);
    assert.deepEqual(rules({ type: 'LOGICAL_DNS' }), ['cluster.logical_dns_single_endpoint']);
    assert.deepEqual(rules({ type: 'LOGICAL_DNS', load_assignment: { cluster_name: 'c', endpoints: [] } }), ['cluster.logical_dns_single_endpoint']);
    assert.deepEqual(semantic(CL, { name: 'c', connect_timeout: '1s', load_assignment: la('foo.com') }).map((v) => [v.path, v.message]), [['load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address', "malformed IP address: foo.com. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'"]]);
    assert.deepEqual(rules({ type: 'STRICT_DNS', load_assignment: la('foo.com') }), []);
    assert.deepEqual(rules({ load_assignment: la('::1') }), []);
    assert.deepEqual(rules({ upstream_bind_config: { source_address: { address: 'localhost', port_value: 0 } } }), ['address.ip_literal']);
    const http = { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } };
    assert.deepEqual(rules({ typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': http } }), []);
    assert.deepEqual(rules({ typed_extension_protocol_options: { foo: http } }), ['cluster.protocol_options_name']);
  });

  it('needs IP literals in a ClusterLoadAssignment', () => {
    assert.deepEqual(semantic('envoy.config.endpoint.v3.ClusterLoadAssignment', la('a.b')).map((v) => v.path), ['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address']);
  });
});

describe('semantic checks of Listeners (filter_chain_manager_impl.cc, validateTerminalFilters)', () => {
  const LS = 'envoy.config.listener.v3.Listener';
  const tcp = { name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 's', cluster: 'c' } };
  const router = { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
  const fault = { name: 'fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } };
  const hcm = (httpFilters: unknown[], routeConfig?: unknown) => ({ name: 'hcm', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'h', http_filters: httpFilters, ...(routeConfig ? { route_config: routeConfig } : { rds: { route_config_name: 'r', config_source: { ads: {} } } }) } });
  const listener = (chains: unknown[], address = '0.0.0.0') => ({ name: 'l', address: { socket_address: { address, port_value: 80 } }, filter_chains: chains });
  const chain = (filter_chain_match: unknown, filters: unknown[] = [tcp], name = '') => ({ name, filter_chain_match, filters });
  const messages = (l: unknown) => semantic(LS, l).map((v) => [v.path, v.message]);

  it('refuses equal and overlapping filter chain matches, as the match table expands them', () => {
    assert.deepEqual(messages(listener([chain({ destination_port: 80 }, [tcp], 'a'), chain({ destination_port: 80 }, [tcp], 'b')])), [['filter_chains[1].filter_chain_match', "error adding listener '0.0.0.0:80': filter chain 'b' has the same matching rules defined as 'a'"]]);
    const overlap = "error adding listener '0.0.0.0:80': multiple filter chains with overlapping matching rules are defined";
    assert.deepEqual(messages(listener([chain({ server_names: ['a', 'b'] }), chain({ server_names: ['B'] })])), [['filter_chains[1].filter_chain_match', overlap]]);
    assert.deepEqual(messages(listener([chain({ server_names: ['*.a'] }), chain({ server_names: ['.a'] })])).map(([, m]) => m), [overlap]);
    assert.deepEqual(messages(listener([chain({ application_protocols: ['h2', 'http/1.1'] }), chain({ application_protocols: ['http/1.1', 'h2'] })])).map(([, m]) => m), [overlap]);
    assert.deepEqual(messages(listener([chain({ prefix_ranges: [{ address_prefix: '10.1.2.3', prefix_len: 8 }] }), chain({ prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] })])).map(([, m]) => m), [overlap]);
    assert.deepEqual(messages(listener([chain({ prefix_ranges: [{ address_prefix: '::ffff:1.2.3.4', prefix_len: 128 }] }), chain({ prefix_ranges: [{ address_prefix: '::1', prefix_len: 128 }] })])), []);
    assert.deepEqual(messages(listener([chain({ destination_port: 80 }), chain({ destination_port: 81 }), chain({})])), []);
  });

  it('refuses partial wildcards, bad CIDRs and hostnames as listener addresses', () => {
    assert.deepEqual(messages(listener([chain({ server_names: ['a.*'] })])), [['filter_chains[0].filter_chain_match.server_names[0]', "error adding listener '0.0.0.0:80': partial wildcards are not supported in \"server_names\""]]);
    assert.deepEqual(messages(listener([chain({ prefix_ranges: [{ address_prefix: '10.1.2', prefix_len: 8 }] })])), [['filter_chains[0].filter_chain_match.prefix_ranges[0].address_prefix', 'malformed IP address: 10.1.2']]);
    assert.deepEqual(messages(listener([chain({})], 'localhost')), [['address.socket_address.address', 'malformed IP address: localhost']]);
  });

  it('wants terminal filters last, network and http, and checks an inline route table', () => {
    assert.deepEqual(messages(listener([chain({}, [tcp, tcp])])), [['filter_chains[0].filters[0]', 'Error: terminal filter named tcp of type envoy.filters.network.tcp_proxy must be the last filter in a network filter chain.']]);
    assert.deepEqual(messages(listener([chain({}, [hcm([router, fault])])])), [
      ['filter_chains[0].filters[0].typed_config.http_filters[0]', 'Error: terminal filter named router of type envoy.filters.http.router must be the last filter in a http filter chain.'],
      ['filter_chains[0].filters[0].typed_config.http_filters[1]', 'Error: non-terminal filter named fault of type envoy.filters.http.fault is the last filter in a http filter chain.'],
    ]);
    assert.deepEqual(messages(listener([chain({}, [hcm([fault, router])])])), []);
    const inline = semantic(LS, listener([chain({}, [hcm([router], routeTable([vh('a', ['x']), vh('b', ['X'])]))])]));
    assert.deepEqual(inline.map((v) => [v.path, v.rule]), [['filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].domains[0]', 'route.domain_unique']]);
  });
});

describe('validateResource', () => {
  it('runs the proto rules and the load checks in one walk', () => {
    const list = validateResource(`type.googleapis.com/${RC}`, routeTable([vh('', ['x']), vh('b', ['x'], [{ match: { prefix: '/' }, route: { cluster: 'c', timeout: '-1s' } }])]), MAST_LIMITS);
    assert.deepEqual(list.map((v) => v.rule).sort(), ['duration.positive', 'route.domain_unique', 'string.min_len']);
  });

  it('validates a 1000-virtual-host route table and 1000 clusters quickly', (t) => {
    const golden = goldenResources();
    const table = golden.find((g) => g.type === RC && Array.isArray(g.json.virtual_hosts) && (g.json.virtual_hosts as unknown[]).length > 0)?.json as Record<string, unknown>;
    const host = (table.virtual_hosts as Record<string, unknown>[])[0] as Record<string, unknown>;
    const big = { ...table, virtual_hosts: Array.from({ length: 1000 }, (_, i) => ({ ...host, name: `h${i}`, domains: (host.domains as string[]).map((d) => `h${i}-${d}`) })) };
    const cluster = golden.find((g) => g.type === 'envoy.config.cluster.v3.Cluster' && g.json.type === 'EDS')?.json as Record<string, unknown>;
    const clusters = Array.from({ length: 1000 }, (_, i) => ({ ...cluster, name: `c${i}` }));
    const time = (f: () => number) => {
      const start = process.hrtime.bigint();
      const n = f();
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, n };
    };
    const runs = Array.from({ length: 5 }, () => [
      time(() => validateResource(`type.googleapis.com/${RC}`, big, MAST_LIMITS).length),
      time(() => clusters.reduce((n, c) => n + validateResource('type.googleapis.com/envoy.config.cluster.v3.Cluster', c, MAST_LIMITS).length, 0)),
    ]);
    for (const [r, c] of runs) {
      assert.equal(r?.n, 0);
      assert.equal(c?.n, 0);
    }
    const best = (i: number) => Math.min(...runs.map((r) => r[i]?.ms ?? Infinity));
    t.diagnostic(`1000-virtual-host RouteConfiguration (${JSON.stringify(big).length} bytes): first ${runs[0]?.[0]?.ms.toFixed(1)} ms, best ${best(0).toFixed(1)} ms; 1000 clusters: best ${best(1).toFixed(1)} ms`);
    assert.ok(best(0) < 100, `route table took ${best(0)} ms`);
  });
});
