// Differential test: src/xds/validate's verdict against real Envoy's on seeded fast-check mutations
// of Mast's golden outputs (empty strings, out-of-range numbers, bad enums, odd header names and
// values, duplicate and mixed-case domains, bad regexes and durations, addresses, filter chains).
import { test } from 'node:test';
import fc from 'fast-check';
import { skipWithoutEnvoy as skip } from '../support/envoy-validate';
import { assertAgreesWithEnvoy, bases, type Candidate, get, goldenCandidates, type Kind, type Obj, ROUTE0, set } from '../support/validate-envoy-fixtures';

const SEED = 20261130;
const GENERATED = 300;

const headerNames = fc.oneof(fc.constantFrom(':path', ':authority', 'host', 'Host', 'x-ok', 'X-Mixed', 'a b', 'a\nb', '', 'x,y', 'ü', 'a:b', '\u0001x'), fc.string({ maxLength: 6 }));
const headerValues = fc.oneof(fc.constantFrom('50%', '%%', '%DOWNSTREAM_REMOTE_ADDRESS%', '%FOO%', '%REQ(x-id)%', '%REQ%', 'a\nb', '%START_TIME%', '%UPSTREAM_CLUSTER%', '%HOSTNAME%', '%a%', '%%%', '%ROUTE_NAME%', '%PROTOCOL%x'), fc.string({ maxLength: 8 }));
const regexes = fc.oneof(
  fc.constantFrom('(a', '[', 'a{1001}', '(a{100}){11}', '\\pL{3}', '\\pL{30}', 'a{1000}', '(?i)abc', '^/v[0-9]+$', '(?P<n>x)', 'a**', 'x{2}{3}', '\\Qa.b\\E', '[[:alpha:]]+', '(?<n>x)', 'a{,3}', '\\8', '.*'),
  fc.string({ unit: fc.constantFrom('a', 'b', '(', ')', '[', ']', '*', '+', '?', '{', '}', '1', '0', ',', '|', '\\', 'd', '.', '^', '$', '-', 'é'), maxLength: 10 }),
);
const durations = fc.constantFrom('-1s', '0s', '9223372036s', '9223372035s', '1.5s', '-0.000000001s', '0.000000001s', '315576000000s');
const numbers = fc.oneof(fc.constantFrom(-1, 0, 1, 99, 100, 101, 199, 200, 599, 600, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 32 - 1), fc.integer({ min: -5, max: 70000 }));

type Mutation = [string, Kind, (base: Obj) => Obj];

const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom('name', 'cluster', 'prefix'), fc.constant('')).map(([field]): Mutation => [`route: empty ${field}`, 'route', (b) => set(b, field === 'name' ? ['virtual_hosts', 0, 'name'] : field === 'cluster' ? [...ROUTE0, 'route', 'cluster'] : [...ROUTE0, 'match', 'prefix'], '')]),
  headerNames.map((name): Mutation => [`route: header matcher ${JSON.stringify(name)}`, 'route', (b) => set(b, [...ROUTE0, 'match', 'headers'], [{ name, present_match: true }])]),
  fc.tuple(headerNames, fc.boolean()).map(([name, add]): Mutation => [`route: ${add ? 'add' : 'remove'} header ${JSON.stringify(name)}`, 'route', (b) => set(b, [...ROUTE0, add ? 'request_headers_to_add' : 'request_headers_to_remove'], add ? [{ header: { key: name, value: 'v' } }] : [name])]),
  headerValues.map((value): Mutation => [`route: header value ${JSON.stringify(value)}`, 'route', (b) => set(b, [...ROUTE0, 'response_headers_to_add'], [{ header: { key: 'x-v', value } }])]),
  fc.tuple(fc.nat(9), fc.constantFrom('lower', 'upper', 'same', 'star', 'suffix')).map(([i, how]): Mutation => [`route: second host with ${how} domain ${i}`, 'route', (b) => {
    const domains = (get(b, ['virtual_hosts', 0, 'domains']) as string[]) ?? ['x'];
    const d = domains[i % domains.length] as string;
    const domain = how === 'lower' ? d.toLowerCase() : how === 'upper' ? d.toUpperCase() : how === 'star' ? '*' : how === 'suffix' ? `*${d.slice(1)}` : d;
    return set(b, ['virtual_hosts', (get(b, ['virtual_hosts']) as unknown[]).length], { name: 'second', domains: [domain], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] });
  }]),
  fc.tuple(regexes, fc.constantFrom('path', 'header', 'query', 'rewrite')).map(([regex, where]): Mutation => [`route: ${where} regex ${JSON.stringify(regex)}`, 'route', (b) => {
    if (where === 'path') return set(set(b, [...ROUTE0, 'match', 'prefix'], undefined), [...ROUTE0, 'match', 'safe_regex'], { regex });
    if (where === 'header') return set(b, [...ROUTE0, 'match', 'headers'], [{ name: 'x', string_match: { safe_regex: { regex } } }]);
    if (where === 'query') return set(b, [...ROUTE0, 'match', 'query_parameters'], [{ name: 'q', string_match: { safe_regex: { regex } } }]);
    return set(b, [...ROUTE0, 'route', 'regex_rewrite'], { pattern: { regex }, substitution: '/' });
  }]),
  durations.map((d): Mutation => [`route: timeout ${d}`, 'route', (b) => set(b, [...ROUTE0, 'route', 'timeout'], d)]),
  fc.tuple(numbers, fc.constantFrom('status', 'port_redirect', 'weight', 'num_retries')).map(([n, field]): Mutation => [`route: ${field} ${n}`, 'route', (b) => {
    if (field === 'status') return set(set(b, [...ROUTE0, 'route'], undefined), [...ROUTE0, 'direct_response'], { status: n });
    if (field === 'port_redirect') return set(set(b, [...ROUTE0, 'route'], undefined), [...ROUTE0, 'redirect'], { port_redirect: n });
    if (field === 'weight') return set(b, [...ROUTE0, 'route'], { weighted_clusters: { clusters: [{ name: 'a', weight: n }] } });
    return set(b, [...ROUTE0, 'route', 'retry_policy'], { num_retries: n });
  }]),
  fc.integer({ min: -1, max: 9 }).map((n): Mutation => [`route: redirect response_code ${n}`, 'route', (b) => set(set(b, [...ROUTE0, 'route'], undefined), [...ROUTE0, 'redirect'], { response_code: n })]),
  fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 })).map(([type, lb]): Mutation => [`cluster: type ${type} lb_policy ${lb}`, 'cluster', (b) => set(set(b, ['type'], type), ['lb_policy'], lb)]),
  fc.tuple(numbers, fc.constantFrom('max_ejection_percent', 'panic', 'max_connections', 'consecutive_5xx')).map(([n, field]): Mutation => [`cluster: ${field} ${n}`, 'cluster', (b) => {
    if (field === 'panic') return set(b, ['common_lb_config', 'healthy_panic_threshold', 'value'], n);
    if (field === 'max_connections') return set(b, ['circuit_breakers', 'thresholds'], [{ max_connections: n }]);
    return set(b, ['outlier_detection', field], n);
  }]),
  durations.map((d): Mutation => [`cluster: connect_timeout ${d}`, 'cluster', (b) => set(b, ['connect_timeout'], d)]),
  fc.constantFrom('10.0.0.1', 'pod.local', '::1', '[::1]', '1.2.3', '', '0.0.0.0').map((a): Mutation => [`cla: address ${JSON.stringify(a)}`, 'cla', (b) => set(b, ['endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address', 'socket_address', 'address'], a)]),
  fc.tuple(fc.array(fc.constantFrom('a.com', 'A.com', '*.a.com', '.a.com', 'b.*', 'c.com'), { maxLength: 3 }), fc.array(fc.constantFrom('a.com', 'c.com', '*.a.com'), { maxLength: 2 }), fc.constantFrom(0, 8, 32)).map(([one, two, len]): Mutation => [`listener: chains ${JSON.stringify(one)} and ${JSON.stringify(two)} /${len}`, 'listener', (b) => {
    const chain = get(b, ['filter_chains', 0]) as Obj;
    const match = (names: string[]) => ({ ...(names.length ? { server_names: names } : {}), prefix_ranges: [{ address_prefix: '10.1.2.3', prefix_len: len }] });
    return set(b, ['filter_chains'], [{ ...chain, filter_chain_match: match(one) }, { ...chain, filter_chain_match: match(two) }]);
  }]),
);

function generated(base: Record<Kind, Obj>): Candidate[] {
  return fc.sample(mutations, { seed: SEED, numRuns: GENERATED }).map(([label, kind, mutate]) => ({ label, kind, json: mutate(base[kind]) }));
}

test('on generated mutations the validator agrees with envoy --mode validate', { skip, timeout: 240_000 }, async (t) => {
  await assertAgreesWithEnvoy(t, generated(bases(goldenCandidates())));
});
