// Routing as Istio's docs describe it: through the ingress gateway and through a sidecar, by
// host, path and header, with Istio's request-routing task YAML applied unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { task } from '../harness/mesh';
import { get } from '../harness/net';
import { converge, describeMesh, productpage, reviewsSplit, seesOnly, viaSidecar } from '../harness/scenario';

describeMesh('routing', (mesh) => {
  test('the gateway sends /productpage to productpage, which reaches details and reviews through its sidecar', async () => {
    const answer = await productpage(mesh());
    assert.equal(answer.service, 'productpage');
    assert.equal(answer.path, '/productpage');
    assert.deepEqual(answer.calls.map((c) => c.body?.service), ['details', 'reviews']);
  });

  test('the gateway answers 404 for a path the bookinfo VirtualService does not match', async () => {
    assert.equal((await get(mesh().gatewayUrl('/not-bookinfo'))).status, 404);
  });

  test('a sidecar routes by Host, short or fully qualified', async () => {
    for (const [host, service] of [['details:9080', 'details'], ['ratings.default.svc.cluster.local:9080', 'ratings'], ['reviews.default:9080', 'reviews']]) {
      assert.equal((await viaSidecar(mesh(), 'productpage-v1-0', host as string)).service, service, host);
    }
  });

  test('with no VirtualService for reviews, every version serves', async () => {
    assert.ok(await seesOnly(mesh(), ['v1', 'v2', 'v3'], 30));
  });

  test("a match's statPrefix gives its route Envoy stats of its own", async (t) => {
    const sidecar = mesh().workload('productpage-v1-0');
    const counted = async (): Promise<number> => {
      const { text } = await get(`${sidecar.envoy.adminUrl}/stats?filter=ratings_get`);
      return Number(/\.route\.ratings_get\.upstream_rq_total: (\d+)/.exec(text)?.[1] ?? -1);
    };
    await mesh().apply(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-stats, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{method: {exact: GET}, statPrefix: ratings_get}]
    route: [{destination: {host: ratings}}]
`);
    try {
      // The stat exists (at 0) once the route is there; then each request through it counts.
      await converge(t, 'the route with its stat prefix', async () => (await counted()) >= 0);
      const before = await counted();
      for (let i = 0; i < 3; i++) assert.equal((await viaSidecar(mesh(), 'productpage-v1-0', 'ratings:9080')).service, 'ratings');
      assert.equal(await counted(), before + 3);
    } finally {
      await mesh().delete('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ratings-stats, namespace: default}\n');
    }
  });

  test('a delegate VirtualService routes what its root hands it, and its removal takes the rule back out', async (t) => {
    // The root (hosts: ratings) hands requests with x-delegate to a delegate (no hosts), whose
    // rule sends them to details; the rest go to ratings by the root's own rule.
    const delegate = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-delegate, namespace: default}
spec:
  http:
  - route: [{destination: {host: details}}]
`;
    const root = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-root, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{headers: {x-delegate: {exact: "yes"}}}]
    delegate: {name: ratings-delegate}
  - route: [{destination: {host: ratings}}]
`;
    const serviceFor = async (headers: Record<string, string>): Promise<string> => (await viaSidecar(mesh(), 'productpage-v1-0', 'ratings:9080', { headers })).service;
    await mesh().apply(delegate);
    await mesh().apply(root);
    try {
      await converge(t, 'the delegated rule', async () => (await serviceFor({ 'x-delegate': 'yes' })) === 'details');
      assert.equal(await serviceFor({}), 'ratings');
      await mesh().delete(delegate);
      await converge(t, 'the rule gone with its delegate', async () => (await serviceFor({ 'x-delegate': 'yes' })) === 'ratings');
    } finally {
      await mesh().delete(root);
      await mesh().delete(delegate);
    }
  });

  test("request routing (Istio's task): everything to v1, then end-user jason to v2", async (t) => {
    await mesh().apply(task('virtual-service-all-v1.yaml'));
    await converge(t, 'virtual-service-all-v1', () => seesOnly(mesh(), ['v1']));

    await mesh().apply(task('virtual-service-reviews-test-v2.yaml'));
    await converge(t, 'virtual-service-reviews-test-v2', () => seesOnly(mesh(), ['v2'], 10, { 'end-user': 'jason' }));
    assert.deepEqual(await reviewsSplit(mesh(), 20, { 'end-user': 'jason' }), { v2: 20 });
    assert.deepEqual(await reviewsSplit(mesh(), 20), { v1: 20 });
    assert.deepEqual(await reviewsSplit(mesh(), 20, { 'end-user': 'mallory' }), { v1: 20 });

    // The same rule applies to a request that enters at productpage's sidecar directly.
    assert.equal((await viaSidecar(mesh(), 'productpage-v1-0', 'reviews:9080', { headers: { 'end-user': 'jason' } })).version, 'v2');
    assert.equal((await viaSidecar(mesh(), 'productpage-v1-0', 'reviews:9080')).version, 'v1');
  });
});
