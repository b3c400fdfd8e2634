// The contract of a translation part's key: equal keys, equal output. The xDS cache builds one
// piece per key and hands it to every proxy with that key, so a key that leaves out a facet the
// part reads would give some proxy another's config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partsFor } from '../../src/translate';
import type { Snapshot } from '../../src/model/types';
import type { ProxyClass } from '../../src/translate/types';
import { mesh, router, service, sidecar, versionSubsets, virtualService } from './helpers';

const snapshot = mesh(
  versionSubsets('reviews'),
  service('reviews'),
  service('productpage'),
  virtualService('r', 'default', [
    'hosts: [reviews]',
    'http:',
    '- match: [{sourceLabels: {app: productpage}}]',
    '  route: [{destination: {host: reviews, subset: v2}}]',
    '- match: [{sourceLabels: {version: v9}}]',
    '  route: [{destination: {host: reviews, subset: v3}}]',
    '- route: [{destination: {host: reviews, subset: v1}}]',
  ].join('\n')),
);

const proxies: ProxyClass[] = [
  sidecar(),
  sidecar({ labels: { app: 'productpage', version: 'v1' } }),
  sidecar({ labels: { app: 'productpage', version: 'v9' } }),
  sidecar({ labels: { app: 'details' } }),
  sidecar({ labels: { app: 'ratings', version: 'v1' } }),
  sidecar({ labels: { app: 'ratings', version: 'v9' } }),
  sidecar({ labels: { app: 'details' }, ips: ['127.0.1.2'] }),
  sidecar({ labels: { app: 'details' }, namespace: 'other' }),
  sidecar({ labels: { app: 'details' }, interceptionMode: 'NONE', outboundAddress: '127.0.3.1' }),
];

/** Asserts the contract over every part of the proxies' roles; returns each part's distinct keys. */
function assertKeysDecide(on: Snapshot, all: readonly ProxyClass[]): Map<string, Set<string>> {
  const distinct = new Map<string, Set<string>>();
  for (const role of new Set(all.map((p) => p.role))) {
    for (const part of partsFor(role)) {
      const byKey = new Map<string, string>();
      for (const proxy of all.filter((p) => p.role === role)) {
        const key = part.key(proxy, on);
        const built = JSON.stringify(part.build(on, proxy));
        const earlier = byKey.get(key);
        if (earlier !== undefined) assert.equal(built, earlier, `${part.name}: key ${key} built two ways (${JSON.stringify(proxy)})`);
        byKey.set(key, built);
      }
      distinct.set(`${role} ${part.name}`, new Set(byKey.keys()));
    }
  }
  return distinct;
}

test('proxies with equal part keys get equal pieces', () => {
  assertKeysDecide(snapshot, proxies);
});

// Pods of one deployment differ in their IPs. A piece reads them only where its output holds them
// or depends on them; elsewhere the pods share it, and so their whole view (xds/cache.ts).
const pod = (name: string, ip: string, port: number) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: reviews}}
spec: {containers: [{name: app, ports: [{name: http, containerPort: ${port}}]}]}
status: {podIP: ${ip}}`;
const PODS = [pod('reviews-a', '127.0.1.3', 9080), pod('reviews-b', '127.0.1.4', 9090)];
const replicas = (o: Partial<ProxyClass> = {}): ProxyClass[] => ['127.0.1.3', '127.0.1.4'].map((ip) => sidecar({ labels: { app: 'reviews' }, ips: [ip], ...o }));
const gateways = (o: Partial<ProxyClass> = {}): ProxyClass[] => ['127.0.4.1', '127.0.4.2'].map((ip) => router({ ips: [ip], ...o }));
const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]`;

const ingressSidecar = (defaultEndpoint: string) => `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: reviews, namespace: default}
spec:
  workloadSelector: {labels: {app: reviews}}
  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: "${defaultEndpoint}"}]`;

const CASES: { name: string; on: Snapshot; proxies: ProxyClass[]; shared: boolean }[] = [
  { name: 'numbered target ports, under capture', on: mesh(service('reviews'), ...PODS, GATEWAY), proxies: [...replicas(), ...gateways()], shared: true },
  { name: 'without capture (listeners bind the IPs)', on: mesh(service('reviews'), ...PODS, GATEWAY), proxies: [...replicas({ interceptionMode: 'NONE' }), ...gateways({ interceptionMode: 'NONE' })], shared: false },
  { name: 'a named target port (found in the Pod with the IP)', on: mesh(service('reviews', 'default', '[{name: http, port: 9080, targetPort: http}]'), ...PODS), proxies: replicas(), shared: false },
  { name: 'a Sidecar ingress defaultEndpoint on 0.0.0.0 (sent to the IP)', on: mesh(service('reviews'), ...PODS, ingressSidecar('0.0.0.0:8080')), proxies: replicas(), shared: false },
  { name: 'a Sidecar ingress defaultEndpoint on loopback', on: mesh(service('reviews'), ...PODS, ingressSidecar('127.0.0.1:8080')), proxies: replicas(), shared: true },
];

for (const c of CASES) {
  test(`replicas differing in their IPs alone: ${c.name}: ${c.shared ? 'one key for every part' : 'the inbound side keyed by IP'}`, () => {
    const distinct = assertKeysDecide(c.on, c.proxies);
    const perIp = [...distinct].filter(([, keys]) => keys.size > 1).map(([part]) => part);
    assert.deepEqual(perIp, c.shared ? [] : c.proxies.some((p) => p.role === 'router') ? ['sidecar inbound', 'router gateway'] : ['sidecar inbound']);
  });
}

test('outbound routes are shared by pods that no sourceLabels selector tells apart', () => {
  const routes = partsFor('sidecar').find((p) => p.name === 'outbound-routes');
  assert.ok(routes);
  const key = (labels: Record<string, string>) => routes.key(sidecar({ labels }), snapshot);
  assert.equal(key({ app: 'details' }), key({ app: 'ratings', version: 'v1' }), 'no selector matches either');
  assert.equal(key({ app: 'productpage' }), key({ app: 'productpage', version: 'v1' }), 'both match {app: productpage} only');
  assert.notEqual(key({ app: 'productpage' }), key({ app: 'details' }));
  assert.notEqual(key({ app: 'ratings', version: 'v9' }), key({ app: 'ratings', version: 'v1' }));
  assert.notEqual(routes.key(sidecar({ namespace: 'other' }), snapshot), key({ app: 'productpage' }), 'the namespace still counts');
});
