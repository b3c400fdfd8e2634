// The contract of a translation part's key: equal keys, equal output. The xDS cache builds one
// piece per key and hands it to every proxy with that key, so a key that leaves out a facet the
// part reads would give some proxy another's config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partsFor } from '../../src/translate';
import type { ProxyClass } from '../../src/translate/types';
import { mesh, service, sidecar, versionSubsets, virtualService } from './helpers';

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

test('proxies with equal part keys get equal pieces', () => {
  for (const part of partsFor('sidecar')) {
    const byKey = new Map<string, string>();
    for (const proxy of proxies) {
      const key = part.key(proxy, snapshot);
      const built = JSON.stringify(part.build(snapshot, proxy));
      const earlier = byKey.get(key);
      if (earlier !== undefined) assert.equal(built, earlier, `${part.name}: key ${key} built two ways (${JSON.stringify(proxy.labels)})`);
      byKey.set(key, built);
    }
  }
});

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
