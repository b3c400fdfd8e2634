// Small builders for translate unit tests: YAML in, the pieces of Envoy config a test looks at out.
import assert from 'node:assert/strict';
import { snapshotFromYaml, type Snapshot } from '../../src/model';
import { translate } from '../../src/translate';
import type { EnvoyJson, ProxyClass, ResourceSet } from '../../src/translate/types';

export function mesh(...docs: string[]): Snapshot {
  const { snapshot, diagnostics } = snapshotFromYaml(docs.join('\n---\n'), 'test.yaml');
  assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.field ?? ''} ${d.message}`), []);
  return snapshot;
}

export function sidecar(overrides: Partial<ProxyClass> = {}): ProxyClass {
  return {
    role: 'sidecar',
    namespace: 'default',
    labels: { app: 'productpage' },
    ips: ['127.0.1.1'],
    interceptionMode: 'REDIRECT',
    localAddress: '127.0.0.1',
    outboundAddress: '0.0.0.0',
    ...overrides,
  };
}

export function router(overrides: Partial<ProxyClass> = {}): ProxyClass {
  return sidecar({ role: 'router', namespace: 'istio-system', labels: { istio: 'ingressgateway' }, ips: ['127.0.4.1'], ...overrides });
}

export function service(name: string, namespace = 'default', ports = '[{name: http, port: 9080}]', extra = ''): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports: ${ports}
${extra}`;
}

export function virtualService(name: string, namespace: string, spec: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec.replace(/^/gm, '  ')}`;
}

function named(list: ResourceSet['clusters'], name: string): EnvoyJson {
  const found = list.find((r) => r.name === name);
  assert.ok(found, `no resource ${name} among ${list.map((r) => r.name).join(', ')}`);
  return found.json;
}

export const cluster = (set: ResourceSet, name: string): EnvoyJson => named(set.clusters, name);
export const listener = (set: ResourceSet, name: string): EnvoyJson => named(set.listeners, name);
export const routeConfig = (set: ResourceSet, name: string): EnvoyJson => named(set.routes, name);

export function virtualHost(set: ResourceSet, config: string, name: string): EnvoyJson {
  const hosts = routeConfig(set, config).virtual_hosts as EnvoyJson[];
  const found = hosts.find((h) => h.name === name);
  assert.ok(found, `no virtual host ${name} in ${config} among ${hosts.map((h) => h.name).join(', ')}`);
  return found;
}

/** The clusters each route of a virtual host sends to, in order (a weighted split as `a=50,b=50`). */
export function routeTargets(vh: EnvoyJson): string[] {
  return (vh.routes as EnvoyJson[]).map((r) => {
    const action = r.route as { cluster?: string; weighted_clusters?: { clusters: { name: string; weight: number }[] } } | undefined;
    if (!action) return Object.keys(r).find((k) => k === 'redirect' || k === 'direct_response') ?? '?';
    return action.cluster ?? action.weighted_clusters!.clusters.map((c) => `${c.name}=${c.weight}`).join(',');
  });
}

export { translate };

/** A DestinationRule declaring subsets v1, v2 and v3 by the `version` label. */
export function versionSubsets(host: string, namespace = 'default'): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${host}, namespace: ${namespace}}
spec:
  host: ${host}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}`;
}
