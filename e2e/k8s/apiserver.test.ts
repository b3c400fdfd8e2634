// The Kubernetes harness against the real thing: etcd, kube-apiserver and kube-controller-manager
// built from the pinned release (`make kube-bins`), EndpointSlices made by the real controller
// from a Service and a Pod whose status the harness sets, data that survives an apiserver restart
// (which breaks watches), and CRDs applied from a directory.
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  VersionApi,
  Watch,
  type KubeConfig,
  type V1EndpointSlice,
} from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/model/log';
import { WATCHED_KINDS, type KubeItem } from '../../src/sources/kubernetes/kinds';
import { watchKind } from '../../src/sources/kubernetes/informer';
import { waitFor } from '../harness/net';
import { cleanup, isRunning, tempDir } from '../harness/processes';
import { setPodStatus, startKube, type Kube } from './harness/apiserver';
import { applyCrds } from './harness/crds';

const NS = 'e2e-apiserver';
// A pod IP for the EndpointSlice: validation refuses loopback addresses in EndpointSlices (see the
// loopback test below), so this is TEST-NET-1 (RFC 5737), a documentation range. Only API objects
// carry it; nothing ever sends a packet to it.
const POD_IP = '192.0.2.50';
const LOOPBACK_POD_IP = '127.0.1.50';

let kube: Kube;
let kc: KubeConfig;
let core: CoreV1Api;
let discovery: DiscoveryV1Api;

before(async () => {
  kube = await startKube();
  kc = kube.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  discovery = kc.makeApiClient(DiscoveryV1Api);
});

after(async () => {
  await kube?.stop();
  await cleanup();
});

async function slicesFor(service: string): Promise<V1EndpointSlice[]> {
  const list = await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: `kubernetes.io/service-name=${service}` });
  return list.items;
}

/** [address, ready] of every endpoint in the Service's EndpointSlices. */
async function endpointsOf(service: string): Promise<[string, boolean | undefined][]> {
  return (await slicesFor(service)).flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses.map((a): [string, boolean | undefined] => [a, e.conditions?.ready])));
}

async function createServiceAndPod(service: string, pod: string): Promise<void> {
  await core.createNamespacedService({
    namespace: NS,
    body: { metadata: { name: service }, spec: { selector: { app: service }, ports: [{ name: 'http', port: 9080, targetPort: 9080 }] } },
  });
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: pod, labels: { app: service, version: 'v1' } },
      spec: { containers: [{ name: 'app', image: 'mast.local/echo:e2e', ports: [{ containerPort: 9080, name: 'http' }] }] },
    },
  });
}

test('startKube brings up etcd, kube-apiserver and kube-controller-manager at the pinned release', async (t) => {
  const { etcd, apiserver, controllerManager } = kube.procs();
  assert.ok(isRunning(etcd) && isRunning(apiserver) && isRunning(controllerManager));
  const version = await kc.makeApiClient(VersionApi).getCode();
  assert.equal(version.gitVersion, `v${kube.bins.kubeVersion}`);
  assert.match(readFileSync(kube.kubeconfigPath, 'utf8'), /client-certificate-data/);
  t.diagnostic(`kubernetes ${version.gitVersion}, etcd ${kube.bins.etcdVersion}; startKube ${JSON.stringify(kube.timings)} ms`);

  await core.createNamespace({ body: { metadata: { name: NS } } });
  // Pods need the namespace's `default` ServiceAccount, which the serviceaccount controller makes.
  const ms = await waitFor(async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: NS })), 30_000, 'the default ServiceAccount');
  t.diagnostic(`default ServiceAccount after ${Math.round(ms)} ms`);
});

test('the EndpointSlice controller lists a Pod once the harness sets its status as a kubelet would', async (t) => {
  await createServiceAndPod('reviews', 'reviews-v1-1');
  // Created but with no IP yet: the controller makes an empty slice (or none), never an address.
  assert.deepEqual(await endpointsOf('reviews'), []);

  const start = performance.now();
  const pod = await setPodStatus(kc, NS, 'reviews-v1-1', { podIP: POD_IP, ready: true });
  assert.equal(pod.status?.podIP, POD_IP);
  assert.ok(pod.spec?.nodeName, 'bound to the harness Node');
  await waitFor(async () => JSON.stringify(await endpointsOf('reviews')) === JSON.stringify([[POD_IP, true]]), 30_000, `an EndpointSlice with ${POD_IP}`);
  t.diagnostic(`EndpointSlice with ${POD_IP} (ready) ${Math.round(performance.now() - start)} ms after the Pod status was set`);

  const [slice] = await slicesFor('reviews');
  assert.equal(slice!.addressType, 'IPv4');
  assert.equal(slice!.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.deepEqual(slice!.ports?.map((p) => [p.name, p.port]), [['http', 9080]]);
  assert.equal(slice!.endpoints?.[0]?.targetRef?.name, 'reviews-v1-1');

  // Not ready: the endpoint stays, marked not ready.
  const t2 = performance.now();
  await setPodStatus(kc, NS, 'reviews-v1-1', { podIP: POD_IP, ready: false });
  await waitFor(async () => JSON.stringify(await endpointsOf('reviews')) === JSON.stringify([[POD_IP, false]]), 30_000, 'the endpoint to turn not ready');
  t.diagnostic(`endpoint not ready ${Math.round(performance.now() - t2)} ms after the status changed`);
  await setPodStatus(kc, NS, 'reviews-v1-1', { podIP: POD_IP, ready: true });
  await waitFor(async () => JSON.stringify(await endpointsOf('reviews')) === JSON.stringify([[POD_IP, true]]), 30_000, 'the endpoint to be ready again');
});

test('a loopback Pod IP is kept on the Pod but refused in an EndpointSlice by API validation', async () => {
  await createServiceAndPod('ratings', 'ratings-v1-1');
  const pod = await setPodStatus(kc, NS, 'ratings-v1-1', { podIP: LOOPBACK_POD_IP, ready: true });
  assert.equal(pod.status?.podIP, LOOPBACK_POD_IP, 'the Pod status accepts it');
  const log = path.join(kube.dir, 'kube-controller-manager.log');
  await waitFor(() => /ratings[\s\S]*may not be in the loopback range|may not be in the loopback range[\s\S]*ratings/.test(readFileSync(log, 'utf8')), 30_000, 'the controller to report the refused slice');
  assert.deepEqual((await endpointsOf('ratings')).filter(([a]) => a === LOOPBACK_POD_IP), []);
});

// managedFields are the API server's record of who set which field, often larger than the spec;
// Mast never reads them, and the informer's cache holds what Mast's handler was given.
test('Mast\'s informer hands objects over without the managedFields the API server keeps, listed and watched', async () => {
  await createServiceAndPod('informed', 'informed-v1-1');
  const stored = await core.readNamespacedService({ name: 'informed', namespace: NS });
  assert.ok(stored.metadata?.managedFields?.length, 'the API server records who set the fields');
  const seen = new Map<string, KubeItem>();
  const services = WATCHED_KINDS.find((k) => k.kind === 'Service')!;
  const sink = { upsert: (_k: unknown, obj: KubeItem) => seen.set(obj.metadata!.name!, obj), remove: () => {} };
  const watch = watchKind(kc, services, sink, silentLogger, { initialMs: 100, maxMs: 1000 });
  try {
    await watch.synced;
    assert.equal(seen.get('informed')?.metadata?.name, 'informed', 'listed');
    assert.equal(seen.get('informed')!.metadata!.managedFields, undefined);
    await createServiceAndPod('watched', 'watched-v1-1');
    await waitFor(() => seen.has('watched'), 10_000, 'the watch to bring the new Service');
    assert.equal(seen.get('watched')!.metadata!.managedFields, undefined);
  } finally {
    watch.stop();
  }
});

test('a kube-apiserver restart breaks watches and keeps the data', async (t) => {
  // A watch opened before the restart ends when the apiserver goes away.
  let watchEnded: (err: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => (watchEnded = resolve));
  const seen: string[] = [];
  const controller = await new Watch(kc).watch(
    `/api/v1/namespaces/${NS}/services`,
    {},
    (phase, obj: { metadata?: { name?: string } }) => seen.push(`${phase} ${obj.metadata?.name}`),
    (err) => watchEnded(err ?? 'closed'),
  );
  await waitFor(() => seen.includes('ADDED reviews'), 10_000, 'the watch to list reviews');

  const restartMs = await kube.restartApiserver({ downMs: 500 });
  t.diagnostic(`kube-apiserver restarted and ready in ${restartMs} ms`);
  await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the watch did not end')), 10_000))]);
  controller.abort();

  // Fresh clients after the restart: the same objects from the same etcd.
  const kc2 = kube.kubeConfig();
  const core2 = kc2.makeApiClient(CoreV1Api);
  const svc = await core2.readNamespacedService({ name: 'reviews', namespace: NS });
  assert.deepEqual(svc.spec?.selector, { app: 'reviews' });
  const pod = await core2.readNamespacedPod({ name: 'reviews-v1-1', namespace: NS });
  assert.equal(pod.status?.podIP, POD_IP);
  assert.deepEqual(await endpointsOf('reviews'), [[POD_IP, true]]);

  // The controller-manager reconnects by itself: a change after the restart still gets a slice.
  const start = performance.now();
  await createServiceAndPod('details', 'details-v1-1');
  await setPodStatus(kc2, NS, 'details-v1-1', { podIP: '192.0.2.51', ready: true });
  await waitFor(async () => JSON.stringify(await endpointsOf('details')) === JSON.stringify([['192.0.2.51', true]]), 60_000, 'an EndpointSlice for details after the restart');
  t.diagnostic(`EndpointSlice after the restart in ${Math.round(performance.now() - start)} ms`);

  // A crash (SIGKILL, no GOAWAY) loses nothing either: etcd holds the data.
  const crashMs = await kube.restartApiserver({ crash: true });
  t.diagnostic(`kube-apiserver killed and ready again in ${crashMs} ms`);
  assert.deepEqual(await endpointsOf('details'), [['192.0.2.51', true]]);
});

test('applyCrds installs the CRDs in a directory, again without error, and they serve objects', async () => {
  const dir = tempDir('crds');
  writeFileSync(
    path.join(dir, 'widgets.yaml'),
    `# not a CRD: skipped
apiVersion: v1
kind: ConfigMap
metadata: { name: ignored }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.mast.local
spec:
  group: e2e.mast.local
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer, minimum: 1 }
`,
  );
  assert.deepEqual(await applyCrds(kc, dir), ['widgets.e2e.mast.local']);
  assert.deepEqual(await applyCrds(kc, dir), ['widgets.e2e.mast.local']);

  const custom = kc.makeApiClient(CustomObjectsApi);
  const target = { group: 'e2e.mast.local', version: 'v1', namespace: NS, plural: 'widgets' };
  await custom.createNamespacedCustomObject({ ...target, body: { apiVersion: 'e2e.mast.local/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } } });
  const w = (await custom.getNamespacedCustomObject({ ...target, name: 'w1' })) as { spec: { size: number } };
  assert.equal(w.spec.size, 3);
  await assert.rejects(
    custom.createNamespacedCustomObject({ ...target, body: { apiVersion: 'e2e.mast.local/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 0 } } }),
    (err: { code?: number; body?: unknown }) => err.code === 422 && String(err.body).includes('spec.size'),
  );
});
