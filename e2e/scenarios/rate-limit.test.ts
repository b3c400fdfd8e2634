// Rate limits (issue 9, item 4; Mixer's quota done the Envoy way), through EnvoyFilter on bookinfo's
// ingress gateway, run as two replicas (e2e/cases/rate-limit):
// - local: 10 requests a minute on the route named `api`, in the shape of Istio's task (an
//   HTTP_FILTER patch and an HTTP_ROUTE MERGE): the 11th request within the minute gets 429 from
//   that replica, /productpage on the same replica is untouched, and the other replica still
//   answers `api` (a local limit is per proxy);
// - global: Istio's "Enabling Rate Limits using Envoy" task applied unchanged (its ConfigMap and
//   EnvoyFilters as istio.io publishes them, in e2e/cases/rate-limit/istio-task; the ratelimit
//   Service and the service's environment from samples/ratelimit/rate-limit-service.yaml in the
//   pinned istio.io/istio module), with the real envoyproxy/ratelimit service (`make ratelimit`)
//   counting in a real Redis (`make redis`): /productpage is allowed once a minute across both
//   replicas, the next request through either gets 429, and other paths (100 a minute) pass.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { istioModuleDir } from '../../test/conformance/corpus';
import { BOOKINFO, type Mesh, type Workload } from '../harness/mesh';
import { get, sleep, waitFor, type Reply } from '../harness/net';
import { startRateLimit } from '../harness/ratelimit';
import { startRedis } from '../harness/redis';
import { describeMesh } from '../harness/scenario';
import { endpointSliceYaml } from '../harness/service-yaml';

const CASE = path.join(__dirname, '..', 'cases', 'rate-limit');
const taskFile = (name: string): string => readFileSync(path.join(CASE, 'istio-task', name), 'utf8');
const LOCAL = readFileSync(path.join(CASE, 'local', 'filter-local-ratelimit-api.yaml'), 'utf8');
// Applied by the tests rather than kept in the case folder: the file backend replaces an object
// only where `apply` wrote it, and the local test replaces its VirtualService with the task's.
const BOOKINFO_GATEWAY = readFileSync(path.join(BOOKINFO, 'bookinfo-gateway.yaml'), 'utf8');

interface SampleDoc {
  kind: string;
  metadata: { name: string };
  spec: { template?: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
}

/** Istio's samples/ratelimit/rate-limit-service.yaml: the ratelimit Service's own text, and the env its Deployment runs the service with. */
function istioSample(): { service: string; env: Record<string, string> } {
  const docs = parseAllDocuments(readFileSync(path.join(istioModuleDir(), 'samples', 'ratelimit', 'rate-limit-service.yaml'), 'utf8'));
  const find = (kind: string) => docs.find((d) => {
    const o = d.toJS() as SampleDoc | null;
    return o?.kind === kind && o.metadata.name === 'ratelimit';
  });
  const service = find('Service');
  const deployment = find('Deployment')?.toJS() as SampleDoc | undefined;
  const env = deployment?.spec.template?.spec.containers[0]?.env;
  assert.ok(service && env, 'samples/ratelimit/rate-limit-service.yaml has the ratelimit Service and Deployment');
  return { service: service.toString(), env: Object.fromEntries(env.map((e) => [e.name, e.value])) };
}

const gateways = (mesh: Mesh): Workload[] => mesh.workloads.filter((w) => w.role === 'router').sort((a, b) => a.pod.localeCompare(b.pod));
const via = (w: Workload, urlPath: string): Promise<Reply> => get(`http://${w.ip}:${w.port}${urlPath}`, { timeoutMs: 5000 });

/** Whether the gateway's config holds `text` (a filter name, a route's bucket), as Envoy has it. */
async function holds(w: Workload, text: string): Promise<boolean> {
  return JSON.stringify(await w.envoy.configDump()).includes(text);
}

/** Waits until the next request is far enough from a minute's end that a per-minute window cannot turn over mid-test. */
async function clearOfMinuteEnd(t: TestContext, marginMs = 5000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left > marginMs) return;
  t.diagnostic(`waiting ${left} ms for the next minute`);
  await sleep(left + 50);
}

describeMesh('rate limits', (mesh) => {
  test('local: the 11th request on the limited route gets 429 from that replica; another route and the other replica are untouched', async () => {
    const [a, b] = gateways(mesh());
    assert.ok(a && b, 'two gateway replicas');
    await mesh().apply(BOOKINFO_GATEWAY);
    await mesh().apply(taskFile('virtual-service-bookinfo-api.yaml'));
    await mesh().apply(LOCAL);
    await waitFor(async () => (await holds(a, 'x-local-rate-limit')) && (await holds(b, 'x-local-rate-limit')), 10_000, 'the route bucket on both replicas', 100);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await via(a, '/api/v1/products')).status);
    assert.deepEqual(statuses, [...Array(10).fill(200), 429], 'ten pass, the eleventh is limited');
    const limited = await via(a, '/api/v1/products');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['x-local-rate-limit'], 'true', "the task's response header on the limited answer");
    for (let i = 0; i < 12; i++) assert.equal((await via(a, '/productpage')).status, 200, `/productpage #${i + 1} on the same replica`);
    assert.equal((await via(b, '/api/v1/products')).status, 200, 'the other replica has its own bucket');
    await mesh().delete(LOCAL);
    await mesh().apply(BOOKINFO_GATEWAY);
    await waitFor(async () => !(await holds(a, 'x-local-rate-limit')) && !(await holds(b, 'x-local-rate-limit')), 10_000, 'the local limit gone', 100);
  });

  test("global: Istio's task unchanged, the real ratelimit service and Redis: /productpage once a minute across both replicas", async (t) => {
    const [a, b] = gateways(mesh());
    assert.ok(a && b, 'two gateway replicas');
    await mesh().apply(BOOKINFO_GATEWAY);
    const sample = istioSample();
    const prefix = a.ip.split('.').slice(0, 2).join('.');
    const redis = await startRedis();
    const config = parse(taskFile('ratelimit-config.yaml')) as { data: Record<string, string> };
    const rls = await startRateLimit({ redisUrl: redis.url, config: config.data, env: sample.env, host: `${prefix}.5.1` });
    t.after(async () => {
      await rls.stop();
      await redis.stop();
    });
    // Where the sample's Service finds its Pod: the service the test started.
    await mesh().apply(`${sample.service}
---
${endpointSliceYaml('ratelimit', { name: 'ratelimit-e2e', ports: [{ name: 'grpc-port', port: rls.grpcPort }], endpoints: [{ ip: rls.host }] })}`);
    await mesh().apply(taskFile('filter-ratelimit.yaml'));
    await mesh().apply(taskFile('filter-ratelimit-svc.yaml'));
    for (const g of [a, b]) {
      await waitFor(async () => (await holds(g, 'envoy.filters.http.ratelimit')) && (await holds(g, '"descriptor_key":"PATH"')), 10_000, `the task's filter and actions on ${g.pod}`, 100);
      // failure_mode_deny: a 200 here means this replica reached the ratelimit service (500 if not).
      await waitFor(async () => (await via(g, '/api/v1/products/1')).status === 200, 10_000, `${g.pod} to reach the ratelimit service`, 100);
    }
    await clearOfMinuteEnd(t);
    const first = await via(a, '/productpage');
    const second = await via(b, '/productpage');
    const third = await via(a, '/productpage');
    assert.deepEqual([first.status, second.status, third.status], [200, 429, 429], 'one a minute, counted across the replicas');
    assert.equal(second.headers['x-envoy-ratelimited'], 'true', "Envoy's ratelimit filter answered");
    for (const g of [a, b]) assert.equal((await via(g, '/api/v1/products/2')).status, 200, `other paths (100 a minute) pass on ${g.pod}`);
  });
}, { source: CASE });
