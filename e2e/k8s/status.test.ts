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

/** An Istio object in namespace default: `plural.group/name`. */
interface Target {
  group: string;
  plural: string;
  name: string;
}

const virtualService = (name: string): Target => ({ group: 'networking.istio.io', plural: 'virtualservices', name });

async function accepted({ group, plural, name }: Target): Promise<StatusCondition | undefined> {
  const backend = mesh().backend;
  assert.ok(isKubeBackend(backend));
  const api = backend.kube.kubeConfig().makeApiClient(CustomObjectsApi);
  const obj = (await api.getNamespacedCustomObject({ group, version: 'v1', namespace: 'default', plural, name })) as {
    metadata: { generation: number };
    status?: { conditions?: StatusCondition[] };
  };
  const c = obj.status?.conditions?.find((x) => x.type === 'Accepted');
  // Only a condition about the current generation answers for what is stored now.
  return c?.observedGeneration === obj.metadata.generation ? c : undefined;
}

async function statusSays(t: TestContext, what: string, target: Target, status: 'True' | 'False'): Promise<StatusCondition> {
  let seen: StatusCondition | undefined;
  const where = `${target.plural}.${target.group}/${target.name}`;
  const ms = await waitFor(async () => (seen = await accepted(target))?.status === status, 5000, `${what} (Accepted=${status} on ${where})`, 50);
  t.diagnostic(`${what}: status written ${Math.round(ms)} ms after the change`);
  return seen!;
}

test('an invalid VirtualService past admission gets a status naming the field and never reaches Envoy', async (t) => {
  await mesh().apply(task('virtual-service-all-v1.yaml'));
  await converge(t, 'all to v1', () => seesOnly(mesh(), ['v1']));
  const ok = await statusSays(t, 'valid VirtualService', virtualService('reviews'), 'True');
  assert.equal(ok.reason, 'Accepted');

  await mesh().apply(BAD_WEIGHTS);
  const bad = await statusSays(t, 'invalid weights', virtualService('reviews'), 'False');
  assert.equal(bad.reason, 'Invalid');
  assert.match(bad.message, /spec\.http\[0\]\.route: MAST2001 total destination weight = 0/);

  assert.ok(await seesOnly(mesh(), ['v1'], 20), 'the last accepted reviews route (all v1) keeps being served');
  const w = mesh().workload('productpage-v1-0');
  const routes = JSON.stringify(await w.envoy.dynamic('route'));
  assert.ok(!routes.includes('outbound|9080|v2|reviews'), "Envoy's routes carry the invalid split");
  const syncz = await mesh().mast.syncz<{ proxies: ConnectionStatus[] }>();
  for (const p of syncz.proxies) for (const type of p.types) assert.equal(type.lastNack, undefined, `${p.proxyId} ${type.type} NACKed`);

  await mesh().apply(task('virtual-service-reviews-v3.yaml'));
  await converge(t, 'fixed to v3', () => seesOnly(mesh(), ['v3']));
  const fixed = await statusSays(t, 'fixed VirtualService', virtualService('reviews'), 'True');
  assert.notEqual(fixed.lastTransitionTime, undefined);
});

/**
 * Passes Istio's validation, but Envoy refuses an unknown %COMMAND% in a header value. On the
 * ingress gateway, on a host of its own (every bookinfo service's host has a VirtualService by now,
 * which a second one would not displace).
 */
const ENVOY_REFUSES = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-format, namespace: default}
spec:
  hosts: [ratings.example.com]
  gateways: [bookinfo-gateway]
  http:
  - headers: {request: {set: {x-who: "%NO_SUCH_COMMAND%"}}}
    route: [{destination: {host: ratings}}]
`;

test('a VirtualService Envoy would reject is left out alone, and its status says MAST4001', async (t) => {
  await mesh().apply(ENVOY_REFUSES);
  const c = await statusSays(t, 'what Envoy would reject', virtualService('ratings-format'), 'False');
  assert.match(c.message, /MAST4001 Envoy would reject rds http\.8080 \(.*NO_SUCH_COMMAND.*\) made from VirtualService\/default\/ratings-format/);
  assert.match(c.message, /what it contributes there is left out/);
  // The rest of the gateway's port keeps working, and nothing was sent that Envoy would NACK.
  assert.ok(await seesOnly(mesh(), ['v3'], 10), 'productpage through the gateway still answers');
  const syncz = await mesh().mast.syncz<{ proxies: ConnectionStatus[] }>();
  for (const p of syncz.proxies) for (const type of p.types) assert.equal(type.lastNack, undefined, `${p.proxyId} ${type.type} NACKed`);
  await mesh().delete(ENVOY_REFUSES);
});

/** Two Gateways for the bookinfo gateway workload claiming one host on one TLS port. */
const gatewayClaiming = (name: string, credential: string): string => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 9443, name: https-${credential}, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: ${credential}}
`;

test('of two Gateways claiming one host and port, the newer by creation time is reported in its status, naming the older', async (t) => {
  const gateway = (name: string): Target => ({ group: 'networking.istio.io', plural: 'gateways', name });
  // Named against their creation order, so that only creation time can pick the older. The API
  // server's timestamps have whole seconds: the second Gateway is created in a later one.
  const older = gatewayClaiming('zz-first', 'first-cert');
  const newer = gatewayClaiming('aa-second', 'second-cert');
  await mesh().apply(older);
  await statusSays(t, 'the first Gateway', gateway('zz-first'), 'True');
  await new Promise((r) => setTimeout(r, 1100));
  await mesh().apply(newer);
  try {
    let message = '';
    await waitFor(async () => /MAST3007/.test((message = (await accepted(gateway('aa-second')))?.message ?? '')), 5000, 'MAST3007 on the newer Gateway', 50);
    assert.match(message, /shop\.example\.com on port 9443 .* already served by Gateway default\/zz-first \(older\)/);
    assert.doesNotMatch((await accepted(gateway('zz-first')))?.message ?? '', /MAST3007/, 'the older Gateway is not the one reported');
    const syncz = await mesh().mast.syncz<{ proxies: ConnectionStatus[] }>();
    for (const p of syncz.proxies) for (const type of p.types) assert.equal(type.lastNack, undefined, `${p.proxyId} ${type.type} NACKed`);
  } finally {
    await mesh().delete(newer);
    await mesh().delete(older);
  }
});
