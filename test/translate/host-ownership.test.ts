// Who serves what when two objects claim it: as in Istio, the older one. A sidecar host goes to
// the oldest VirtualService naming it exactly, else to the most specific wildcard; gateways merge
// VirtualServices oldest first; a domain two virtual hosts claim stays with the older; a Service
// whose clusterIP an older Service holds is served without it. "Older" is Istio's creation order
// (src/model/creation-order.ts): here, the order files reach a running ConfigStore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigStore, parseDocuments, type Snapshot } from '../../src/model';
import type { EnvoyJson } from '../../src/translate/types';
import { routeConfig, routeTargets, router, service, sidecar, translate, virtualHost, virtualService } from './helpers';

/** A store fed one file per tick, in the order given: each file's objects are newer than the last's. */
function meshOverTime(...files: string[][]): Snapshot {
  const store = new ConfigStore();
  files.forEach((docs, i) => {
    const { objects } = parseDocuments(docs.join('\n---\n'), `${i}.yaml`);
    store.replaceSource(`${i}.yaml`, objects);
    store.snapshot();
  });
  return store.snapshot();
}

const DETAILS = 'outbound|9080||details.default.svc.cluster.local';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const routeTo = (host: string): string => `http:\n- route: [{destination: {host: ${host}}}]`;

function sidecarTargets(snapshot: Snapshot, host: string): string[] {
  return routeTargets(virtualHost(translate(snapshot, sidecar()), '9080', `${host}:9080`));
}

test('a sidecar routes a host by its oldest VirtualService; one added later does not take it over, whatever its name', () => {
  for (const name of ['a-details', 'z-details']) {
    const snapshot = meshOverTime(
      [service('details'), service('reviews'), virtualService('details', 'default', `hosts: [details]\n${routeTo('details')}`)],
      [virtualService(name, 'default', `hosts: [details.default.svc.cluster.local]\n${routeTo('reviews')}`)],
    );
    assert.deepEqual(sidecarTargets(snapshot, 'details.default.svc.cluster.local'), [DETAILS], name);
  }
  const reversed = meshOverTime(
    [service('details'), service('reviews'), virtualService('z-details', 'default', `hosts: [details.default.svc.cluster.local]\n${routeTo('reviews')}`)],
    [virtualService('details', 'default', `hosts: [details]\n${routeTo('details')}`)],
  );
  assert.deepEqual(sidecarTargets(reversed, 'details.default.svc.cluster.local'), [REVIEWS], 'the older one wins, not the one that sorts first');
});

test('an exact host beats a wildcard whatever their age; among wildcards the most specific wins, then the oldest', () => {
  const services = [service('details'), service('reviews')];
  const exact = virtualService('exact', 'default', `hosts: [details]\n${routeTo('details')}`);
  const broad = virtualService('broad', 'default', `hosts: ["*.cluster.local"]\n${routeTo('reviews')}`);
  const narrow = virtualService('narrow', 'default', `hosts: ["*.default.svc.cluster.local"]\n${routeTo('details')}`);
  assert.deepEqual(sidecarTargets(meshOverTime([...services, broad], [exact]), 'details.default.svc.cluster.local'), [DETAILS]);
  assert.deepEqual(sidecarTargets(meshOverTime([...services, broad], [narrow]), 'reviews.default.svc.cluster.local'), [DETAILS], 'the longer wildcard, though newer');
  const twin = virtualService('a-twin', 'default', `hosts: ["*.cluster.local"]\n${routeTo('details')}`);
  assert.deepEqual(sidecarTargets(meshOverTime([...services, broad], [twin]), 'reviews.default.svc.cluster.local'), [REVIEWS], 'the same wildcard: the older');
});

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]`;

test('a gateway merges the routes of VirtualServices sharing a host oldest first', () => {
  const older = virtualService('z-older', 'default', `hosts: [shop.example.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /details}}]\n  route: [{destination: {host: details}}]`);
  const newer = virtualService('a-newer', 'default', `hosts: [shop.example.com]\ngateways: [gw]\n${routeTo('reviews')}`);
  const snapshot = meshOverTime([service('details'), service('reviews'), GATEWAY, older], [newer]);
  assert.deepEqual(routeTargets(virtualHost(translate(snapshot, router()), 'http.80', 'shop.example.com:80')), [DETAILS, REVIEWS]);
});

test('a domain two virtual hosts claim, differing only in case, stays with the older', () => {
  const older = virtualService('z-older', 'default', `hosts: [shop.example.com]\ngateways: [gw]\n${routeTo('details')}`);
  const newer = virtualService('a-newer', 'default', `hosts: [Shop.example.com]\ngateways: [gw]\n${routeTo('reviews')}`);
  const snapshot = meshOverTime([service('details'), service('reviews'), GATEWAY, older], [newer]);
  const hosts = (routeConfig(translate(snapshot, router()), 'http.80').virtual_hosts as EnvoyJson[]).map((h) => [h.name, h.domains]);
  assert.deepEqual(hosts, [['shop.example.com:80', ['shop.example.com']]], '`Shop` sorts first, but `shop` was there first');
});

test('a Service whose clusterIP an older Service holds gets no clusterIP domain; the older keeps it', () => {
  const withIp = (name: string): string => service(name, 'default', '[{name: http, port: 9080}]', '  clusterIP: 10.96.0.10');
  const snapshot = meshOverTime([withIp('z-first')], [withIp('a-later')]);
  const set = translate(snapshot, sidecar());
  const domains = (host: string): string[] => virtualHost(set, '9080', `${host}:9080`).domains as string[];
  assert.ok(domains('z-first.default.svc.cluster.local').includes('10.96.0.10'));
  assert.ok(!domains('a-later.default.svc.cluster.local').some((d) => d.startsWith('10.96.0.10')));
});

test('a Service named in capitals is refused, so it cannot take the domains of its lower-case twin', () => {
  const snapshot = meshOverTime([service('details')], [service('DETAILS')]);
  const hosts = (routeConfig(translate(snapshot, sidecar()), '9080').virtual_hosts as EnvoyJson[]).map((h) => h.name);
  assert.deepEqual(hosts, ['details.default.svc.cluster.local:9080', 'allow_any']);
  assert.deepEqual(sidecarTargets(snapshot, 'details.default.svc.cluster.local'), [DETAILS]);
});
