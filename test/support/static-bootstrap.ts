// What Mast would send a proxy, as one static Envoy bootstrap that `envoy --mode validate` can
// judge: Mast's own bootstrap for that proxy (src/bootstrap, so the runtime limits Envoy checks
// against are the ones proxies really start with) with the xDS resources made static. Envoy
// validates static resources with the same code as xDS ones (its config validation server
// instantiates listeners, route tables and clusters), so a bootstrap it accepts means an
// update it would ACK.
import assert from 'node:assert/strict';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { nodeId } from '../../src/proxy/node';
import type { EnvoyJson, NamedResource, ProxyClass, ResourceSet } from '../../src/translate/types';

/**
 * An EDS cluster as a STATIC one holding its ClusterLoadAssignment inline (Envoy checks the
 * endpoints' addresses as it would on EDS); any other cluster as it is.
 */
function inlineEndpoints(cluster: EnvoyJson, endpoints: readonly NamedResource[]): EnvoyJson {
  if (cluster.type !== 'EDS') return cluster;
  const { eds_cluster_config: eds, ...rest } = cluster as EnvoyJson & { eds_cluster_config?: { service_name?: string } };
  const name = eds?.service_name ?? (cluster.name as string);
  const cla = endpoints.find((e) => e.name === name)?.json ?? { cluster_name: name };
  return { ...rest, type: 'STATIC', load_assignment: cla };
}

/** The listener with every connection manager's `rds` replaced by the route table it names. */
function inlineRoutes(listener: EnvoyJson, routes: readonly NamedResource[]): EnvoyJson {
  return JSON.parse(JSON.stringify(listener), (key, value: unknown) => {
    if (key !== 'typed_config' || !value || typeof value !== 'object' || !('rds' in value)) return value;
    const { rds, ...rest } = value as { rds: { route_config_name: string } };
    const table = routes.find((r) => r.name === rds.route_config_name);
    assert.ok(table, `listener ${String(listener.name)} names route config ${rds.route_config_name}, which translation did not produce`);
    return { ...rest, route_config: table.json };
  }) as EnvoyJson;
}

/**
 * `set` (what translation or the view cache gives `proxy`) in the bootstrap `mast bootstrap`
 * writes for that proxy, with EDS clusters made STATIC (endpoints inline), RDS inlined into the
 * listeners, and no LDS/CDS subscriptions.
 */
export function staticBootstrap(set: ResourceSet, proxy: ProxyClass): EnvoyJson {
  const ip = proxy.ips[0] ?? '127.0.0.1';
  const base = buildBootstrap({
    nodeId: nodeId(proxy.role, ip, `validate.${proxy.namespace}`, proxy.namespace),
    xdsAddress: '127.0.0.1:15010',
    insecureXds: true,
    labels: proxy.labels,
    interceptionMode: proxy.interceptionMode,
    localAddress: proxy.localAddress,
    outboundAddress: proxy.outboundAddress,
  });
  assert.ok(!('error' in base), `bootstrap: ${String(base.error)}`);
  const { dynamic_resources: dynamic, static_resources: statics } = base as { dynamic_resources: EnvoyJson; static_resources: { clusters: EnvoyJson[] } };
  const { cds_config: _cds, lds_config: _lds, ...ads } = dynamic;
  return {
    ...base,
    dynamic_resources: ads,
    static_resources: {
      clusters: [...statics.clusters, ...set.clusters.map((c) => inlineEndpoints(c.json, set.endpoints))],
      listeners: set.listeners.map((l) => inlineRoutes(l.json, set.routes)),
    },
  };
}
