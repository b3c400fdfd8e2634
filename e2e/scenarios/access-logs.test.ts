// Access logs through real Envoy (issue 9, item 2), as Istio's "Envoy Access Logs" and "Telemetry
// API" tasks set them up: MeshConfig `accessLogEncoding: JSON` and a Telemetry in the root
// namespace turning Istio's built-in `envoy` provider on mesh-wide give one JSON line per request
// in each sidecar's stdout, in Istio's default labels; a Telemetry in one namespace with
// `disabled: true` turns it off there only. The Envoys' stdout is their log file (harness/envoy.ts).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Mesh } from '../harness/mesh';
import { get, sleep, waitFor } from '../harness/net';
import { tempDir } from '../harness/processes';
import { converge, describeMesh } from '../harness/scenario';

const MESH_CONFIG = path.join(tempDir('access-logs'), 'mesh.yaml');
writeFileSync(MESH_CONFIG, 'accessLogEncoding: JSON\n');

const telemetry = (namespace: string, name: string, accessLogging: object[]) =>
  JSON.stringify({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { namespace, name }, spec: { accessLogging } });
const MESH_WIDE = telemetry('istio-system', 'mesh-default', [{ providers: [{ name: 'envoy' }] }]);
const DEFAULT_OFF = telemetry('default', 'no-logs', [{ disabled: true }]);

const CLIENT = 'productpage-v1-0';
const GATEWAY = 'istio-ingressgateway-0';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

/** The JSON access log lines in an Envoy's stdout (its other output is Envoy's own log, not JSON). */
function accessLines(mesh: Mesh, pod: string): Record<string, string | number | null>[] {
  const text = readFileSync(mesh.workload(pod).envoy.proc.logFile, 'utf8');
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, string | number | null>);
}

const reviewsPods = (mesh: Mesh): string[] => mesh.workloads.filter((w) => w.pod.startsWith('reviews-')).map((w) => w.pod);

/** GET `/PATH` to reviews through productpage's sidecar. */
async function toReviews(mesh: Mesh, urlPath: string): Promise<number> {
  return (await get(mesh.outboundUrl(CLIENT, 9080, urlPath), { host: 'reviews:9080' })).status;
}

describeMesh(
  'Access logs',
  (mesh) => {
    test('one JSON line per request in the client sidecar\'s log: method, path, response code, upstream cluster', async (t) => {
      await mesh().apply(MESH_WIDE);
      // Converged when the client sidecar and every reviews sidecar log: a connection pooled
      // before the change stays on the listener it was accepted by until that one drains.
      const probe = `/probe-${Date.now()}`;
      let k = 0;
      const ms = await waitFor(async () => {
        assert.equal(await toReviews(mesh(), `${probe}/${k++}`), 200);
        const logged = (pod: string) => accessLines(mesh(), pod).some((l) => String(l.path).startsWith(probe));
        return logged(CLIENT) && reviewsPods(mesh()).every(logged);
      }, 15_000, 'productpage and every reviews sidecar log', 100);
      t.diagnostic(`logging on every sidecar after ${Math.round(ms)} ms`);
      const run = `/logged-${Date.now()}`;
      const n = 5;
      for (let i = 0; i < n; i++) assert.equal(await toReviews(mesh(), `${run}/${i}`), 200);
      // The harness's Envoys write their file logs out every second (--file-flush-interval-msec).
      await converge(t, `${n} lines`, async () => accessLines(mesh(), CLIENT).filter((l) => String(l.path).startsWith(run)).length >= n);
      const lines = accessLines(mesh(), CLIENT).filter((l) => String(l.path).startsWith(run));
      t.diagnostic(JSON.stringify(lines[0]));
      assert.deepEqual(lines.map((l) => l.path).sort(), Array.from({ length: n }, (_, i) => `${run}/${i}`), 'one line per request');
      for (const l of lines) {
        assert.equal(l.method, 'GET');
        assert.equal(l.response_code, 200);
        assert.equal(l.upstream_cluster, REVIEWS);
        assert.equal(l.authority, 'reviews:9080');
        assert.ok(l.request_id, 'the x-request-id Envoy made');
      }
      // The server side logs each request too, on the reviews pod that served it.
      const served = () => reviewsPods(mesh()).flatMap((pod) => accessLines(mesh(), pod)).filter((l) => String(l.path).startsWith(run));
      await converge(t, `${n} lines on the reviews sidecars`, async () => served().length >= n);
      assert.equal(served().length, n);
      assert.ok(served().every((l) => String(l.upstream_cluster).startsWith('inbound|9080|')));
    });

    test('a Telemetry disabling access logs in one namespace silences it there only', async (t) => {
      await mesh().apply(DEFAULT_OFF);
      // Converged when a request through productpage's sidecar leaves no line on it or on reviews
      // (connections accepted before the change log until their listener drains).
      const ms = await waitFor(async () => {
        const probe = `/quiet-${Date.now()}`;
        assert.equal(await toReviews(mesh(), probe), 200);
        await sleep(1500);
        return ![CLIENT, ...reviewsPods(mesh())].some((pod) => accessLines(mesh(), pod).some((l) => l.path === probe));
      }, 15_000, 'the default namespace silent', 100);
      t.diagnostic(`silent after ${Math.round(ms)} ms`);
      const quiet = `/after-${Date.now()}`;
      for (let i = 0; i < 3; i++) assert.equal(await toReviews(mesh(), `${quiet}/${i}`), 200);
      // The gateway's namespace (istio-system) still logs: a request through it is logged there.
      const gateway = `/productpage?run=${Date.now()}`;
      assert.equal((await get(mesh().gatewayUrl(gateway))).status, 200);
      await converge(t, 'the gateway logs', async () => accessLines(mesh(), GATEWAY).some((l) => l.path === gateway));
      // Past a flush of the sidecars' logs (a second), which the quiet requests would be in.
      await sleep(1500);
      assert.equal(accessLines(mesh(), CLIENT).filter((l) => String(l.path).startsWith(quiet)).length, 0, 'productpage\'s sidecar logged nothing');
      const reviews = reviewsPods(mesh()).flatMap((pod) => accessLines(mesh(), pod));
      assert.equal(reviews.filter((l) => String(l.path).startsWith(quiet)).length, 0, 'nor did the reviews sidecars');
      await mesh().delete(DEFAULT_OFF);
    });
  },
  { mastArgs: ['--mesh-config', MESH_CONFIG] },
);
