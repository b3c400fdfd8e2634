// Differential test: src/xds/validate's verdict on a resource against real Envoy's
// (`envoy --mode validate` on a static bootstrap holding it). Candidates are Mast's golden outputs,
// hand-written bad variants of them, and seeded fast-check mutations (empty strings, out-of-range
// numbers, bad enums, odd header names and values, duplicate and mixed-case domains, bad regexes,
// bad durations, addresses, filter chains). Envoy stops at the first error, so the candidates the
// validator accepts are validated together and the batch bisected when Envoy refuses it; those it
// refuses are run one by one (capped). A second part measures RE2 program sizes, which Envoy
// prints, against re2-size.ts's bound. Agreement is printed with t.diagnostic.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { REGEX_MAX_PROGRAM_SIZE, validateResource, type Violation } from '../../src/xds/validate';
import { re2Problem } from '../../src/model/validate/regex';
import { re2ProgramSize } from '../../src/xds/validate/re2-size';
import { envoyRuns, envoyValidate, refusedByEnvoy, skipWithoutEnvoy as skip } from '../support/envoy-validate';

const SEED = 20261130;
const GENERATED = 300;
const MAX_REFUSED_RUNS = 200;
/** Rules whose checks are knowingly stricter than Envoy (docs/envoy-validation.md). */
const CONSERVATIVE_RULES = new Set(['regex.program_size', 'route.header_format', 'cluster.protocol_options_name', 'regex.syntax']);

type Obj = Record<string, unknown>;
type Kind = 'route' | 'cluster' | 'cla' | 'listener';

interface Candidate {
  label: string;
  kind: Kind;
  json: Obj;
}

const TYPE_URLS: Record<Kind, string> = {
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  cla: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
};
const FILES: Record<Kind, string> = { route: 'routes', cluster: 'clusters', cla: 'endpoints', listener: 'listeners' };

function golden(): Candidate[] {
  const root = join(__dirname, '../golden');
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => (Object.keys(FILES) as Kind[]).flatMap((kind) => {
      const list = JSON.parse(readFileSync(join(root, d.name, 'expected', `${FILES[kind]}.json`), 'utf8')) as Obj[];
      return list.map((json, i) => ({ label: `golden ${d.name}/${FILES[kind]}[${i}]`, kind, json }));
    }));
}

/** A copy of `json` with the value at `path` replaced (or deleted for undefined); creates objects on the way. */
function set(json: Obj, path: (string | number)[], value: unknown): Obj {
  const copy = structuredClone(json);
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

function get(json: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), json);
}

const ROUTE0: (string | number)[] = ['virtual_hosts', 0, 'routes', 0];

// ---------------------------------------------------------------------- hand-written variants

function handWritten(base: Record<Kind, Obj>, http: Obj): Candidate[] {
  const r = base.route;
  const c = base.cluster;
  const l = http;
  const v: [string, Kind, Obj][] = [
    ['route: empty virtual host name', 'route', set(r, ['virtual_hosts', 0, 'name'], '')],
    ['route: no domains', 'route', set(r, ['virtual_hosts', 0, 'domains'], [])],
    ['route: duplicate domain in other case', 'route', set(r, ['virtual_hosts', 1], { ...(get(r, ['virtual_hosts', 0]) as Obj), name: 'copy', domains: [(get(r, ['virtual_hosts', 0, 'domains', 0]) as string).toUpperCase()] })],
    ['route: two * domains', 'route', set(set(r, ['virtual_hosts', 0, 'domains'], ['*']), ['virtual_hosts', 1], { name: 'b', domains: ['*'], routes: [] })],
    ['route: same virtual host name twice', 'route', set(r, ['virtual_hosts', 1], { ...(get(r, ['virtual_hosts', 0]) as Obj), domains: ['other.example'] })],
    ['route: header matcher :authority and host', 'route', set(r, [...ROUTE0, 'match', 'headers'], [{ name: ':authority', present_match: true }, { name: 'host', string_match: { exact: 'x' } }])],
    ['route: header matcher with empty name', 'route', set(r, [...ROUTE0, 'match', 'headers'], [{ name: '', present_match: true }])],
    ['route: empty prefix string matcher', 'route', set(r, [...ROUTE0, 'match', 'headers'], [{ name: 'x', string_match: { prefix: '' } }])],
    ['route: add host header', 'route', set(r, [...ROUTE0, 'request_headers_to_add'], [{ header: { key: 'Host', value: 'x' } }])],
    ['route: remove :path', 'route', set(r, [...ROUTE0, 'request_headers_to_remove'], [':path'])],
    ['route: header value 100%', 'route', set(r, [...ROUTE0, 'response_headers_to_add'], [{ header: { key: 'x-a', value: '100%' } }])],
    ['route: bad path regex', 'route', set(set(r, [...ROUTE0, 'match'], { safe_regex: { regex: '/(a' } }), [...ROUTE0, 'match', 'prefix'], undefined)],
    ['route: prefix and regex rewrite', 'route', set(r, [...ROUTE0, 'route'], { cluster: 'c', prefix_rewrite: '/x', regex_rewrite: { pattern: { regex: '^/a' }, substitution: '/b' } })],
    ['route: zero weights', 'route', set(r, [...ROUTE0, 'route'], { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] } })],
    ['route: weight missing', 'route', set(r, [...ROUTE0, 'route'], { weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'b' }] } })],
    ['route: negative timeout', 'route', set(r, [...ROUTE0, 'route', 'timeout'], '-1s')],
    ['route: direct response of 5000 bytes', 'route', set(set(r, [...ROUTE0, 'route'], undefined), [...ROUTE0, 'direct_response'], { status: 200, body: { inline_string: 'x'.repeat(5000) } })],
    ['route: direct response status 700', 'route', set(set(r, [...ROUTE0, 'route'], undefined), [...ROUTE0, 'direct_response'], { status: 700 })],
    ['route: fault abort 700', 'route', set(r, [...ROUTE0, 'typed_per_filter_config'], { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', abort: { http_status: 700, percentage: { numerator: 10 } } } })],
    ['route: fault without error type', 'route', set(r, [...ROUTE0, 'typed_per_filter_config'], { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', abort: { percentage: { numerator: 10 } } } })],
    ['route: cors bad origin regex', 'route', set(r, [...ROUTE0, 'typed_per_filter_config'], { 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy', allow_origin_string_match: [{ safe_regex: { regex: '*.example' } }] } })],
    ['route: mirror without cluster', 'route', set(r, [...ROUTE0, 'route', 'request_mirror_policies'], [{ runtime_fraction: { default_value: { numerator: 10 } } }])],
    ['route: retry back-off max below base', 'route', set(r, [...ROUTE0, 'route', 'retry_policy'], { retry_on: '5xx', retry_back_off: { base_interval: '1s', max_interval: '0.1s' } })],
    ['route: duplicate upgrade', 'route', set(r, [...ROUTE0, 'route', 'upgrade_configs'], [{ upgrade_type: 'websocket' }, { upgrade_type: 'WEBSOCKET' }])],
    ['route: prefix and path both set', 'route', set(r, [...ROUTE0, 'match', 'path'], '/x')],
    ['cluster: empty name', 'cluster', set(c, ['name'], '')],
    ['cluster: zero connect timeout', 'cluster', set(c, ['connect_timeout'], '0s')],
    ['cluster: EDS without eds config', 'cluster', set(set(c, ['type'], 'EDS'), ['eds_cluster_config'], undefined)],
    ['cluster: ORIGINAL_DST round robin', 'cluster', set(set(set(c, ['type'], 'ORIGINAL_DST'), ['eds_cluster_config'], undefined), ['lb_policy'], 'ROUND_ROBIN')],
    ['cluster: CLUSTER_PROVIDED on EDS', 'cluster', set(c, ['lb_policy'], 'CLUSTER_PROVIDED')],
    ['cluster: STATIC with hostname', 'cluster', { name: 'static-host', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'x', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'db.local', port_value: 5432 } } } }] }] } }],
    ['cluster: LOGICAL_DNS with two endpoints', 'cluster', { name: 'ldns', type: 'LOGICAL_DNS', connect_timeout: '1s', load_assignment: { cluster_name: 'x', endpoints: [{ lb_endpoints: [1, 2].map((n) => ({ endpoint: { address: { socket_address: { address: `h${n}.local`, port_value: 80 } } } })) }] } }],
    ['cluster: panic threshold 101', 'cluster', set(c, ['common_lb_config', 'healthy_panic_threshold', 'value'], 101)],
    ['cluster: unknown protocol options key', 'cluster', set(c, ['typed_extension_protocol_options'], { foo: { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } })],
    ['cluster: bind to hostname', 'cluster', set(c, ['upstream_bind_config'], { source_address: { address: 'localhost', port_value: 0 } })],
    ['cla: hostname endpoint', 'cla', set(base.cla, ['endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address', 'socket_address', 'address'], 'pod.local')],
    ['cla: port 70000', 'cla', set(base.cla, ['endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address', 'socket_address', 'port_value'], 70000)],
    ['cla: weight 0', 'cla', set(base.cla, ['endpoints', 0, 'lb_endpoints', 0, 'load_balancing_weight'], 0)],
    ['listener: hostname address', 'listener', set(l, ['address', 'socket_address', 'address'], 'localhost')],
    ['listener: duplicate filter chain', 'listener', set(l, ['filter_chains', 1], get(l, ['filter_chains', 0]))],
    ['listener: overlapping server names', 'listener', set(set(l, ['filter_chains', 0, 'filter_chain_match'], { server_names: ['a.example', 'B.example'] }), ['filter_chains', 1], { ...(get(l, ['filter_chains', 0]) as Obj), filter_chain_match: { server_names: ['b.example'] } })],
    ['listener: partial wildcard server name', 'listener', set(l, ['filter_chains', 0, 'filter_chain_match'], { server_names: ['example.*'] })],
    ['listener: router before fault', 'listener', set(l, ['filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters'], [...((get(l, ['filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters']) as Obj[]) ?? [])].reverse())],
    ['listener: empty stat prefix', 'listener', set(l, ['filter_chains', 0, 'filters', 0, 'typed_config', 'stat_prefix'], '')],
  ];
  return v.map(([label, kind, json]) => ({ label, kind, json }));
}

// ---------------------------------------------------------------------- generated variants

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

// ---------------------------------------------------------------------- the static bootstrap

const XDS = 'xds-grpc';

function bootstrap(cands: readonly Candidate[], limit: number): Obj {
  const clusters: Obj[] = [{ name: XDS, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: XDS, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 1 } } } }] }] }, typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } } }];
  const listeners: Obj[] = [];
  const rename = (name: unknown, i: number) => (typeof name === 'string' && name !== '' ? `${name}~${i}` : name);
  cands.forEach((c, i) => {
    if (c.kind === 'cluster') clusters.push({ ...c.json, name: rename(c.json.name, i) });
    else if (c.kind === 'cla') clusters.push({ name: `cla~${i}`, type: 'STATIC', connect_timeout: '1s', load_assignment: c.json });
    else if (c.kind === 'route') {
      listeners.push({
        name: `route~${i}`,
        address: { socket_address: { address: '127.0.0.1', port_value: 20000 + i } },
        filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: 'validate',
          // RDS tables do not check cluster names (validate_clusters defaults to false for RDS).
          route_config: { validate_clusters: false, ...c.json },
          http_filters: ['cors.v3.Cors', 'fault.v3.HTTPFault', 'router.v3.Router'].map((t) => ({ name: `envoy.filters.http.${t.split('.')[0]}`, typed_config: { '@type': `type.googleapis.com/envoy.extensions.filters.http.${t}` } })),
        } }] }],
      });
    } else {
      const port = get(c.json, ['address', 'socket_address', 'port_value']);
      listeners.push(set({ ...c.json, name: rename(c.json.name, i) }, ['address', 'socket_address', 'port_value'], port === undefined ? undefined : 30000 + i));
    }
  });
  return {
    node: { id: 'sidecar~127.0.0.1~validate.default~default.svc.cluster.local', cluster: 'mast-validate' },
    dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: XDS } }] } },
    static_resources: { clusters, listeners },
    layered_runtime: { layers: [{ name: 'mast', static_layer: { 're2.max_program_size.error_level': limit } }] },
  };
}

test('the validator agrees with envoy --mode validate', { skip, timeout: 240_000 }, async (t) => {
  const all = golden();
  const base = {
    route: (all.find((c) => c.kind === 'route' && (get(c.json, ['virtual_hosts', 0, 'routes', 0, 'route']) !== undefined)) as Candidate).json,
    cluster: (all.find((c) => c.kind === 'cluster' && c.json.type === 'EDS') as Candidate).json,
    cla: (all.find((c) => c.kind === 'cla' && get(c.json, ['endpoints', 0, 'lb_endpoints', 0]) !== undefined) as Candidate).json,
    listener: (all.find((c) => c.kind === 'listener' && get(c.json, ['filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters']) !== undefined) as Candidate).json,
  } as Record<Kind, Obj>;
  const candidates = [...all, ...handWritten(base, base.listener), ...generated(base)];
  const limit = REGEX_MAX_PROGRAM_SIZE;
  const verdicts = new Map<Candidate, Violation[]>(candidates.map((c) => [c, validateResource(TYPE_URLS[c.kind], c.json, { regexMaxProgramSize: limit })]));
  const accepted = candidates.filter((c) => verdicts.get(c)?.length === 0);
  const allRefused = candidates.filter((c) => (verdicts.get(c)?.length ?? 0) > 0);
  const refused = allRefused.slice(0, MAX_REFUSED_RUNS);

  const runsBefore = envoyRuns();
  const missed = await refusedByEnvoy(accepted, (group) => bootstrap(group, limit));
  const envoyOnRefused = await Promise.all(refused.map((c) => envoyValidate(bootstrap([c], limit))));
  const runs = envoyRuns() - runsBefore;
  const stricter = refused.filter((_, i) => envoyOnRefused[i]?.ok);

  const checked = accepted.length + refused.length;
  const agree = checked - missed.size - stricter.length;
  t.diagnostic(`${checked} resources checked (${accepted.length} accepted, ${refused.length} of ${allRefused.length} refused by the validator; ${runs} Envoy runs): agreement ${agree}/${checked} = ${((100 * agree) / checked).toFixed(1)}%`);
  // Envoy prints its first error; where it is one of ours, the wording matches.
  const worded = refused.filter((c, i) => !envoyOnRefused[i]?.ok && (verdicts.get(c) ?? []).some((v) => envoyOnRefused[i]?.output.includes(v.message)));
  t.diagnostic(`Envoy's message contains one of the validator's messages verbatim for ${worded.length} of ${refused.length - stricter.length} resources both refuse`);
  for (const [c, output] of missed) t.diagnostic(`MISSED (Envoy refuses, validator accepts) ${c.label}: ${output.replace(/\s+/g, ' ').slice(-300)}`);
  for (const c of stricter) t.diagnostic(`stricter than Envoy: ${c.label}: ${JSON.stringify(verdicts.get(c))}`);

  assert.deepEqual([...missed.keys()].map((c) => c.label), [], 'the validator let through resources Envoy refuses');
  for (const c of stricter) {
    const rules = (verdicts.get(c) ?? []).map((v) => v.rule);
    assert.ok(rules.every((r) => CONSERVATIVE_RULES.has(r)), `${c.label}: refused by ${rules.join(', ')}, which should agree with Envoy`);
  }
  assert.ok(all.every((c) => verdicts.get(c)?.length === 0), 'golden outputs pass the validator');
});

test('RE2 program sizes never exceed the bound of re2-size.ts', { skip, timeout: 120_000 }, async (t) => {
  const patterns = [
    ...['a', '.', '.*', '[^a]', '\\pL', '\\p{Greek}', '(?i)[a-z]+', '^/api/v[0-9]+/.*$', '(?:a*b*)*', '(a{100}){10}', '[\\p{L}\\d_-]{1,20}', '(?i)straße', 'x\\by', '(?s).{3,7}?'],
    ...fc.sample(fc.string({ unit: fc.constantFrom('a', 'b', 'é', 'ß', 'k', '(', ')', '*', '+', '?', '{2}', '{1,3}', '|', '.', '[a-z]', '[^/]', '\\d', '\\w', '\\pN', '^', '$', '(?:', '(?i)'), minLength: 1, maxLength: 12 }), { seed: SEED, numRuns: 500 }),
  ].filter((p) => re2Problem(p) === undefined && 'size' in re2ProgramSize(p));
  const results = await Promise.all(patterns.map(async (regex) => {
    const route = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { safe_regex: { regex } }, direct_response: { status: 200 } }] }] };
    // With a limit of 0 Envoy refuses every regex, saying its program size.
    const { output } = await envoyValidate(bootstrap([{ label: regex, kind: 'route', json: route }], 0));
    const actual = /RE2 program size of (\d+)/.exec(output)?.[1];
    return { regex, actual: actual === undefined ? undefined : Number(actual), bound: (re2ProgramSize(regex) as { size: number }).size, output };
  }));
  const measured = results.filter((r) => r.actual !== undefined);
  const ratios = measured.map((r) => r.bound / (r.actual as number));
  for (const r of results.filter((x) => x.actual === undefined)) t.diagnostic(`no size for ${JSON.stringify(r.regex)}: ${r.output.slice(-200)}`);
  t.diagnostic(`${measured.length} regexes measured (${results.length - measured.length} without a size); bound/actual ratio min ${Math.min(...ratios).toFixed(2)}, median ${ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)]?.toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}`);
  const atDefault = measured.filter((r) => (r.actual as number) <= 100);
  t.diagnostic(`at Envoy's default limit of 100: ${atDefault.filter((r) => r.bound > 100).length} of ${atDefault.length} regexes within it would be refused by the bound`);
  assert.ok(measured.length > patterns.length / 2, 'most patterns measured');
  for (const r of measured) assert.ok(r.bound >= (r.actual as number), `${r.regex}: bound ${r.bound} < RE2's ${r.actual}`);
});
