// Whether a real Envoy holds what Mast says it sent it: Envoy's own `/config_dump?include_eds`
// against Mast's `/debug/config_dump?proxy=ID`, resource by resource. Clusters, listeners and
// route configurations are compared whole, as protobuf: both JSON forms are encoded with Mast's
// own encoder (src/xds/encode.ts) and decoded again, so spelling differences of proto3 JSON
// (durations, 64-bit integers, map order, Any) do not count and any field that differs does.
// Endpoints are compared by address: Envoy's EDS dump is rebuilt from the hosts it loaded
// (envoy source/common/upstream/cluster_manager_impl.cc, dumpEndpointConfigs), not the message
// it was sent, so addresses are what both sides can be asked for.
import * as protobuf from 'protobufjs';
import type { Envoy } from '../../e2e/harness/envoy';
import { get } from '../../e2e/harness/net';
import { resourceTypes } from '../../src/envoy-api/protos';
import { encodeMessage } from '../../src/xds/encode';
import type { NamedResource, ResourceSet } from '../../src/translate/types';

/** What Mast's `/debug/config_dump?proxy=ID` answers (src/admin/server.ts). */
export type MastDump = ResourceSet & { generation: number };

type Json = Record<string, unknown>;

/** How many resources of each kind the two sides agree on, and every difference by name. */
export interface Comparison {
  clusters: number;
  listeners: number;
  routes: number;
  endpointConfigs: number;
  /** Endpoints (lb_endpoints) over every ClusterLoadAssignment Mast sent. */
  endpoints: number;
  differences: string[];
}

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTE = 'envoy.config.route.v3.RouteConfiguration';

/** Envoy's `/config_dump` with the EDS section (admin docs: `include_eds`). */
export async function envoyDump(envoy: Envoy): Promise<Json[]> {
  const r = await get(`${envoy.adminUrl}/config_dump?include_eds`, { timeoutMs: 60_000 });
  if (r.status !== 200) throw new Error(`envoy ${envoy.name} /config_dump: ${r.status}`);
  return (JSON.parse(r.text) as { configs: Json[] }).configs;
}

function section(configs: Json[], type: string): Json {
  return configs.find((c) => String(c['@type']).endsWith(`.${type}`)) ?? {};
}

const list = (s: Json, key: string): Json[] => (s[key] as Json[] | undefined) ?? [];

/** Compares one Envoy's dump with what Mast sent it; `differences` name resource and field. */
export function compare(envoyConfigs: Json[], mast: MastDump): Comparison {
  const differences: string[] = [];
  const clusters = section(envoyConfigs, 'ClustersConfigDump');
  const listeners = section(envoyConfigs, 'ListenersConfigDump');
  const routes = section(envoyConfigs, 'RoutesConfigDump');
  const eds = section(envoyConfigs, 'EndpointsConfigDump');

  for (const w of list(clusters, 'dynamic_warming_clusters')) differences.push(`cluster ${(w['cluster'] as Json)['name']}: still warming`);
  const sameClusters = sameResources('cluster', CLUSTER, mast.clusters, list(clusters, 'dynamic_active_clusters').map((c) => c['cluster'] as Json), differences);

  const activeListeners: Json[] = [];
  for (const l of list(listeners, 'dynamic_listeners')) {
    const name = String(l['name']);
    if (l['warming_state']) differences.push(`listener ${name}: still warming`);
    if (l['error_state']) differences.push(`listener ${name}: refused (${JSON.stringify((l['error_state'] as Json)['details'])})`);
    const active = (l['active_state'] as Json | undefined)?.['listener'] as Json | undefined;
    if (active) activeListeners.push(active);
  }
  const sameListeners = sameResources('listener', LISTENER, mast.listeners, activeListeners, differences);
  const sameRoutes = sameResources('route', ROUTE, mast.routes, list(routes, 'dynamic_route_configs').map((r) => r['route_config'] as Json), differences);
  const { configs, endpoints } = sameEndpoints(mast.endpoints, list(eds, 'dynamic_endpoint_configs').map((e) => e['endpoint_config'] as Json), differences);
  for (const e of mast.extensionConfigs ?? []) differences.push(`extension config ${e.name}: sent by Mast, not compared (no ECDS expected on this mesh)`);
  return { clusters: sameClusters, listeners: sameListeners, routes: sameRoutes, endpointConfigs: configs, endpoints, differences };
}

/** Names on one side only, and resources whose protobuf differs; returns how many are the same. */
function sameResources(kind: string, typeName: string, sent: readonly NamedResource[], held: readonly Json[], differences: string[]): number {
  const heldByName = new Map(held.map((r) => [String(r['name']), r]));
  let same = 0;
  for (const r of sent) {
    const h = heldByName.get(r.name);
    heldByName.delete(r.name);
    if (!h) {
      differences.push(`${kind} ${r.name}: sent by Mast, not in Envoy`);
      continue;
    }
    const diff = protoDifference(typeName, r.json, h);
    if (diff) differences.push(`${kind} ${r.name}: ${diff}`);
    else same++;
  }
  for (const name of heldByName.keys()) differences.push(`${kind} ${name}: in Envoy, not sent by Mast`);
  return same;
}

/** The first field where two proto3 JSON forms of one message differ, or undefined. */
function protoDifference(typeName: string, sent: unknown, held: unknown): string | undefined {
  let a: Uint8Array;
  let b: Uint8Array;
  // Envoy's dump names each resource's type inline, as an Any's JSON form does.
  const { '@type': _, ...heldMessage } = held as Json;
  try {
    a = encodeMessage(typeName, sent);
    b = encodeMessage(typeName, heldMessage);
  } catch (err) {
    return `cannot encode (${(err as Error).message})`;
  }
  if (Buffer.from(a).equals(Buffer.from(b))) return undefined;
  return firstDifference(canonical(typeName, a), canonical(typeName, b), '') ?? undefined;
}

const TYPE_PREFIX = 'type.googleapis.com/';

/**
 * The decoded message with every Any unpacked, so map order inside Any bytes does not count, and
 * with proto3 defaults filled in: a scalar field set to its default is the same message whether it
 * was written out (Mast's `{value: 0}`) or not (Envoy's `{}`); a message field's presence still counts.
 */
function canonical(typeName: string, bytes: Uint8Array): unknown {
  const type = resourceTypes().lookupType(typeName);
  return unpack(type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, defaults: true }));
}

function unpack(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unpack);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Json;
  if (typeof o['type_url'] === 'string' && typeof o['value'] === 'string' && o['type_url'].startsWith(TYPE_PREFIX)) {
    const inner = o['type_url'].slice(TYPE_PREFIX.length);
    if (resourceTypes().lookup(inner) instanceof protobuf.Type) return { '@type': inner, ...(canonical(inner, Buffer.from(o['value'], 'base64')) as Json) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unpack(x)]));
}

/** `path: Mast X, Envoy Y` at the first difference of two decoded messages; null when equal. */
function firstDifference(sent: unknown, held: unknown, path: string): string | null {
  if (typeof sent !== 'object' || typeof held !== 'object' || sent === null || held === null) {
    return sent === held ? null : `${path || '(root)'}: Mast sent ${JSON.stringify(sent)}, Envoy holds ${JSON.stringify(held)}`;
  }
  const keys = new Set([...Object.keys(sent), ...Object.keys(held)]);
  for (const k of [...keys].sort()) {
    const d = firstDifference((sent as Json)[k], (held as Json)[k], Array.isArray(sent) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
    if (d) return d;
  }
  return null;
}

/** `host:port` of every lb_endpoint of a ClusterLoadAssignment, sorted. */
function addresses(cla: Json): string[] {
  const out: string[] = [];
  for (const group of (cla['endpoints'] as Json[] | undefined) ?? []) {
    for (const lb of (group['lb_endpoints'] as Json[] | undefined) ?? []) {
      const sa = ((lb['endpoint'] as Json | undefined)?.['address'] as Json | undefined)?.['socket_address'] as Json | undefined;
      out.push(`${sa?.['address']}:${sa?.['port_value']}`);
    }
  }
  return out.sort();
}

/**
 * Every ClusterLoadAssignment Mast sent against the hosts Envoy loaded for that cluster. Envoy
 * also dumps the hosts of clusters that carry their own load_assignment (STATIC, ORIGINAL_DST
 * ones), which Mast sends no CLA for: those are the clusters' business, compared above.
 */
function sameEndpoints(sent: readonly NamedResource[], held: readonly Json[], differences: string[]): { configs: number; endpoints: number } {
  const heldByName = new Map(held.map((c) => [String(c['cluster_name']), c]));
  let configs = 0;
  let endpoints = 0;
  for (const r of sent) {
    const h = heldByName.get(r.name);
    if (!h) {
      differences.push(`endpoints ${r.name}: sent by Mast, no such EDS cluster in Envoy`);
      continue;
    }
    const want = addresses(r.json as Json);
    const have = addresses(h);
    if (want.join() !== have.join()) differences.push(`endpoints ${r.name}: Mast sent [${want.join(', ')}], Envoy holds [${have.join(', ')}]`);
    else {
      configs++;
      endpoints += want.length;
    }
  }
  return { configs, endpoints };
}
