// Unit tests of src/xds/validate's load checks of a RouteConfiguration (source/common/router/
// config_impl.cc and header_parser.cc) and of the RE2 program size bound its regex check uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAST_LIMITS } from '../../src/xds/validate';
import { re2ProgramSize } from '../../src/model/validate/re2-size';
import { RC, routeTable, semantic, vh, withRoute } from '../support/validate-fixtures';

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
    assert.deepEqual(value('%FOO%').map((v) => v.message), ["unknown command %FOO% (Envoy 1.36's header formatters do not have it)"]);
    assert.deepEqual(value('%DYNAMIC_METADATA(a):3%').map((v) => v.message), ['DYNAMIC_METADATA does not allow length to be specified.']);
    assert.deepEqual(value('%PER_REQUEST_STATE(a:b)%').map((v) => v.message), ['Invalid filter state serialize type, only support PLAIN/TYPED/FIELD.']);
    assert.deepEqual(value('é %REQ(x):99999999999999999999%').map((v) => v.message), ["Incorrect configuration: é %REQ(x):99999999999999999999%. Couldn't find valid command at position 3"]);
    assert.match(value('%CEL(a.map(x, x))%')[0]?.message ?? '', /Mast cannot confirm Envoy 1.36 accepts this CEL expression \(Envoy disables comprehensions/);
    assert.deepEqual(value('%UNIQUE_ID% %QUERY_PARAM(q):5% %PATH(NQ:ORIG)% %METADATA(ROUTE:a:b)% %CEL(request.path)% %UPSTREAM_METADATA(["a", "b"])%'), []);
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
    const rx = (regex: string, limits?: { regexMaxProgramSize: number }) => semantic(RC, withRoute({ match: { safe_regex: { regex } }, route: { cluster: 'c' } }), limits);
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
