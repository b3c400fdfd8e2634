// Fixtures shared by the differential tests of src/xds/validate against real Envoy
// (test/xds/validate-envoy-*.test.ts): resources as candidates, JSON editing, the static bootstrap
// Envoy validates them in, and the agreement check itself.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { REGEX_MAX_PROGRAM_SIZE, validateResource, type Violation } from '../../src/xds/validate';
import { envoyRuns, envoyValidate, refusedByEnvoy } from './envoy-validate';
import { GOLDEN_FILES, goldenResources, type Kind } from './validate-fixtures';

export type { Kind };
export type Obj = Record<string, unknown>;

/** A resource to put before both judges. */
export interface Candidate {
  label: string;
  kind: Kind;
  json: Obj;
}

/** How many resources the validator refuses are run through Envoy, one run each. */
const MAX_REFUSED_RUNS = 200;
/** Rules whose checks are knowingly stricter than Envoy (docs/envoy-validation.md). */
const CONSERVATIVE_RULES = new Set(['regex.program_size', 'route.header_format', 'cluster.protocol_options_name', 'regex.syntax']);

const typeUrl = (kind: Kind) => `type.googleapis.com/${GOLDEN_FILES[kind].type}`;

/** Mast's golden outputs as candidates. */
export function goldenCandidates(): Candidate[] {
  return goldenResources().map((g) => ({ label: `golden ${g.where}`, kind: g.kind, json: g.json }));
}

/** One golden resource of each kind to vary: a route table with a route action, an EDS cluster, a non-empty assignment, an HTTP listener. */
export function bases(golden: readonly Candidate[]): Record<Kind, Obj> {
  const pick = (kind: Kind, ok: (json: Obj) => boolean) => (golden.find((c) => c.kind === kind && ok(c.json)) as Candidate).json;
  return {
    route: pick('route', (j) => get(j, ['virtual_hosts', 0, 'routes', 0, 'route']) !== undefined),
    cluster: pick('cluster', (j) => j.type === 'EDS'),
    cla: pick('cla', (j) => get(j, ['endpoints', 0, 'lb_endpoints', 0]) !== undefined),
    listener: pick('listener', (j) => get(j, ['filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters']) !== undefined),
  };
}

/** A copy of `json` with the value at `path` replaced (or deleted for undefined); creates objects on the way. */
export function set(json: Obj, path: (string | number)[], value: unknown): Obj {
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

/** The value at `path`, or undefined. */
export function get(json: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), json);
}

/** The path of the first route of the first virtual host. */
export const ROUTE0: (string | number)[] = ['virtual_hosts', 0, 'routes', 0];

const XDS = 'xds-grpc';

/**
 * One static bootstrap holding `cands`: route tables inline in listeners (as RDS, with
 * validate_clusters false), clusters as they are (renamed apart), assignments in STATIC clusters,
 * listeners on their own ports; `limit` is re2.max_program_size.error_level.
 */
export function bootstrap(cands: readonly Candidate[], limit: number): Obj {
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
  // A tracer's collector cluster is checked when Envoy loads the listener (the ADS stream sends it
  // beside, as CDS comes before LDS); the clusters above are renamed apart, so each gets a stand-in.
  const named = new Set(clusters.map((c) => c.name));
  for (const name of collectorClusters(listeners)) {
    if (!named.has(name)) clusters.push({ name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [] } });
    named.add(name);
  }
  return {
    node: { id: 'sidecar~127.0.0.1~validate.default~default.svc.cluster.local', cluster: 'mast-validate' },
    dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: XDS } }] } },
    static_resources: { clusters, listeners },
    layered_runtime: { layers: [{ name: 'mast', static_layer: { 're2.max_program_size.error_level': limit } }] },
  };
}

/** The clusters tracers in `json` name: Zipkin's collector_cluster, OpenTelemetry's grpc_service cluster. */
function collectorClusters(json: unknown): string[] {
  if (Array.isArray(json)) return json.flatMap(collectorClusters);
  if (typeof json !== 'object' || json === null) return [];
  const o = json as Obj;
  const own = typeof o.collector_cluster === 'string' ? [o.collector_cluster] : [];
  const otel = o['@type'] === 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig' ? [get(o, ['grpc_service', 'envoy_grpc', 'cluster_name'])].filter((n): n is string => typeof n === 'string') : [];
  return [...own, ...otel, ...Object.values(o).flatMap(collectorClusters)];
}

/**
 * Puts `candidates` before the validator and `envoy --mode validate`: those the validator accepts
 * go to Envoy together (bisected when refused), those it refuses one by one (at most 200). Asserts
 * Envoy refuses nothing the validator accepts, and that wherever the validator is stricter the rule
 * is one knowingly conservative; prints the agreement with `t.diagnostic`. Gives the validator's
 * verdict on each candidate.
 */
export async function assertAgreesWithEnvoy(t: TestContext, candidates: readonly Candidate[]): Promise<Map<Candidate, Violation[]>> {
  const limit = REGEX_MAX_PROGRAM_SIZE;
  const verdicts = new Map<Candidate, Violation[]>(candidates.map((c) => [c, validateResource(typeUrl(c.kind), c.json, { regexMaxProgramSize: limit })]));
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
  return verdicts;
}
