// The public bug reports of issue 6 (e2e/cases/public-reports/README.md), each applied to one
// running mesh, asserted through real Envoy as Istio behaves, and deleted again. A refused input
// must be refused the way Istio refuses it, with a finding naming its object and field, and must
// cost nothing else: every other host on the same port keeps answering, and no Envoy NACKs
// (describeMesh fails a test during which one does).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { EchoAnswer } from '../../examples/app/echo';
import { objectsOf } from '../harness/backend';
import type { Mesh } from '../harness/mesh';
import { get, sampleSplit, waitFor, type Reply } from '../harness/net';
import { converge, CONVERGE_MS, describeMesh } from '../harness/scenario';
import { synced } from '../harness/syncz';

const CASES = path.join(__dirname, '..', 'cases', 'public-reports');

/** A finding as /debug/diagnostics lists it. */
interface Finding {
  code: string;
  severity: string;
  object?: { kind: string; namespace: string; name: string };
  field?: string;
  message: string;
}

async function findings(mesh: Mesh): Promise<Finding[]> {
  return (await mesh.mast.diagnostics<{ diagnostics: Finding[] }>()).diagnostics;
}

const objectKey = (f: Finding): string => (f.object ? `${f.object.kind}/${f.object.namespace}/${f.object.name}` : '');

/**
 * Waits for Mast to list exactly this finding about `object` (`Kind/ns/name`) and `field`, and for
 * every Envoy to ACK what Mast sent after it, so what follows sees the mesh with the input in it.
 */
async function assertFinding(t: TestContext, mesh: Mesh, code: string, object: string, field: string): Promise<void> {
  await converge(t, `${code} on ${object} ${field} in /debug/diagnostics`, async () =>
    (await findings(mesh)).some((f) => f.code === code && objectKey(f) === object && f.field === field));
  await waitFor(() => synced(mesh), CONVERGE_MS, 'every Envoy to ACK what Mast sent');
}

/** Fails if Mast refused any of `objects` (an error finding about it): Istio accepts them. */
async function assertAccepted(mesh: Mesh, objects: string[]): Promise<void> {
  const errors = (await findings(mesh)).filter((f) => f.severity === 'error' && objects.includes(objectKey(f)));
  assert.deepEqual(errors, [], 'Istio accepts these objects, so Mast must not refuse them');
}

/**
 * Applies one case file, runs `check`, and deletes the case again (even when `check` fails),
 * waiting until Mast no longer reports anything about its objects, so the next case starts from
 * the base mesh.
 */
async function withCase(mesh: Mesh, file: string, check: (objects: string[]) => Promise<void>): Promise<void> {
  const yaml = readFileSync(path.join(CASES, file), 'utf8');
  const objects = objectsOf(yaml).map((o) => `${o.kind}/${o.namespace}/${o.name}`);
  await mesh.apply(yaml);
  try {
    await check(objects);
  } finally {
    await mesh.delete(yaml);
    await waitFor(async () => !(await findings(mesh)).some((f) => objects.includes(objectKey(f))), 5000, `findings about ${file} to go with it`);
  }
}

/** A request through the ingress gateway (8080) for `host`. */
function viaGateway(mesh: Mesh, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  return get(mesh.gatewayUrl('/'), { host, headers });
}

/** A request from client-0 through its sidecar to `host` (port 9080), as the app would send it. */
function fromClient(mesh: Mesh, host: string, urlPath = '/', headers: Record<string, string> = {}): Promise<Reply> {
  return get(mesh.outboundUrl('client-0', 9080, urlPath), { host: `${host}:9080`, headers });
}

/** The service (and version) that answered, or the status when it is not a 200 from an app. */
function answeredBy(r: Reply, withVersion = false): string {
  if (r.status !== 200) return `status ${r.status}`;
  const a = JSON.parse(r.text) as EchoAnswer;
  return withVersion ? `${a.service} ${a.version}` : a.service;
}

/** Who answered `n` requests, counted: `{ 'svc-a v1': 40 }`. */
function sample(n: number, send: () => Promise<Reply>, withVersion = false): Promise<Record<string, number>> {
  return sampleSplit(n, async () => answeredBy(await send(), withVersion));
}

/** Whether `batch` requests were all answered by `expected` (a service, or `status N`). */
async function allAnsweredBy(expected: string, send: () => Promise<Reply>, batch = 10, withVersion = false): Promise<boolean> {
  const seen = await sample(batch, send, withVersion);
  return Object.keys(seen).join() === expected;
}

describeMesh('public reports', (mesh) => {
  test('header-empty-prefix: the VirtualService is refused; the other host on the gateway keeps working', async (t) => {
    await withCase(mesh(), '01-header-empty-prefix.yaml', async () => {
      await assertFinding(t, mesh(), 'MAST2016', 'VirtualService/ns-a/vs-a', 'spec.http[0].match[0].headers.appkey.prefix');
      await converge(t, 'b.example.com answered by svc-b', () => allAnsweredBy('svc-b', () => viaGateway(mesh(), 'b.example.com')));
      assert.deepEqual(await sample(20, () => viaGateway(mesh(), 'b.example.com')), { 'svc-b': 20 });
      // Refused, vs-a routes nothing: the gateway has no virtual host for a.example.com.
      assert.deepEqual(await sample(5, () => viaGateway(mesh(), 'a.example.com', { appkey: 'x' })), { 'status 404': 5 });
    });
  });

  test('method-empty-regex: the VirtualService is refused; every service on 9080 keeps answering', async (t) => {
    await withCase(mesh(), '02-method-empty-regex.yaml', async () => {
      await assertFinding(t, mesh(), 'MAST2016', 'VirtualService/ns-a/vs-b', 'spec.http[0].match[0].method.regex');
      await converge(t, 'svc-a and svc-b answer through the client sidecar', async () =>
        (await allAnsweredBy('svc-a', () => fromClient(mesh(), 'svc-a'))) && allAnsweredBy('svc-b', () => fromClient(mesh(), 'svc-b')));
      assert.deepEqual(await sample(20, () => fromClient(mesh(), 'svc-a')), { 'svc-a': 20 }, 'svc-a, which has no VirtualService');
      assert.deepEqual(await sample(20, () => fromClient(mesh(), 'svc-b.ns-a.svc.cluster.local')), { 'svc-b': 20 });
    });
  });

  test('scheme-empty-prefix: the VirtualService is refused whole; the rest of the mesh on 9080 is unaffected', async (t) => {
    await withCase(mesh(), '03-scheme-empty-prefix.yaml', async () => {
      await assertFinding(t, mesh(), 'MAST2016', 'VirtualService/ns-a/vs-b', 'spec.http[0].match[0].scheme.prefix');
      await converge(t, 'svc-a and svc-b answer through the client sidecar', async () =>
        (await allAnsweredBy('svc-a', () => fromClient(mesh(), 'svc-a'))) && allAnsweredBy('svc-b', () => fromClient(mesh(), 'svc-b', '/productpage')));
      assert.deepEqual(await sample(20, () => fromClient(mesh(), 'svc-a')), { 'svc-a': 20 });
      assert.deepEqual(await sample(10, () => fromClient(mesh(), 'svc-b', '/productpage')), { 'svc-b': 10 });
      // Istio never admits the object, so its /ratings rule does not exist either: svc-b's default route.
      assert.deepEqual(await sample(10, () => fromClient(mesh(), 'svc-b', '/ratings')), { 'svc-b': 10 });
    });
  });

  test('without-headers-absent: a request without the header matches withoutHeaders', async (t) => {
    await withCase(mesh(), '04-without-headers-absent.yaml', async (objects) => {
      await converge(t, 'www.example.com without header1 answered by svc-a', () => allAnsweredBy('svc-a', () => viaGateway(mesh(), 'www.example.com')));
      await assertAccepted(mesh(), objects);
      assert.deepEqual(await sample(10, () => viaGateway(mesh(), 'www.example.com')), { 'svc-a': 10 }, 'header1 absent');
      assert.deepEqual(await sample(10, () => viaGateway(mesh(), 'www.example.com', { header1: 'other' })), { 'svc-a': 10 }, 'header1: other');
      assert.deepEqual(await sample(10, () => viaGateway(mesh(), 'www.example.com', { header1: 'value1' })), { 'status 404': 10 }, 'header1: value1 is excluded');
    });
  });

  test('relative-weights: 10/0 sends every request to v1', async (t) => {
    await withCase(mesh(), '05-relative-weights.yaml', async (objects) => {
      // Before the case, svc-a's two pods share the traffic; 40 answers from v1 alone happen by chance once in 2^40.
      await converge(t, 'svc-a answered by v1 only', () => allAnsweredBy('svc-a v1', () => fromClient(mesh(), 'svc-a'), 40, true));
      await assertAccepted(mesh(), objects);
      assert.deepEqual(await sample(60, () => fromClient(mesh(), 'svc-a'), true), { 'svc-a v1': 60 });
    });
  });

  test('undefined-subset: only the rule naming the missing subset fails (503); the rest still pins v1', async (t) => {
    await withCase(mesh(), '06-undefined-subset.yaml', async (objects) => {
      await assertFinding(t, mesh(), 'MAST3001', 'VirtualService/ns-a/vs-a', 'spec.http[0].route[0].destination.subset');
      await converge(t, 'plain requests answered by v1 only', () => allAnsweredBy('svc-a v1', () => fromClient(mesh(), 'svc-a'), 40, true));
      await assertAccepted(mesh(), objects);
      assert.deepEqual(await sample(60, () => fromClient(mesh(), 'svc-a'), true), { 'svc-a v1': 60 });
      assert.deepEqual(await sample(10, () => fromClient(mesh(), 'svc-a', '/', { 'x-canary': 'true' })), { 'status 503': 10 });
    });
  });
}, { source: path.join(CASES, 'base') });
