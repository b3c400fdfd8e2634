// The view cache keeps a piece while nothing its build read has changed. Checked on the bookinfo
// example: after each kind of edit every proxy's view equals a fresh translation, and a piece that
// read none of the changed kinds is the same object, which streams holding it skip unseen.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigStore, parseDocuments, type Snapshot } from '../../src/model';
import { loadConfigDir } from '../../src/sources/files';
import { partsFor, translate } from '../../src/translate';
import { TYPE_URLS, type ProxyClass } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { partsOf } from '../../src/xds/part-diff';
import { quiet } from './fake-world';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'bookinfo');

function proxyOf(snapshot: Snapshot, pod: string, role: ProxyClass['role'] = 'sidecar'): ProxyClass {
  const p = snapshot.pods().find((x) => x.meta.name === pod);
  assert.ok(p?.ip, `the example has pod ${pod}, with an IP`);
  return { role, namespace: p.meta.namespace, labels: p.meta.labels, ips: [p.ip], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.0.1' };
}

/** `kubectl apply` of one more file's worth of objects. */
function apply(store: ConfigStore, name: string, yaml: string): void {
  const parsed = parseDocuments(yaml, name);
  assert.deepEqual(parsed.diagnostics, [], name);
  store.replaceSource(name, parsed.objects, parsed.diagnostics);
}

const EDITS: { kind: string; yaml: string }[] = [
  {
    kind: 'EndpointSlice',
    yaml: `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-extra, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints: [{addresses: [127.0.1.99], conditions: {ready: true}}]`,
  },
  {
    kind: 'VirtualService',
    yaml: `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v2}}]}]`,
  },
  {
    kind: 'Pod',
    yaml: `apiVersion: v1
kind: Pod
metadata: {name: reviews-v2-1, namespace: default, labels: {app: reviews, version: v2}}
spec: {serviceAccountName: bookinfo-reviews, containers: [{name: app, image: echo}]}
status: {podIP: 127.0.1.99}`,
  },
  {
    kind: 'DestinationRule',
    yaml: `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-lb, namespace: default}
spec: {host: ratings, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}`,
  },
  {
    kind: 'Service',
    yaml: `apiVersion: v1
kind: Service
metadata: {name: extra, namespace: default}
spec: {selector: {app: extra}, ports: [{name: http, port: 9080}]}`,
  },
  {
    kind: 'ServiceEntry',
    yaml: `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec: {hosts: [httpbin.example.com], ports: [{number: 9080, name: http, protocol: HTTP}], resolution: DNS}`,
  },
  {
    kind: 'WorkloadEntry',
    yaml: `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-vm, namespace: default}
spec: {address: 127.0.1.98, labels: {app: ratings, version: v1}}`,
  },
];

describe('view cache', () => {
  it('keeps what no edit touched and rebuilds the rest, equal to a fresh translation', async () => {
    const store = await loadConfigDir(EXAMPLE, new ConfigStore());
    const views = new ViewCache((proxy) => partsFor(proxy.role), quiet);
    const proxies = (s: Snapshot) => [proxyOf(s, 'productpage-v1-0'), proxyOf(s, 'reviews-v1-0'), proxyOf(s, 'istio-ingressgateway-0', 'router')];
    const partMaps = (s: Snapshot) => proxies(s).map((p) => new Map([...views.viewFor(p).resources].map(([type, map]) => [type, partsOf(map)])));

    views.setSnapshot(store.snapshot());
    let before = partMaps(store.snapshot());
    for (const edit of EDITS) {
      apply(store, `${edit.kind}.yaml`, edit.yaml);
      const snapshot = store.snapshot();
      views.setSnapshot(snapshot);
      for (const proxy of proxies(snapshot)) {
        assert.deepEqual(views.viewFor(proxy).json(), translate(snapshot, proxy), `${edit.kind} edit: the view of ${proxy.labels['app']} is a fresh translation`);
      }
      const after = partMaps(snapshot);
      // A sidecar's routes read Services, ServiceEntries, VirtualServices and DestinationRules (a consistent hash
      // puts its key on the routes) only: subsets are names, whose existence is checked when a
      // VirtualService is admitted, and endpoints and Pods never reach a route.
      const routesKept = after[0]!.get(TYPE_URLS.route)![0] === before[0]!.get(TYPE_URLS.route)![0];
      assert.equal(routesKept, !['Service', 'VirtualService', 'DestinationRule', 'ServiceEntry'].includes(edit.kind), `${edit.kind} edit: productpage's routes ${routesKept ? 'kept' : 'rebuilt'}`);
      // The services part (clusters and endpoints) reads every kind edited here but VirtualServices.
      const endpointsKept = after[0]!.get(TYPE_URLS.endpoint)![0] === before[0]!.get(TYPE_URLS.endpoint)![0];
      assert.equal(endpointsKept, edit.kind === 'VirtualService', `${edit.kind} edit: endpoints ${endpointsKept ? 'kept' : 'rebuilt'}`);
      before = after;
    }
  });
});

// Edits that change which pieces a proxy gets (its part keys: a Sidecar scoping it, an EnvoyFilter
// selecting it), between endpoint changes, which leave every key as it was.
const KEY_EDITS: { kind: string; yaml: string }[] = [
  {
    kind: 'Sidecar',
    yaml: `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: productpage, namespace: default}
spec:
  workloadSelector: {labels: {app: productpage}}
  egress: [{hosts: ["./reviews.default.svc.cluster.local"]}]`,
  },
  {
    kind: 'EnvoyFilter',
    yaml: `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: productpage-clusters, namespace: default}
spec:
  workloadSelector: {labels: {app: productpage}}
  configPatches:
  - applyTo: CLUSTER
    match: {context: SIDECAR_OUTBOUND, cluster: {service: reviews.default.svc.cluster.local, portNumber: 9080}}
    patch: {operation: MERGE, value: {connect_timeout: 2s}}`,
  },
];

const endpointEdit = (i: number): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-extra, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints: [{addresses: [127.0.1.${100 + i}], conditions: {ready: true}}]`;

describe('view cache, part keys', () => {
  it('works a proxy\'s part keys out again only when what they read changed, and its view is a fresh translation', async () => {
    const store = await loadConfigDir(EXAMPLE, new ConfigStore());
    let keyCalls = 0;
    const counted = partsFor('sidecar').map((part) => ({ ...part, key: (proxy: ProxyClass, snapshot: Snapshot) => (keyCalls++, part.key(proxy, snapshot)) }));
    const views = new ViewCache(() => counted, quiet);
    const proxies = (s: Snapshot) => [proxyOf(s, 'productpage-v1-0'), proxyOf(s, 'reviews-v1-0')];
    const check = (what: string): void => {
      const snapshot = store.snapshot();
      views.setSnapshot(snapshot);
      for (const proxy of proxies(snapshot)) assert.deepEqual(views.viewFor(proxy).json(), translate(snapshot, proxy), `${what}: the view of ${proxy.labels['app']} is a fresh translation`);
    };
    check('start');
    assert.equal(keyCalls, 2 * counted.length, 'each proxy\'s keys worked out once');
    KEY_EDITS.forEach((edit, i) => {
      keyCalls = 0;
      apply(store, 'endpoints.yaml', endpointEdit(i));
      check(`endpoint change ${i}`);
      assert.equal(keyCalls, 0, 'an endpoint change leaves every key as it was');
      apply(store, `${edit.kind}.yaml`, edit.yaml);
      check(`${edit.kind} added`);
      assert.ok(keyCalls >= counted.length, `a ${edit.kind} is read by keys: they are worked out again`);
      store.replaceSource(`${edit.kind}.yaml`, [], []);
      check(`${edit.kind} removed`);
    });
  });
});

describe('view cache, shared views', () => {
  it('gives the pods of one deployment one view when no piece reads their IPs, and each its own when one does', async () => {
    const store = await loadConfigDir(EXAMPLE, new ConfigStore());
    const views = new ViewCache((proxy) => partsFor(proxy.role), quiet);
    const replica = (s: Snapshot, ip: string, interceptionMode: ProxyClass['interceptionMode']): ProxyClass => ({ ...proxyOf(s, 'reviews-v1-0'), ips: [ip], interceptionMode });
    for (const [i, mode] of (['REDIRECT', 'NONE'] as const).entries()) {
      apply(store, 'endpoints.yaml', endpointEdit(i));
      const snapshot = store.snapshot();
      views.setSnapshot(snapshot);
      const [a, b] = [replica(snapshot, '127.0.1.50', mode), replica(snapshot, '127.0.1.51', mode)] as const;
      const [va, vb] = [views.viewFor(a), views.viewFor(b)];
      assert.equal(va === vb, mode === 'REDIRECT', `${mode}: ${mode === 'REDIRECT' ? 'one view' : 'a view each'}`);
      assert.deepEqual(va.json(), translate(snapshot, a), `${mode}: the first replica's view is a fresh translation`);
      assert.deepEqual(vb.json(), translate(snapshot, b), `${mode}: the second replica's view is a fresh translation`);
    }
  });
});
