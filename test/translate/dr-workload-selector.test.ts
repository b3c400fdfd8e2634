// DestinationRule workloadSelector: the rule selecting a workload in its own namespace wins for
// that workload's outbound clusters, endpoints and routes (Istio's SidecarScope.DestinationRule),
// and the parts that read rules are keyed by the selecting rules, so a selected workload never
// gets another's build and unselected ones still share theirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partsFor, translate } from '../../src/translate';
import type { ProxyClass } from '../../src/translate/types';
import { mesh, router, service, sidecar } from './helpers';

function rule(name: string, namespace: string, body: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${body.replace(/^/gm, '  ')}`;
}

const snapshot = mesh(
  service('reviews'),
  rule('reviews', 'default', 'host: reviews\ntrafficPolicy: {loadBalancer: {simple: RANDOM}}'),
  rule('reviews-pp', 'default', 'host: reviews\nworkloadSelector: {matchLabels: {app: productpage}}\ntrafficPolicy:\n  outlierDetection: {consecutive5xxErrors: 1}\n  loadBalancer: {consistentHash: {httpHeaderName: x-user}, localityLbSetting: {failover: [{from: r1, to: r2}]}}'),
  rule('reviews-gw', 'istio-system', 'host: reviews.default.svc.cluster.local\nworkloadSelector: {matchLabels: {istio: ingressgateway}}\ntrafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}'),
);

function lbPolicy(proxy: ProxyClass): string | undefined {
  const cluster = translate(snapshot, proxy).clusters.find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local');
  assert.ok(cluster, 'reviews has a cluster');
  return cluster.json.lb_policy as string | undefined;
}

test('the rule selecting a workload wins in its namespace; others get the rule for everyone', () => {
  assert.equal(lbPolicy(sidecar({ labels: { app: 'productpage' } })), 'RING_HASH');
  assert.equal(lbPolicy(sidecar({ labels: { app: 'details' } })), 'RANDOM');
  assert.equal(lbPolicy(sidecar({ labels: { app: 'productpage' }, namespace: 'other' })), 'RANDOM', 'a selector does not reach across namespaces');
  assert.equal(lbPolicy(router()), 'LEAST_REQUEST', "a gateway in the rule's namespace is selected too, as in Istio's code");
});

test('the selected rule reaches routes (its hash key) as well as clusters', () => {
  const routes = JSON.stringify(translate(snapshot, sidecar({ labels: { app: 'productpage' } })).routes);
  assert.match(routes, /"header_name":"x-user"/);
  assert.doesNotMatch(JSON.stringify(translate(snapshot, sidecar({ labels: { app: 'details' } })).routes), /x-user/);
});

test('parts reading rules: equal keys, equal pieces; unselected workloads share', () => {
  const proxies = [
    sidecar({ labels: { app: 'productpage' } }),
    sidecar({ labels: { app: 'productpage', version: 'v2' } }),
    sidecar({ labels: { app: 'details' } }),
    sidecar({ labels: { app: 'ratings' } }),
    sidecar({ labels: { app: 'productpage' }, namespace: 'other' }),
    sidecar({ labels: { app: 'productpage' }, locality: 'r1/z1' }),
    sidecar({ labels: { app: 'details' }, locality: 'r1/z1' }),
  ];
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
  const services = partsFor('sidecar').find((p) => p.name === 'services')!;
  assert.equal(services.key(proxies[2]!, snapshot), services.key(proxies[3]!, snapshot), 'details and ratings: no rule selects either');
  assert.notEqual(services.key(proxies[0]!, snapshot), services.key(proxies[2]!, snapshot));
});
