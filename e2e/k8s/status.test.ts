// An invalid VirtualService that gets past admission (no webhook installed here) is reported in
// its own `.status.conditions`, by the Lease holder, naming the field; it never reaches Envoy,
// which keeps the last accepted version; fixing it turns the condition back to Accepted.
import { CustomObjectsApi } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { StatusCondition } from '../../src/sources/kubernetes/status';
import type { ConnectionStatus } from '../../src/xds/connection';
import { BAD_WEIGHTS } from '../harness/invalid-config';
import { task } from '../harness/mesh';
import { waitFor } from '../harness/net';
import { converge, seesOnly } from '../harness/scenario';
import { isKubeBackend } from './harness/backend';
import { kubeMeshPerFile } from './harness/mesh';

const mesh = kubeMeshPerFile();

async function accepted(name: string): Promise<StatusCondition | undefined> {
  const backend = mesh().backend;
  assert.ok(isKubeBackend(backend));
  const api = backend.kube.kubeConfig().makeApiClient(CustomObjectsApi);
  const vs = (await api.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace: 'default', plural: 'virtualservices', name })) as {
    metadata: { generation: number };
    status?: { conditions?: StatusCondition[] };
  };
  const c = vs.status?.conditions?.find((x) => x.type === 'Accepted');
  // Only a condition about the current generation answers for what is stored now.
  return c?.observedGeneration === vs.metadata.generation ? c : undefined;
}

async function statusSays(t: TestContext, what: string, name: string, status: 'True' | 'False'): Promise<StatusCondition> {
  let seen: StatusCondition | undefined;
  const ms = await waitFor(async () => (seen = await accepted(name))?.status === status, 5000, `${what} (Accepted=${status} on VirtualService ${name})`, 50);
  t.diagnostic(`${what}: status written ${Math.round(ms)} ms after the change`);
  return seen!;
}

test('an invalid VirtualService past admission gets a status naming the field and never reaches Envoy', async (t) => {
  await mesh().apply(task('virtual-service-all-v1.yaml'));
  await converge(t, 'all to v1', () => seesOnly(mesh(), ['v1']));
  const ok = await statusSays(t, 'valid VirtualService', 'reviews', 'True');
  assert.equal(ok.reason, 'Accepted');

  await mesh().apply(BAD_WEIGHTS);
  const bad = await statusSays(t, 'invalid weights', 'reviews', 'False');
  assert.equal(bad.reason, 'Invalid');
  assert.match(bad.message, /spec\.http\[0\]\.route: MAST2001 .*90/);

  assert.ok(await seesOnly(mesh(), ['v1'], 20), 'the last accepted reviews route (all v1) keeps being served');
  const w = mesh().workload('productpage-v1-0');
  const routes = JSON.stringify(await w.envoy.dynamic('route'));
  assert.ok(!routes.includes('outbound|9080|v2|reviews'), "Envoy's routes carry the invalid split");
  const syncz = await mesh().mast.syncz<{ proxies: ConnectionStatus[] }>();
  for (const p of syncz.proxies) for (const type of p.types) assert.equal(type.lastNack, undefined, `${p.proxyId} ${type.type} NACKed`);

  await mesh().apply(task('virtual-service-reviews-v3.yaml'));
  await converge(t, 'fixed to v3', () => seesOnly(mesh(), ['v3']));
  const fixed = await statusSays(t, 'fixed VirtualService', 'reviews', 'True');
  assert.notEqual(fixed.lastTransitionTime, undefined);
});
