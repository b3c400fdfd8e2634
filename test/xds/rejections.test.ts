// The net under validation: whatever a part builds, nothing Envoy would reject is encoded. The
// objects a rejected field came from (by provenance) are left out and the part is built again,
// and each is reported (MAST4001) with where it was read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refOf, snapshotFromYaml, type Snapshot } from '../../src/model';
import { provenance, sourceKeys } from '../../src/translate/provenance';
import type { TranslationPart } from '../../src/translate/parts';
import { TYPE_URLS, type EnvoyJson, type ProxyClass } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { culprits } from '../../src/xds/rejections';
import { quiet } from './fake-world';
import { sidecar } from '../translate/helpers';

const MESH = ['good', 'bad', 'worse']
  .map((name) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.example.com]
  http: [{route: [{destination: {host: ${name}}}]}]`)
  .join('\n---\n');

/**
 * One route table with a virtual host per VirtualService; `broken(name)` makes a VirtualService's
 * route carry an empty header prefix, which Envoy's proto rules refuse.
 */
function routesPart(broken: (name: string) => boolean): TranslationPart {
  return {
    name: 'routes',
    key: () => '',
    build: (snapshot: Snapshot) => {
      const hosts = snapshot.virtualServices().map((vs) => {
        const headers = broken(vs.meta.name) ? [{ name: 'x-user', string_match: { prefix: '' } }] : [];
        const route: EnvoyJson = { match: { prefix: '/', ...(headers.length ? { headers } : {}) }, route: { cluster: vs.meta.name }, metadata: provenance([refOf(vs)]) };
        return { name: vs.meta.name, domains: vs.spec.hosts ?? [], routes: [route] };
      });
      return { routes: [{ name: '80', json: { name: '80', virtual_hosts: hosts }, sources: sourceKeys(snapshot.virtualServices().map(refOf)) }] };
    },
  };
}

function hostsServed(views: ViewCache, proxy: ProxyClass): string[] {
  const json = views.viewFor(proxy).json();
  return (json.routes[0]?.json.virtual_hosts as { name: string }[] | undefined)?.map((h) => h.name) ?? [];
}

describe('rejections', () => {
  const { snapshot, diagnostics } = snapshotFromYaml(MESH, 'mesh.yaml');
  assert.deepEqual(diagnostics, []);

  it('leaves out the VirtualService whose route Envoy would reject, keeps every other host, and says why', () => {
    const views = new ViewCache(() => [routesPart((n) => n === 'bad')], quiet);
    views.setSnapshot(snapshot);
    const proxy = sidecar();
    assert.deepEqual(hostsServed(views, proxy), ['good', 'worse']);
    assert.equal(views.viewFor(proxy).resources.get(TYPE_URLS.route)?.size, 1, 'the route table is sent, without the bad host');
    const [finding, ...rest] = views.findings();
    assert.deepEqual(rest, []);
    assert.equal(finding?.code, 'MAST4001');
    assert.deepEqual(finding?.object, { kind: 'VirtualService', namespace: 'default', name: 'bad' });
    assert.deepEqual(finding?.origin, { file: 'mesh.yaml', doc: 2 });
    assert.match(finding?.message ?? '', /rds 80 \(virtual_hosts\[0\]\.routes\[0\]\.match\.headers\[0\]\.string_match\.prefix: value length must be at least 1/);
  });

  it('leaves out each of several culprits, over rounds', () => {
    const views = new ViewCache(() => [routesPart((n) => n !== 'good')], quiet);
    views.setSnapshot(snapshot);
    assert.deepEqual(hostsServed(views, sidecar()), ['good']);
    assert.deepEqual(views.findings().map((d) => d.object?.name).sort(), ['bad', 'worse']);
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
    views.setSnapshot(snapshot);
    assert.deepEqual([...(views.viewFor(sidecar()).resources.get(TYPE_URLS.cluster)?.keys() ?? [])], ['ok']);
    assert.deepEqual(views.findings().map((d) => [d.code, d.object]), [['MAST4001', undefined]]);
  });

  it('blames the innermost sources on the way to the field, Istio objects before the Services they configure', () => {
    const resource = {
      name: 'r',
      sources: ['Service/default/a', 'VirtualService/default/outer'],
      json: { virtual_hosts: [{ metadata: provenance([{ kind: 'Service', namespace: 'default', name: 'a' }, { kind: 'VirtualService', namespace: 'default', name: 'vh' }]), routes: [{ match: {} }] }] },
    };
    assert.deepEqual(culprits(resource, { path: 'virtual_hosts[0].routes[0].match.prefix', rule: 'x', message: 'x' }), ['VirtualService/default/vh']);
    assert.deepEqual(culprits({ ...resource, sources: ['Service/default/a'] }, { path: 'name', rule: 'x', message: 'x' }), ['Service/default/a']);
    assert.deepEqual(culprits(resource, { path: 'typed_per_filter_config["envoy.filters.http.fault"].abort', rule: 'x', message: 'x' }), ['VirtualService/default/outer']);
  });
});
