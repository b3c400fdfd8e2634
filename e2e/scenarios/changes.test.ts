// Config changes under load and removals: no request fails while routes switch and services come
// and go, and what is deleted from the config dir leaves Envoy and Mast's debug view.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { task, type Mesh } from '../harness/mesh';
import { waitFor } from '../harness/net';
import { converge, describeMesh, seesOnly, trafficLoop } from '../harness/scenario';
import { serviceWithEndpoints } from '../harness/service-yaml';

const NEXT_HOST = 'reviews-next.default.svc.cluster.local';
const NEXT_CLUSTER = `outbound|9080||${NEXT_HOST}`;

/** A new service in front of the reviews-v2 pod, with a subset, as one would add a canary. */
function reviewsNext(mesh: Mesh): string {
  const pod = mesh.workload('reviews-v2-0');
  return `${serviceWithEndpoints('reviews-next', { ports: [{ name: 'http', port: 9080, targetPort: 9080 }], selector: { app: 'reviews', version: 'v2' }, endpoints: [{ ip: pod.ip, pod: pod.pod }] })}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-next, namespace: default}
spec:
  host: reviews-next
  subsets: [{name: canary, labels: {version: v2}}]
`;
}

/** The reviews VirtualService sending everything to reviews-next's canary subset. */
const REVIEWS_TO_NEXT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews-next, subset: canary}
`;

describeMesh('changes', (mesh) => {
  test('no request fails while a route switches subset and a service is added and removed', async (t) => {
    await mesh().apply(task('virtual-service-all-v1.yaml'));
    await converge(t, 'all to v1', () => seesOnly(mesh(), ['v1']));
    const loop = trafficLoop(mesh());

    await mesh().apply(task('virtual-service-reviews-v3.yaml'));
    await converge(t, 'route switched to subset v3', () => seesOnly(mesh(), ['v3']));

    // The route to a service that did not exist a moment ago lands in the same edit: Envoy must
    // get the new cluster and its endpoints before the route that uses them.
    await mesh().apply(reviewsNext(mesh()));
    await mesh().apply(REVIEWS_TO_NEXT);
    await converge(t, 'route switched to a new service', () => seesOnly(mesh(), ['v2']));

    await mesh().apply(task('virtual-service-reviews-v3.yaml'));
    await converge(t, 'route switched back to v3', () => seesOnly(mesh(), ['v3']));
    await mesh().delete(reviewsNext(mesh()));
    const envoy = mesh().workload('productpage-v1-0').envoy;
    await converge(t, 'service removed', async () => !(await envoy.names('cluster')).includes(NEXT_CLUSTER));

    const { requests, failures } = await loop.stop();
    t.diagnostic(`${requests} requests during the changes, ${failures.length} failed`);
    assert.deepEqual(failures, []);
    assert.ok(requests > 50, `only ${requests} requests ran`);
  });

  test('deleting a VirtualService removes it from Envoy and from /debug/config_dump', async () => {
    const source = 'VirtualService/default/reviews';
    const subsetRoute = '"cluster":"outbound|9080|v3|reviews.default.svc.cluster.local"';
    const w = mesh().workload('productpage-v1-0');
    const routes = async (): Promise<string> => JSON.stringify(await w.envoy.dynamic('route'));
    const mast = async (): Promise<string> => JSON.stringify(await mesh().mast.configDump(w.nodeId));

    await mesh().apply(task('virtual-service-reviews-v3.yaml'));
    await waitFor(async () => (await routes()).includes(subsetRoute), 5000, 'the reviews v3 route in Envoy');
    assert.ok((await routes()).includes(source), `Envoy's routes carry no provenance naming ${source}`);
    assert.ok((await mast()).includes(source), `Mast's config_dump names no ${source}`);

    await mesh().delete(task('virtual-service-reviews-v3.yaml'));
    await waitFor(async () => !(await routes()).includes(subsetRoute), 5000, 'the reviews v3 route to leave Envoy');
    assert.ok(!(await routes()).includes(source), `Envoy's routes still name ${source}`);
    assert.ok(!(await mast()).includes(source), `Mast's config_dump still names ${source}`);
  });

  test('deleting a Service removes its cluster from Envoy and from /debug/config_dump', async () => {
    const w = mesh().workload('productpage-v1-0');
    const inMast = async (): Promise<boolean> => JSON.stringify(await mesh().mast.configDump(w.nodeId)).includes(NEXT_CLUSTER);
    await mesh().apply(reviewsNext(mesh()));
    await w.envoy.waitForResource('cluster', NEXT_CLUSTER, 5000);
    assert.ok(await inMast(), `Mast's config_dump has no ${NEXT_CLUSTER}`);

    await mesh().delete(reviewsNext(mesh()));
    await waitFor(async () => !(await w.envoy.names('cluster')).includes(NEXT_CLUSTER), 5000, `${NEXT_CLUSTER} to leave Envoy`);
    assert.ok(!(await inMast()), `Mast's config_dump still has ${NEXT_CLUSTER}`);
  });
});
