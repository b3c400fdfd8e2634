// Unit tests of src/xds/validate's PGV enum, repeated, map, message, oneof, Duration, Timestamp and
// Any rules (on the test proto of test/support/validate-fixtures.ts), and of the rules of the Envoy
// protos Mast loads (paths inside Any, Envoy's words, every golden output accepted).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkProtoRules, MAST_LIMITS, validateResource } from '../../src/xds/validate';
import { goDuration } from '../../src/xds/validate/format';
import { at, goldenResources, one, testRules } from '../support/validate-fixtures';

const rules = testRules();

describe('PGV enum rules (templates/cc/enum.go, in.go)', () => {
  it('checks defined_only, in, not_in (naming the values) and const, on names and numbers', () => {
    const ok = { in: 'GREEN', not_in: 'BLUE', const: 'BLUE' };
    assert.deepEqual(rules.check('t.Enums', ok), []);
    assert.deepEqual(one(rules, 'Enums', { ...ok, defined: 7 }, 'defined'), { path: 'defined', rule: 'enum.defined_only', message: 'value must be one of the defined enum values' });
    assert.deepEqual(one(rules, 'Enums', { ...ok, in: 0 }, 'in'), { path: 'in', rule: 'enum.in', message: 'value must be in list [GREEN BLUE]' });
    assert.deepEqual(one(rules, 'Enums', { ...ok, not_in: 'RED' }, 'not_in'), { path: 'not_in', rule: 'enum.not_in', message: 'value must not be in list [RED]' });
    assert.deepEqual(one(rules, 'Enums', { ...ok, const: 1 }, 'const'), { path: 'const', rule: 'enum.const', message: 'value must equal 2' });
    // An absent enum is its zero value: RED, which not_in refuses.
    assert.equal(one(rules, 'Enums', { in: 1, const: 2 }, 'not_in').rule, 'enum.not_in');
  });
});

describe('PGV repeated and map rules (templates/cc/repeated.go, map.go)', () => {
  const ok = { few: ['a'], exact: ['a', 'b'], pairs: { ab: { name: 'x' } } };
  it('checks counts, uniqueness and items, with indexed paths', () => {
    assert.deepEqual(rules.check('t.Collections', ok), []);
    assert.deepEqual(one(rules, 'Collections', { ...ok, few: [] }, 'few'), { path: 'few', rule: 'repeated.min_items', message: 'value must contain between 1 and 2 items, inclusive' });
    assert.equal(one(rules, 'Collections', { ...ok, few: ['a', 'b', 'c'] }, 'few').rule, 'repeated.max_items');
    assert.equal(one(rules, 'Collections', { ...ok, few: undefined }, 'few').rule, 'repeated.min_items');
    assert.equal(one(rules, 'Collections', { ...ok, exact: ['a'] }, 'exact').message, 'value must contain exactly 2 item(s)');
    assert.equal(one(rules, 'Collections', { ...ok, at_most: ['a', 'b'] }, 'at_most').message, 'value must contain no more than 1 item(s)');
    assert.deepEqual(one(rules, 'Collections', { ...ok, unique: ['a', 'b', 'a'] }, 'unique[2]'), { path: 'unique[2]', rule: 'repeated.unique', message: 'repeated value must contain unique items' });
    assert.equal(one(rules, 'Collections', { ...ok, items: [1, 10] }, 'items[1]').rule, 'uint32.lte');
    assert.equal(one(rules, 'Collections', { ...ok, leaves: [{ name: 'a' }, {}] }, 'leaves[1].name').rule, 'string.min_len');
    assert.equal(rules.check('t.Collections', { ...ok, ignore_empty: [] }).length, 0);
    assert.equal(one(rules, 'Collections', { ...ok, ignore_empty: ['a'] }, 'ignore_empty').rule, 'repeated.min_items');
  });

  it('checks pair counts, keys and values, with ["key"] paths', () => {
    assert.equal(one(rules, 'Collections', { ...ok, pairs: {} }, 'pairs').message, 'value must contain at least 1 pair(s)');
    assert.equal(one(rules, 'Collections', { ...ok, pairs: { a: { name: 'x' } } }, 'pairs["a"]').message, 'value length must be at least 2 characters');
    assert.equal(one(rules, 'Collections', { ...ok, pairs: { ab: {} } }, 'pairs["ab"].name').rule, 'string.min_len');
    assert.equal(one(rules, 'Collections', { ...ok, values: { k: 0 } }, 'values["k"]').message, 'value must be greater than 0');
  });
});

describe('PGV message, oneof, Duration, Timestamp and Any rules (templates/cc/message.go, msg.go, duration.go, any.go)', () => {
  const ok = { required: { name: 'a' }, a: 'abc', dur_required: '1s', any_in: { '@type': 'type.googleapis.com/t.Leaf', name: 'x' } };
  it('requires messages, skips skipped ones and descends into plain ones only when present', () => {
    assert.deepEqual(rules.check('t.Messages', ok), []);
    assert.deepEqual(one(rules, 'Messages', { ...ok, required: undefined }, 'required'), { path: 'required', rule: 'message.required', message: 'value is required' });
    assert.equal(rules.check('t.Messages', { ...ok, skipped: {} }).length, 0);
    assert.equal(one(rules, 'Messages', { ...ok, plain: {} }, 'plain.name').rule, 'string.min_len');
  });

  it('requires a member of a required oneof, checks only the member set, and refuses two members', () => {
    assert.deepEqual(one(rules, 'Messages', { ...ok, a: undefined }, 'choice'), { path: 'choice', rule: 'oneof.required', message: 'field: "choice", reason: is required' });
    assert.deepEqual(rules.check('t.Messages', { ...ok, a: undefined, b: '' }), []);
    assert.equal(one(rules, 'Messages', { ...ok, a: 'x' }, 'a').rule, 'string.min_len');
    assert.equal(one(rules, 'Messages', { ...ok, b: 'y' }, 'b').rule, 'proto.oneof');
  });

  it('checks durations in Go duration words, exclusive ranges included', () => {
    assert.deepEqual(one(rules, 'Messages', { ...ok, dur_required: undefined }, 'dur_required'), { path: 'dur_required', rule: 'duration.required', message: 'value is required' });
    assert.deepEqual(one(rules, 'Messages', { ...ok, dur_range: '0.0005s' }, 'dur_range'), { path: 'dur_range', rule: 'duration.gte', message: 'value must be inside range [1ms, 5m0s)' });
    assert.equal(one(rules, 'Messages', { ...ok, dur_range: '300s' }, 'dur_range').rule, 'duration.lt');
    assert.deepEqual(one(rules, 'Messages', { ...ok, dur_gap: '0.5s' }, 'dur_gap'), { path: 'dur_gap', rule: 'duration.lte+gte', message: 'value must be outside range (0s, 1s)' });
    assert.deepEqual(rules.check('t.Messages', { ...ok, dur_gap: '0s' }), []);
    assert.deepEqual(rules.check('t.Messages', { ...ok, dur_gap: '2s' }), []);
    assert.equal(one(rules, 'Messages', { ...ok, dur_in: '3s' }, 'dur_in').message, 'value must be in list [1s 2s]');
  });

  it('checks timestamps and Any type URLs, and enters Any contents', () => {
    assert.equal(one(rules, 'Messages', { ...ok, ts: '1970-01-01T00:00:01Z' }, 'ts').rule, 'timestamp.gt');
    assert.deepEqual(one(rules, 'Messages', { ...ok, any_in: undefined }, 'any_in'), { path: 'any_in', rule: 'any.required', message: 'value is required' });
    assert.deepEqual(one(rules, 'Messages', { ...ok, any_in: { '@type': 'type.googleapis.com/t.Strings' } }, 'any_in'), { path: 'any_in', rule: 'any.in', message: 'type URL must be in list [type.googleapis.com/t.Leaf]' });
    assert.equal(one(rules, 'Messages', { ...ok, any_not_in: { '@type': 'type.googleapis.com/t.Leaf' } }, 'any_not_in').rule, 'any.not_in');
    assert.equal(one(rules, 'Messages', { ...ok, any_in: { '@type': 'type.googleapis.com/t.Leaf', name: '' } }, 'any_in.name').rule, 'string.min_len');
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
