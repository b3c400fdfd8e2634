// A watch broken by restarting kube-apiserver mid-test: Mast keeps serving the last config while
// the API server is away, re-establishes its watches, and catches up with a change made right
// after the restart, with no failed request through Envoy meanwhile.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { task } from '../harness/mesh';
import { waitFor } from '../harness/net';
import { converge, seesOnly, trafficLoop } from '../harness/scenario';
import { isKubeBackend } from './harness/backend';
import { kubeMeshPerFile } from './harness/mesh';

const mesh = kubeMeshPerFile();

/** After a restart Mast may still be in its retry backoff (at most 5 s), so the budget is wider than CONVERGE_MS. */
async function catchUp(t: TestContext, what: string, predicate: () => Promise<boolean>): Promise<void> {
  const ms = await waitFor(predicate, 15_000, what, 50);
  t.diagnostic(`${what}: converged in ${Math.round(ms)} ms`);
}

test('restarting kube-apiserver fails no request, and a change right after it reaches Envoy', async (t) => {
  const backend = mesh().backend;
  assert.ok(isKubeBackend(backend));
  const kube = backend.kube;
  await mesh().apply(task('virtual-service-all-v1.yaml'));
  await converge(t, 'all to v1', () => seesOnly(mesh(), ['v1']));

  const loop = trafficLoop(mesh());
  const restartMs = await kube.restartApiserver({ downMs: 1000 });
  t.diagnostic(`kube-apiserver down and back in ${restartMs} ms`);
  await mesh().apply(task('virtual-service-reviews-v3.yaml'));
  await catchUp(t, 'change after the restart', () => seesOnly(mesh(), ['v3']));

  const crashMs = await kube.restartApiserver({ crash: true });
  t.diagnostic(`kube-apiserver killed and back in ${crashMs} ms`);
  await mesh().apply(task('virtual-service-reviews-test-v2.yaml'));
  await catchUp(t, 'change after the crash', () => seesOnly(mesh(), ['v2'], 10, { 'end-user': 'jason' }));

  const { requests, failures } = await loop.stop();
  t.diagnostic(`${requests} requests through the restarts, ${failures.length} failed`);
  assert.deepEqual(failures, []);
});
