// The net under validation: whatever a part builds, nothing Envoy would reject is encoded. The
// objects a rejected field came from (by provenance) are served at their last good version, or
// left out, the part is built again, and each is reported (MAST4001) with where it was read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigStore, parseDocuments, refOf, snapshotFromYaml, type Snapshot, type VirtualService } from '../../src/model';
import { provenance, sourceKeys } from '../../src/translate/provenance';
import type { TranslationPart } from '../../src/translate/parts';
import { TYPE_URLS, type EnvoyJson, type ProxyClass } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { blame } from '../../src/xds/rejections';
import { quiet } from './fake-world';
import { sidecar } from '../translate/helpers';

const vsYaml = (name: string, target = name, rule = 'ok') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.example.com]
  http: [{name: ${rule}, route: [{destination: {host: ${target}}}]}]`;

const MESH = ['good', 'bad', 'worse', 'awful', 'dire'].map((n) => vsYaml(n, n, ['good'].includes(n) ? 'ok' : 'broken')).join('\n---\n');

/**
 * One route table with a virtual host per VirtualService, routing to its first destination; a
 * rule named `broken` carries an empty header prefix, which Envoy's proto rules refuse.
 */
const routesPart: TranslationPart = {
  name: 'routes',
  key: () => '',
  build: (snapshot: Snapshot) => {
    const hosts = snapshot.virtualServices().map((vs: VirtualService) => {
      const rule = vs.spec.http?.[0];
      const headers = rule?.name === 'broken' ? [{ name: 'x-user', string_match: { prefix: '' } }] : [];
      const route: EnvoyJson = {
        match: { prefix: '/', ...(headers.length ? { headers } : {}) },
        route: { cluster: rule?.route?.[0]?.destination?.host ?? 'none' },
        metadata: provenance([refOf(vs)], 'spec.http[0]'),
      };
      return { name: vs.meta.name, domains: vs.spec.hosts ?? [], routes: [route] };
    });
    return { routes: [{ name: '80', json: { name: '80', virtual_hosts: hosts }, sources: sourceKeys(snapshot.virtualServices().map(refOf)) }] };
  },
};

function served(views: ViewCache, proxy: ProxyClass): Record<string, string> {
  const json = views.viewFor(proxy).json();
  const hosts = (json.routes[0]?.json.virtual_hosts ?? []) as { name: string; routes: { route: { cluster: string } }[] }[];
  return Object.fromEntries(hosts.map((h) => [h.name, h.routes[0]?.route.cluster ?? '']));
}

describe('rejections', () => {
  it('serves every host but the ones whose routes Envoy would reject, however many, and says why for each', () => {
    const { snapshot, diagnostics } = snapshotFromYaml(MESH, 'mesh.yaml');
    assert.deepEqual(diagnostics, []);
    const views = new ViewCache(() => [routesPart], quiet);
    views.setSnapshot(snapshot);
    assert.deepEqual(served(views, sidecar()), { good: 'good' });
    assert.equal(views.viewFor(sidecar()).resources.get(TYPE_URLS.route)?.size, 1, 'the route table is sent, with the good host');
    const findings = views.findings();
    assert.deepEqual(findings.map((d) => d.object?.name).sort(), ['awful', 'bad', 'dire', 'worse']);
    const bad = findings.find((d) => d.object?.name === 'bad');
    assert.equal(bad?.code, 'MAST4001');
    assert.equal(bad?.field, 'spec.http[0]', 'the rule it came from');
    assert.deepEqual(bad?.origin, { file: 'mesh.yaml', doc: 2 });
    assert.match(bad?.message ?? '', /rds 80 \(virtual_hosts\[\d\]\.routes\[0\]\.match\.headers\[0\]\.string_match\.prefix: value length must be at least 1 .*\) made from VirtualService\/default\/bad; what it contributes there is left out/);
  });

  it('an edit Envoy would reject falls back to the version last served, as a model error does', () => {
    const store = new ConfigStore();
    const put = (yaml: string) => {
      const { objects, diagnostics } = parseDocuments(yaml, 'vs.yaml');
      store.replaceSource('vs.yaml', objects, diagnostics);
      return store.snapshot();
    };
    const views = new ViewCache(() => [routesPart], quiet);
    views.setSnapshot(put(vsYaml('good', 'v1')));
    assert.deepEqual(served(views, sidecar()), { good: 'v1' });
    views.setSnapshot(put(vsYaml('good', 'v2', 'broken')));
    assert.deepEqual(served(views, sidecar()), { good: 'v1' }, 'the last good version keeps serving');
    assert.match(views.findings()[0]?.message ?? '', /VirtualService\/default\/good; its last good version keeps serving/);
    // Still broken in the next generation: still the last good version, not the broken one.
    views.setSnapshot(put(`${vsYaml('good', 'v3', 'broken')}\n---\n${vsYaml('other')}`));
    assert.deepEqual(served(views, sidecar()), { good: 'v1', other: 'other' });
    views.setSnapshot(put(vsYaml('good', 'v4')));
    assert.deepEqual(served(views, sidecar()), { good: 'v4' });
    assert.deepEqual(views.findings(), []);
  });

  it('drops a rejected resource that names no object, alone', () => {
    const part: TranslationPart = {
      name: 'fixed',
      key: () => '',
      build: () => ({
        clusters: [
          { name: 'ok', json: { name: 'ok', type: 'STATIC', connect_timeout: '1s' } },
          { name: '', json: { name: '', type: 'STATIC', connect_timeout: '1s' } },
        ],
      }),
    };
    const views = new ViewCache(() => [part], quiet);
    views.setSnapshot(snapshotFromYaml('', 'empty.yaml').snapshot);
    assert.deepEqual([...(views.viewFor(sidecar()).resources.get(TYPE_URLS.cluster)?.keys() ?? [])], ['ok']);
    assert.deepEqual(views.findings().map((d) => [d.code, d.object]), [['MAST4001', undefined]]);
  });

  it('blames the innermost sources on the way to the field: configuration before the Service it configures, an EndpointSlice before the Pod that lends it labels', () => {
    const ref = (kind: 'Service' | 'VirtualService' | 'EndpointSlice' | 'Pod', name: string) => ({ kind, namespace: 'default', name });
    const routes = {
      name: 'r',
      sources: ['Service/default/a', 'VirtualService/default/outer'],
      json: { virtual_hosts: [{ metadata: provenance([ref('Service', 'a'), ref('VirtualService', 'vh')]), routes: [{ match: {}, metadata: provenance([ref('VirtualService', 'vh')], 'spec.http[3].match[1]') }] }] },
    };
    const at = (path: string) => ({ path, rule: 'x', message: 'x' });
    assert.deepEqual(blame(routes, at('virtual_hosts[0].routes[0].match.prefix')), { keys: ['VirtualService/default/vh'], field: 'spec.http[3].match[1]' });
    assert.deepEqual(blame(routes, at('virtual_hosts[0].domains[0]')), { keys: ['VirtualService/default/vh'] });
    assert.deepEqual(blame({ ...routes, sources: ['Service/default/a'] }, at('name')), { keys: ['Service/default/a'] });
    assert.deepEqual(blame(routes, at('typed_per_filter_config["envoy.filters.http.fault"].abort')), { keys: ['VirtualService/default/outer'] });
    const endpoints = { name: 'e', sources: [], json: { endpoints: [{ lb_endpoints: [{ metadata: provenance([ref('EndpointSlice', 's'), ref('Pod', 'p')]) }] }] } };
    assert.deepEqual(blame(endpoints, at('endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value')), { keys: ['EndpointSlice/default/s'] });
  });
});
