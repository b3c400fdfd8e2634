// What Mast would send a proxy, as one static Envoy bootstrap that `envoy --mode validate` can
// judge: Mast's own bootstrap for that proxy (src/bootstrap, so the runtime limits Envoy checks
// against are the ones proxies really start with) with the xDS resources made static. Envoy
// validates static resources with the same code as xDS ones (its config validation server
// instantiates listeners, route tables and clusters), so a bootstrap it accepts means an
// update it would ACK. Secrets fetched over ADS are the exception: Envoy's validation server
// crashes on them in static resources (validation-secrets.ts), so they become static secrets.
import assert from 'node:assert/strict';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { nodeId } from '../../src/proxy/node';
import type { EnvoyJson, NamedResource, ProxyClass, ResourceSet } from '../../src/translate/types';
import type { ValidationSecrets } from './validation-secrets';

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
 * The listener with every filter that discovers its config over ECDS (`config_discovery`) given
 * the TypedExtensionConfig of that name inline, as Envoy would once ECDS delivers it; the config's
 * type must be one the filter accepts (Envoy refuses an ECDS update of another type).
 */
function inlineExtensionConfigs(listener: EnvoyJson, configs: readonly NamedResource[]): EnvoyJson {
  return JSON.parse(JSON.stringify(listener), (_key, value: unknown) => {
    if (!value || typeof value !== 'object' || !('config_discovery' in value)) return value;
    const { config_discovery: discovery, ...filter } = value as { name: string; config_discovery: { type_urls: string[] } };
    const config = configs.find((c) => c.name === filter.name)?.json as { typed_config: { '@type': string } } | undefined;
    assert.ok(config, `listener ${String(listener.name)} discovers ${filter.name}, which no extension config supplies`);
    assert.ok(discovery.type_urls.includes(config.typed_config['@type']), `extension config ${filter.name} is a ${config.typed_config['@type']}, which its filter does not accept`);
    return { ...filter, typed_config: config.typed_config };
  }) as EnvoyJson;
}

type SecretKind = 'tls_certificate' | 'validation_context';

/** What stands in for a file a translated resource names, by the field naming it. */
const FILE_STAND_INS = new Map<string, (pem: ValidationSecrets) => string>([
  ['certificate_chain', (pem) => pem.workloadChain],
  ['private_key', (pem) => pem.workloadKey],
  ['trusted_ca', (pem) => pem.rootCa],
]);

/**
 * `resource` with every SDS secret it names by name alone (a static secret), each name noted in
 * `names` with what it must hold: a certificate, or a trust bundle; and every certificate, key or
 * CA file it names replaced by `pem`'s (their paths are the proxy host's, not this one's).
 */
function staticSecretRefs(resource: EnvoyJson, names: Map<string, SecretKind>, pem: ValidationSecrets): EnvoyJson {
  const byName = (kind: SecretKind) => (ref: { name: string }) => {
    names.set(ref.name, kind);
    return { name: ref.name };
  };
  return JSON.parse(JSON.stringify(resource), (key, value: unknown) => {
    if (key === 'tls_certificate_sds_secret_configs') return (value as { name: string }[]).map(byName('tls_certificate'));
    if (key === 'validation_context_sds_secret_config') return byName('validation_context')(value as { name: string });
    // Files on the proxy's host (a DestinationRule's clientCertificate, privateKey,
    // caCertificates): Envoy reads them when it loads the resource, and this host has none.
    const file = (value as { filename?: unknown } | null)?.filename;
    const standIn = FILE_STAND_INS.get(key);
    if (typeof file === 'string' && standIn) return { inline_string: standIn(pem) };
    return value;
  }) as EnvoyJson;
}

function staticSecret(name: string, kind: SecretKind, pem: ValidationSecrets): EnvoyJson {
  return kind === 'tls_certificate'
    ? { name, tls_certificate: { certificate_chain: { inline_string: pem.workloadChain }, private_key: { inline_string: pem.workloadKey } } }
    : { name, validation_context: { trusted_ca: { inline_string: pem.rootCa } } };
}

/**
 * `set` (what translation or the view cache gives `proxy`) in the bootstrap `mast bootstrap`
 * writes for that proxy, with EDS clusters made STATIC (endpoints inline), RDS and ECDS inlined into the
 * listeners, SDS secrets static (`secrets`), and no LDS/CDS subscriptions.
 */
export function staticBootstrap(set: ResourceSet, proxy: ProxyClass, secrets: ValidationSecrets): EnvoyJson {
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
  const names = new Map<string, SecretKind>();
  const clusters = set.clusters.map((c) => staticSecretRefs(inlineEndpoints(c.json, set.endpoints), names, secrets));
  const listeners = set.listeners.map((l) => staticSecretRefs(inlineExtensionConfigs(inlineRoutes(l.json, set.routes), set.extensionConfigs ?? []), names, secrets));
  return {
    ...base,
    dynamic_resources: ads,
    static_resources: {
      clusters: [...statics.clusters, ...clusters],
      listeners,
      secrets: [...names].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, kind]) => staticSecret(name, kind, secrets)),
    },
  };
}
