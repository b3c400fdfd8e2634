// The fleet bench's comparison (bench/lib/fleet-compare.ts) on config Mast's translation makes, laid
// out as Envoy's /config_dump lays it out: the same config compares equal, and each kind of
// difference the bench exists to catch is named by resource and field.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { compare, type MastDump } from '../../bench/lib/fleet-compare';
import { snapshotOfDir, writeMesh } from '../../bench/mesh-gen';
import { META, nodeId, proxyFromNode } from '../../src/proxy/node';
import { translate } from '../../src/translate';
import { TYPE_URLS } from '../../src/translate/types';

type Json = Record<string, unknown>;

function mastDump(): MastDump {
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-fleet-compare-'));
  try {
    writeMesh(dir, 12);
    const { snapshot } = snapshotOfDir(dir);
    const proxy = proxyFromNode(nodeId('sidecar', '127.66.201.1', 'fleet-000.default', 'default'), {
      [META.namespace]: 'default',
      [META.interceptionMode]: 'NONE',
      [META.localAddress]: '127.66.202.1',
      [META.outboundAddress]: '127.66.203.1',
    });
    if ('error' in proxy) throw new Error(proxy.error);
    return { generation: 1, ...translate(snapshot, proxy) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What Envoy's `/config_dump?include_eds` shows after accepting `m`. */
function envoyDumpOf(m: MastDump): Json[] {
  const copy = <T>(x: T): T => structuredClone(x);
  const dump = 'type.googleapis.com/envoy.admin.v3.';
  return [
    { '@type': `${dump}ClustersConfigDump`, dynamic_active_clusters: m.clusters.map((c) => ({ version_info: '1', cluster: { '@type': TYPE_URLS.cluster, ...copy(c.json) } })) },
    { '@type': `${dump}ListenersConfigDump`, dynamic_listeners: m.listeners.map((l) => ({ name: l.name, active_state: { listener: { '@type': TYPE_URLS.listener, ...copy(l.json) } } })) },
    { '@type': `${dump}RoutesConfigDump`, dynamic_route_configs: m.routes.map((r) => ({ route_config: { '@type': TYPE_URLS.route, ...copy(r.json) } })) },
    { '@type': `${dump}EndpointsConfigDump`, dynamic_endpoint_configs: m.endpoints.map((e) => ({ endpoint_config: { '@type': TYPE_URLS.endpoint, ...copy(e.json) } })) },
  ];
}

const sectionOf = (configs: Json[], type: string, list: string): Json[] => configs.find((c) => String(c['@type']).endsWith(type))![list] as Json[];

test('the same config compares equal, resource by resource', () => {
  const m = mastDump();
  const c = compare(envoyDumpOf(m), m);
  assert.deepEqual(c.differences, []);
  assert.equal(c.clusters, m.clusters.length);
  assert.equal(c.listeners, m.listeners.length);
  assert.equal(c.routes, m.routes.length);
  assert.equal(c.endpointConfigs, m.endpoints.length);
  assert.ok(c.clusters > 12 && c.endpoints >= 36, `a 12-service mesh: ${JSON.stringify(c)}`);
});

test('a field that differs is named by resource and path; a default written out is no difference', () => {
  const m = mastDump();
  const held = envoyDumpOf(m);
  const routes = sectionOf(held, 'RoutesConfigDump', 'dynamic_route_configs');
  const vhost = ((routes[0]!['route_config'] as Json)['virtual_hosts'] as Json[]).find((v) => JSON.stringify(v).includes('weighted_clusters'))!;
  const weighted = ((((vhost['routes'] as Json[])[0]!['route'] as Json)['weighted_clusters'] as Json)['clusters'] as Json[]);
  weighted[0]!['weight'] = 50;
  const clusters = sectionOf(held, 'ClustersConfigDump', 'dynamic_active_clusters');
  const [sentCluster, heldCluster] = [m.clusters[0]!.json as Json, clusters[0]!['cluster'] as Json];
  sentCluster['common_lb_config'] = { healthy_panic_threshold: { value: 0 } };
  heldCluster['common_lb_config'] = { healthy_panic_threshold: {} };
  const diff = compare(held, m).differences;
  assert.equal(diff.length, 1, diff.join('\n'));
  assert.match(diff[0]!, new RegExp(`^route ${m.routes[0]!.name}: virtual_hosts\\[\\d+\\]\\.routes\\[0\\]\\.route\\.weighted_clusters\\.clusters\\[0\\]\\.weight\\.value: Mast sent \\d+, Envoy holds 50$`));

  // An empty message present is not the message absent.
  delete heldCluster['common_lb_config'];
  assert.match(compare(held, m).differences.join('\n'), new RegExp(`cluster ${m.clusters[0]!.name.replace(/\|/g, '\\|')}: common_lb_config`));
});

test('missing, extra, refused and moved resources are each named', () => {
  const m = mastDump();
  const held = envoyDumpOf(m);
  const clusters = sectionOf(held, 'ClustersConfigDump', 'dynamic_active_clusters');
  const gone = clusters.pop()!;
  clusters.push({ cluster: { '@type': TYPE_URLS.cluster, name: 'only-in-envoy' } });
  const listeners = sectionOf(held, 'ListenersConfigDump', 'dynamic_listeners');
  listeners[0]!['error_state'] = { details: 'cannot bind' };
  const eds = sectionOf(held, 'EndpointsConfigDump', 'dynamic_endpoint_configs');
  const cla = eds[0]!['endpoint_config'] as Json;
  const lb = ((cla['endpoints'] as Json[])[0]!['lb_endpoints'] as Json[])[0]!;
  ((lb['endpoint'] as Json)['address'] as { socket_address: Json }).socket_address['address'] = '10.9.9.9';
  const diff = compare(held, m).differences.join('\n');
  assert.match(diff, new RegExp(`cluster ${String((gone['cluster'] as Json)['name']).replace(/\|/g, '\\|')}: sent by Mast, not in Envoy`));
  assert.match(diff, /cluster only-in-envoy: in Envoy, not sent by Mast/);
  assert.match(diff, new RegExp(`listener ${m.listeners[0]!.name}: refused \\("cannot bind"\\)`));
  assert.match(diff, /endpoints .*: Mast sent \[.*\], Envoy holds \[.*10\.9\.9\.9:9080.*\]/);
});
