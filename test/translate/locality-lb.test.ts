// Locality load balancing (DestinationRule localityLbSetting): the priorities and weights a
// proxy's endpoints get from its locality, as Istio's loadbalancer.go sets them, and the
// endpoints part's key (proxies in one locality share one build; without a rule that reads
// locality, a namespace does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partsFor } from '../../src/translate';
import { applyLocalityLoadBalancer, type LocalityGroup } from '../../src/translate/traffic-policy/locality-lb';
import { endpointLocality, parseLocality, proxyLocality, type Locality } from '../../src/translate/traffic-policy/locality';
import type { ProxyClass } from '../../src/translate/types';
import { mesh, service, sidecar } from './helpers';

function groups(...localities: string[]): LocalityGroup<string>[] {
  return localities.map((l) => ({ locality: parseLocality(l), endpoints: [{ labels: {}, weight: 1, item: l }], priority: 0, weight: 1 }));
}

function priorities(out: LocalityGroup<string>[]): Record<string, number> {
  return Object.fromEntries(out.map((g) => [g.endpoints.map((e) => e.item).join(',') || `(${g.locality.region})`, g.priority]));
}

const at = (l: string): { locality: Locality; labels: Record<string, string> } => ({ locality: parseLocality(l), labels: { app: 'sleep' } });

test('default failover ranks subzone, zone, region, then the rest, numbered without gaps', () => {
  const out = applyLocalityLoadBalancer(groups('r1/z1/s1', 'r1/z1/s2', 'r1/z2/s1', 'r2/z1/s1'), at('r1/z1/s1'), { enabled: true }, true);
  assert.deepEqual(priorities(out), { 'r1/z1/s1': 0, 'r1/z1/s2': 1, 'r1/z2/s1': 2, 'r2/z1/s1': 3 });
  const gaps = applyLocalityLoadBalancer(groups('r1/z1', 'r3/z4'), at('r1/z1'), {}, true);
  assert.deepEqual(priorities(gaps), { 'r1/z1': 0, 'r3/z4': 1 }, 'rank 3 becomes priority 1 when nothing ranks 1 or 2');
});

test('failover prefers its `to` region over other regions, and only from its `from` region', () => {
  const setting = { failover: [{ from: 'region1', to: 'region3' }] };
  const all = groups('region1/zone1', 'region1/zone2', 'region2/zone3', 'region3/zone4');
  assert.deepEqual(priorities(applyLocalityLoadBalancer(all, at('region1/zone1'), setting, true)), { 'region1/zone1': 0, 'region1/zone2': 1, 'region3/zone4': 2, 'region2/zone3': 3 });
  assert.deepEqual(priorities(applyLocalityLoadBalancer(all, at('region2/zone3'), setting, true)), { 'region2/zone3': 0, 'region1/zone1': 1, 'region1/zone2': 1, 'region3/zone4': 1 });
});

test('failover needs outlier detection: without it every locality stays at priority 0', () => {
  const out = applyLocalityLoadBalancer(groups('r1/z1', 'r2/z2'), at('r1/z1'), { failover: [{ from: 'r1', to: 'r2' }] }, false);
  assert.deepEqual(priorities(out), { 'r1/z1': 0, 'r2/z2': 0 });
});

test('distribute shares a `to` weight among the localities it matches by their weight, rounded up, and empties the rest', () => {
  const input: LocalityGroup<string>[] = [
    { locality: parseLocality('r1/z1'), endpoints: [{ labels: {}, weight: 1, item: 'a' }, { labels: {}, weight: 1, item: 'b' }], priority: 0, weight: 2 },
    { locality: parseLocality('r1/z2'), endpoints: [{ labels: {}, weight: 1, item: 'c' }], priority: 0, weight: 1 },
    { locality: parseLocality('r2/z3'), endpoints: [{ labels: {}, weight: 1, item: 'd' }], priority: 0, weight: 1 },
  ];
  const out = applyLocalityLoadBalancer(input, at('r1/z1'), { distribute: [{ from: 'r9/*', to: { 'r9/*': 100 } }, { from: 'r1/*', to: { 'r1/*': 80, 'r3/*': 20 } }] }, false);
  assert.deepEqual(out.map((g) => [g.weight, g.endpoints.length]), [[54, 2], [27, 1], [1, 0]], '80 * 2/3 = 53.3 -> 54, 80 * 1/3 = 26.7 -> 27; r2 matches no `to`');
  assert.equal(input[2]!.endpoints.length, 1, 'the input groups are left as they were');
  const elsewhere = applyLocalityLoadBalancer(input, at('r5/z1'), { distribute: [{ from: 'r1/*', to: { 'r1/*': 100 } }] }, false);
  assert.deepEqual(elsewhere.map((g) => g.weight), [2, 1, 1], 'no `from` matches: weights unchanged');
});

test('failoverPriority splits localities by the labels the proxy shares, with label=value overrides', () => {
  const input: LocalityGroup<string>[] = [{
    locality: parseLocality('r1/z1'),
    endpoints: [
      { labels: { version: 'v1', tier: 'a' }, weight: 1, item: 'v1a' },
      { labels: { version: 'v1', tier: 'b' }, weight: 2, item: 'v1b' },
      { labels: { version: 'v2', tier: 'a' }, weight: 1, item: 'v2a' },
    ],
    priority: 0,
    weight: 4,
  }];
  const proxy = { locality: parseLocality('r1/z1'), labels: { version: 'v1', tier: 'a' } };
  const out = applyLocalityLoadBalancer(input, proxy, { failoverPriority: ['version', 'tier'] }, true);
  assert.deepEqual(out.map((g) => [g.endpoints.map((e) => e.item), g.priority, g.weight]), [[['v1a'], 0, 1], [['v1b'], 1, 2], [['v2a'], 2, 1]], "a split locality weighs its endpoints' weights");
  const overridden = applyLocalityLoadBalancer(input, proxy, { failoverPriority: ['version=v2'] }, true);
  assert.deepEqual(overridden.map((g) => [g.endpoints.map((e) => e.item), g.priority]), [[['v2a'], 0], [['v1a', 'v1b'], 1]]);
  const network = applyLocalityLoadBalancer(input, proxy, { failoverPriority: ['topology.istio.io/network', 'version'] }, true);
  assert.deepEqual(network.map((g) => g.priority), [0, 1], "a proxy's missing network label is equal to the endpoints' missing one");
  const unlabelled = applyLocalityLoadBalancer(input, { locality: parseLocality(''), labels: {} }, { failoverPriority: ['version'] }, true);
  assert.deepEqual(unlabelled.map((g) => g.priority), [0], 'a proxy without labels is left alone, as in Istio');
});

test("a proxy's locality: topology labels, then the istio-locality label, then Envoy's node.locality", () => {
  assert.deepEqual(proxyLocality({ 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1', 'istio-locality': 'r9.z9' }, 'r8/z8'), { region: 'r1', zone: 'z1', subZone: '' });
  assert.deepEqual(proxyLocality({ 'istio-locality': 'r9.z9.s9' }, 'r8/z8'), { region: 'r9', zone: 'z9', subZone: 's9' });
  assert.deepEqual(proxyLocality({}, 'r8/z8/s8'), { region: 'r8', zone: 'z8', subZone: 's8' });
  assert.deepEqual(endpointLocality({ 'topology.kubernetes.io/region': 'r1', 'topology.istio.io/locality': 'r2.z2' }), { region: 'r2', zone: 'z2', subZone: '' }, "an endpoint's override label wins (getPodLocality)");
});

const failoverRule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        failoverPriority: [topology.kubernetes.io/region, version]
    outlierDetection: {consecutive5xxErrors: 1}`;

function endpointsPod(name: string, ip: string, labels: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: reviews, ${labels}}}
spec: {containers: [{name: app, ports: [{containerPort: 9080}]}]}
status: {podIP: ${ip}}`;
}

const pods = [endpointsPod('reviews-a', '127.0.1.3', 'istio-locality: r1.z1, version: v1'), endpointsPod('reviews-b', '127.0.1.4', 'istio-locality: r2.z1, version: v2')];
const slice = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-x, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080, protocol: TCP}]
endpoints:
- {addresses: [127.0.1.3], conditions: {ready: true}, targetRef: {kind: Pod, name: reviews-a, namespace: default}}
- {addresses: [127.0.1.4], conditions: {ready: true}, targetRef: {kind: Pod, name: reviews-b, namespace: default}}`;

const proxies: ProxyClass[] = [
  sidecar({ locality: 'r1/z1' }),
  sidecar({ locality: 'r1/z1', labels: { app: 'details' } }),
  sidecar({ locality: 'r1/z1', labels: { app: 'details', version: 'v2' } }),
  sidecar({ locality: 'r2/z1' }),
  sidecar({ labels: { app: 'x', 'topology.kubernetes.io/region': 'r2', 'topology.kubernetes.io/zone': 'z1' } }),
  sidecar({ labels: { app: 'x', 'istio-locality': 'r1.z1' } }),
  sidecar({ labels: {} }),
  sidecar({ labels: {}, locality: 'r1/z1' }),
  sidecar({ namespace: 'other', locality: 'r1/z1' }),
];

function endpointsPart() {
  const part = partsFor('sidecar').find((p) => p.name === 'endpoints');
  assert.ok(part, 'a sidecar has an endpoints part');
  return part;
}

test('endpoints: equal keys, equal pieces, across localities and failoverPriority labels', () => {
  const part = endpointsPart();
  for (const snapshot of [mesh(service('reviews'), slice, ...pods, failoverRule), mesh(service('reviews'), slice, ...pods)]) {
    const byKey = new Map<string, string>();
    for (const proxy of proxies) {
      const key = part.key(proxy, snapshot);
      const built = JSON.stringify(part.build(snapshot, proxy));
      const earlier = byKey.get(key);
      if (earlier !== undefined) assert.equal(built, earlier, `key ${key} built two ways (${JSON.stringify(proxy)})`);
      byKey.set(key, built);
    }
  }
});

test('endpoints: proxies in one locality share a build; without a locality rule a namespace does', () => {
  const part = endpointsPart();
  const withRule = mesh(service('reviews'), slice, ...pods, failoverRule);
  const key = (p: ProxyClass) => part.key(p, withRule);
  assert.equal(key(sidecar({ locality: 'r1/z1', labels: { app: 'a' } })), key(sidecar({ locality: 'r1/z1', labels: { app: 'b' } })), 'labels failoverPriority does not name are not read');
  assert.notEqual(key(sidecar({ locality: 'r1/z1' })), key(sidecar({ locality: 'r2/z1' })));
  assert.notEqual(key(sidecar({ locality: 'r1/z1', labels: { version: 'v1' } })), key(sidecar({ locality: 'r1/z1', labels: { version: 'v2' } })));
  const built = part.build(withRule, sidecar({ locality: 'r2/z1' })).endpoints!.find((e) => e.name === 'outbound|9080||reviews.default.svc.cluster.local')!;
  const byAddress = (built.json.endpoints as { priority?: number; lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[])
    .map((g) => [g.lb_endpoints[0]!.endpoint.address.socket_address.address, g.priority ?? 0]);
  assert.deepEqual(byAddress.sort(), [['127.0.1.3', 1], ['127.0.1.4', 0]], 'from r2 the r2 endpoint comes first');
  const without = mesh(service('reviews'), slice, ...pods);
  assert.equal(part.key(sidecar({ locality: 'r1/z1' }), without), part.key(sidecar({ locality: 'r2/z1' }), without));
});
