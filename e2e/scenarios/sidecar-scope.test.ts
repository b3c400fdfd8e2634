// Sidecar scoping through real Envoy (issue 8, item 2), as Istio's Sidecar reference describes it:
// a Sidecar selecting productpage with `egress.hosts` limits the config its Envoy holds to the
// hosts listed, with `outboundTrafficPolicy: REGISTRY_ONLY` a request for any other host is
// refused with 502 (Istio's BlackHole route, a direct 502), and editing the Sidecar widens the
// scope on the running proxy. A Sidecar edited into something invalid (an egress host without a
// namespace) is reported and the last good one keeps being served.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Mesh } from '../harness/mesh';
import { get, sleep } from '../harness/net';
import { converge, describeMesh, viaSidecar } from '../harness/scenario';

const POD = 'productpage-v1-0';

function sidecar(hosts: string[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: productpage, namespace: default}
spec:
  workloadSelector: {labels: {app: productpage}}
  egress:
  - hosts: ${JSON.stringify(hosts)}
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`;
}

/** The hosts of the outbound clusters and of the route tables' virtual hosts an Envoy holds. */
async function heldHosts(mesh: Mesh, pod: string): Promise<{ clusters: string[]; virtualHosts: string[] }> {
  const envoy = mesh.workload(pod).envoy;
  const clusters = (await envoy.names('cluster')).filter((n) => n.startsWith('outbound|')).map((n) => n.split('|')[3]!);
  // Route tables of the active listeners only: a listener left out drains for a while, and the
  // route table it named stays in the dump until it is gone.
  const ports = new Set((await envoy.names('listener')).flatMap((n) => /_(\d+)$/.exec(n)?.[1] ?? []));
  type Dumped = { route_config?: { name: string; virtual_hosts?: { name: string; domains: string[] }[] } };
  const routes = ((await envoy.dynamic('route')) as Dumped[]).filter((r) => ports.has(r.route_config?.name ?? ''));
  const virtualHosts = routes.flatMap((r) => (r.route_config?.virtual_hosts ?? []).map((v) => v.name.replace(/:\d+$/, '')));
  return { clusters: [...new Set(clusters)].sort(), virtualHosts: [...new Set(virtualHosts)].sort() };
}

const host = (name: string) => `${name}.default.svc.cluster.local`;
const BOOKINFO = ['details', 'productpage', 'ratings', 'reviews'].map(host);
const status = async (mesh: Mesh, name: string) => (await get(mesh.outboundUrl(POD), { host: `${name}:9080` })).status;

describeMesh('Sidecar scoping', (mesh) => {
  test("a scoped proxy's Envoy holds only the hosts in its egress list; others keep the whole mesh", async (t) => {
    await mesh().apply(sidecar([`./${host('reviews')}`]));
    await converge(t, 'productpage scoped to reviews', async () => (await heldHosts(mesh(), POD)).clusters.join() === host('reviews'));
    const held = await heldHosts(mesh(), POD);
    assert.deepEqual(held.clusters, [host('reviews')], 'clusters: reviews (and its subsets) only');
    assert.deepEqual(held.virtualHosts.filter((v) => v !== 'block_all' && v !== 'allow_any'), [host('reviews')], 'virtual hosts: reviews only');
    // Kubernetes mode has more Services (kubernetes, Mast's own): every service, not only bookinfo's.
    const other = await heldHosts(mesh(), 'reviews-v1-0');
    assert.ok(BOOKINFO.every((h) => other.clusters.includes(h)), `a proxy the Sidecar does not select still sees every service: ${other.clusters.join(', ')}`);
  });

  test('a request for a host outside the scope gets 502 under REGISTRY_ONLY; one inside is served', async () => {
    assert.equal((await viaSidecar(mesh(), POD, 'reviews:9080')).service, 'reviews');
    assert.equal(await status(mesh(), 'details'), 502);
    assert.equal(await status(mesh(), 'ratings'), 502);
  });

  test('widening the Sidecar lets the running proxy reach the new host', async (t) => {
    await mesh().apply(sidecar([`./${host('reviews')}`, `default/${host('details')}`]));
    await converge(t, 'details reachable from productpage', async () => (await status(mesh(), 'details')) === 200);
    assert.deepEqual((await heldHosts(mesh(), POD)).clusters, [host('details'), host('reviews')]);
    assert.equal(await status(mesh(), 'ratings'), 502, 'ratings is still outside');
  });

  test('an egress host without a namespace is reported, and the last good Sidecar keeps serving', async (t) => {
    await mesh().apply(sidecar(['ratings']));
    await sleep(1000);
    assert.deepEqual((await heldHosts(mesh(), POD)).clusters, [host('details'), host('reviews')]);
    assert.equal(await status(mesh(), 'details'), 200);
    assert.equal(await status(mesh(), 'ratings'), 502);
    const log = readFileSync(path.join(mesh().logDir, 'mast.log'), 'utf8').split('\n').filter((l) => l.includes('MAST2045'));
    t.diagnostic(log[0] ?? 'no log line');
    assert.ok(log.some((l) => l.includes('Sidecar/default/productpage') && l.includes('spec.egress[0].hosts[0]')), 'one log line names the Sidecar and the field');
  });

  test('removing the Sidecar gives the proxy the whole mesh back', async (t) => {
    await mesh().delete('apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: productpage, namespace: default}\n');
    await converge(t, 'ratings reachable again', async () => (await status(mesh(), 'ratings')) === 200);
    const held = (await heldHosts(mesh(), POD)).clusters;
    assert.ok(BOOKINFO.every((h) => held.includes(h)), held.join(', '));
  });
});
