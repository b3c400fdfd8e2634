// Mutual TLS through real Envoy, with the certificates Mast's CA issues over SDS. Bookinfo's Pods
// carry `security.istio.io/tlsMode: istio` and examples/bookinfo holds a mesh-wide STRICT
// PeerAuthentication, so every hop between sidecars is mTLS: each app sees its caller's SPIFFE ID
// in x-forwarded-client-cert. A plaintext client from outside the mesh is refused under STRICT
// and served under PERMISSIVE; DISABLE serves plaintext and makes clients stop sending mTLS.
// Workload certificates live one minute here and are re-issued with 3/4 of it left (every 15 s),
// so they rotate under a request loop on keep-alive and fresh connections alike, without a failure.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { test } from 'node:test';
import type { EchoAnswer } from '../../examples/app/echo';
import type { Mesh } from '../harness/mesh';
import { get, waitFor, type Reply } from '../harness/net';
import { describeMesh, productpage, viaSidecar } from '../harness/scenario';

const TRUST_DOMAIN = 'cluster.local';
const id = (namespace: string, sa: string): string => `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${sa}`;
const GATEWAY_ID = id('istio-system', 'istio-ingressgateway-service-account');
const PRODUCTPAGE_ID = id('default', 'bookinfo-productpage');

/** Envoy's x-forwarded-client-cert element (`By=...;Hash=...;URI=...`), by key; undefined when absent. */
function xfcc(answer: EchoAnswer | undefined): Record<string, string> | undefined {
  const header = answer?.headers['x-forwarded-client-cert'];
  if (typeof header !== 'string') return undefined;
  assert.ok(!header.includes(','), `one element expected, the peer's alone: ${header}`);
  return Object.fromEntries(header.split(';').map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1).replace(/^"|"$/g, '')];
  }));
}

function callTo(answer: EchoAnswer, service: string): EchoAnswer {
  const body = answer.calls.find((c) => c.body?.service === service)?.body;
  assert.ok(body, `${answer.service} reached no ${service}: ${JSON.stringify(answer.calls.map((c) => `${c.url} ${c.status} ${c.error ?? ''}`))}`);
  return body;
}

function peerAuthentication(name: string, namespace: string, mode: string): string {
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  mtls: {mode: ${mode}}
`;
}

/** A plaintext GET straight to a sidecar's inbound listener, as a client outside the mesh sends it. */
function fromOutside(mesh: Mesh, pod: string, headers: Record<string, string> = {}): Promise<Reply> {
  const w = mesh.workload(pod);
  return get(`http://${w.ip}:${w.port}/`, { headers, timeoutMs: 2000 });
}

/** A TLS client without a certificate, straight to a sidecar's inbound listener. */
function tlsWithoutCertificate(mesh: Mesh, pod: string): Promise<number> {
  const w = mesh.workload(pod);
  return new Promise((resolve, reject) => {
    const req = https.get({ host: w.ip, port: w.port, path: '/', rejectUnauthorized: false, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
  });
}

/** A GET over `agent`'s kept-alive connection. */
function getOver(agent: http.Agent, url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
  });
}

/** Service `details-fresh` (details' Pod) and a rule that allows one request per connection. */
function detailsFresh(details: { pod: string; ip: string }): string {
  return `apiVersion: v1
kind: Service
metadata: {name: details-fresh, namespace: default}
spec:
  ports: [{name: http, port: 9080, targetPort: 9080}]
  selector: {app: details}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: details-fresh-x1
  namespace: default
  labels: {kubernetes.io/service-name: details-fresh}
addressType: IPv4
ports: [{name: http, port: 9080, protocol: TCP}]
endpoints:
- addresses: [${details.ip}]
  conditions: {ready: true}
  targetRef: {kind: Pod, namespace: default, name: ${details.pod}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details-fresh, namespace: default}
spec:
  host: details-fresh
  trafficPolicy:
    connectionPool:
      http: {maxRequestsPerConnection: 1}
`;
}

const refused = async (p: Promise<unknown>): Promise<boolean> => p.then(() => false, () => true);

describeMesh('mutual TLS', (mesh, suite) => {
  test("sidecars talk mutual TLS: each app sees its caller's SPIFFE ID in x-forwarded-client-cert", async () => {
    const answer = await productpage(mesh(), { 'x-forwarded-client-cert': 'By=spiffe://forged;URI=spiffe://forged' });
    // The gateway (no sidecar label itself, but auto-mTLS towards productpage's) called productpage.
    assert.deepEqual([xfcc(answer)?.URI, xfcc(answer)?.By], [GATEWAY_ID, PRODUCTPAGE_ID]);
    for (const [service, sa] of [['details', 'bookinfo-details'], ['reviews', 'bookinfo-reviews']] as const) {
      const peer = xfcc(callTo(answer, service));
      assert.deepEqual([peer?.URI, peer?.By], [PRODUCTPAGE_ID, id('default', sa)], service);
      assert.match(peer?.Hash ?? '', /^[0-9a-f]{64}$/, `${service} sees the SHA-256 of productpage's certificate`);
    }
  });

  test('STRICT (the mesh-wide policy in examples/bookinfo) refuses a client outside the mesh, in plaintext or TLS without a certificate', async () => {
    assert.ok(await refused(fromOutside(mesh(), 'reviews-v1-0')), 'plaintext is refused');
    assert.ok(await refused(tlsWithoutCertificate(mesh(), 'reviews-v1-0')), 'TLS without a client certificate is refused');
  });

  test('PERMISSIVE serves the plaintext client (and strips a forged XFCC) while sidecars keep mTLS', async (t) => {
    const permissive = peerAuthentication('default', 'default', 'PERMISSIVE');
    await mesh().apply(permissive);
    try {
      const ms = await waitFor(async () => (await fromOutside(mesh(), 'reviews-v1-0').catch(() => undefined))?.status === 200, 10_000, 'plaintext served under PERMISSIVE');
      t.diagnostic(`PERMISSIVE in namespace default served plaintext after ${Math.round(ms)} ms`);
      const plain = JSON.parse((await fromOutside(mesh(), 'reviews-v1-0', { 'x-forwarded-client-cert': 'URI=spiffe://forged' })).text) as EchoAnswer;
      assert.equal(xfcc(plain), undefined, 'a plaintext caller cannot claim an identity');
      assert.equal(xfcc(callTo(await productpage(mesh()), 'reviews'))?.URI, PRODUCTPAGE_ID, 'mesh traffic is still mTLS');
    } finally {
      await mesh().delete(permissive);
    }
    await waitFor(() => refused(fromOutside(mesh(), 'reviews-v1-0')), 10_000, 'STRICT again');
  });

  test('DISABLE serves plaintext, and clients stop sending mTLS to the namespace', async (t) => {
    const disable = peerAuthentication('default', 'default', 'DISABLE');
    await mesh().apply(disable);
    try {
      const ms = await waitFor(async () => {
        const reply = await fromOutside(mesh(), 'ratings-v1-0').catch(() => undefined);
        return reply?.status === 200 && xfcc(callTo(await productpage(mesh()), 'reviews')) === undefined;
      }, 10_000, 'plaintext everywhere under DISABLE');
      t.diagnostic(`DISABLE in namespace default: plaintext in and between sidecars after ${Math.round(ms)} ms`);
      // The gateway's namespace is still STRICT, but productpage's (DISABLE) decides what it accepts.
      assert.equal(xfcc(await productpage(mesh())), undefined);
    } finally {
      await mesh().delete(disable);
    }
    await waitFor(async () => xfcc(callTo(await productpage(mesh()), 'reviews'))?.URI === PRODUCTPAGE_ID, 10_000, 'mTLS again');
  });

  const rotationSkip = suite.source === 'files' ? suite.delta : !suite.delta;
  test('certificates rotate at least twice under a request loop, on keep-alive and fresh connections, and no request fails', { skip: rotationSkip && 'rotation runs once per source (files SotW, Kubernetes delta)' }, async (t) => {
    // `details-fresh` is details again, behind a rule that opens a new connection for every
    // request: each one a new handshake with productpage's current certificate. The gateway's
    // path (productpage, then details and reviews) keeps its connections alive.
    const freshService = detailsFresh(mesh().workload('details-v1-0'));
    await mesh().apply(freshService);
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await waitFor(async () => (await viaSidecar(mesh(), 'productpage-v1-0', 'details-fresh:9080')).service === 'details', 10_000, 'details-fresh served');
      const fresh = new Set<string>(); // productpage's certificates, as details saw them on new connections
      const keptAlive = new Set<string>(); // as reviews saw them, on connections productpage keeps
      let requests = 0;
      let onOlderCertificate = 0;
      const failures: string[] = [];
      const started = Date.now();
      const deadline = started + 55_000;
      const fail = (what: string): void => void failures.push(`+${Date.now() - started} ms: ${what}`);
      const overKeptAlive = async (): Promise<void> => {
        while (Date.now() < deadline && fresh.size < 3) {
          requests++;
          const reply = await getOver(keepAlive, mesh().gatewayUrl()).catch((err: Error) => ({ status: 0, text: err.message }));
          if (reply.status !== 200) { fail(`gateway: ${reply.status} ${reply.text.slice(0, 200)}`); continue; }
          const hash = xfcc(callTo(JSON.parse(reply.text) as EchoAnswer, 'reviews'))?.Hash;
          if (!hash) { fail('productpage -> reviews was not mTLS'); continue; }
          keptAlive.add(hash);
          const latest = [...fresh].at(-1);
          if (latest && hash !== latest) onOlderCertificate++;
        }
      };
      const overFresh = async (): Promise<void> => {
        while (Date.now() < deadline && fresh.size < 3) {
          requests++;
          const answer = await viaSidecar(mesh(), 'productpage-v1-0', 'details-fresh:9080').catch((err: Error) => fail(`details-fresh: ${err.message}`));
          if (!answer) continue;
          const hash = xfcc(answer)?.Hash;
          if (hash) fresh.add(hash);
          else fail('productpage -> details-fresh was not mTLS');
        }
      };
      await Promise.all([overKeptAlive(), overFresh()]);
      t.diagnostic(`${requests} requests in ${Date.now() - started} ms; productpage presented ${fresh.size} certificates on new connections, ${keptAlive.size} on kept-alive ones, where ${onOlderCertificate} requests went over a connection made with a certificate since replaced; ${failures.length} failed`);
      assert.deepEqual(failures, []);
      assert.ok(fresh.size >= 3, `at least two rotations (three certificates) on new handshakes, saw ${fresh.size}`);
    } finally {
      keepAlive.destroy();
      await mesh().delete(freshService);
    }
  });
}, { mastArgs: ['--workload-cert-ttl', '1m', '--workload-cert-grace', '0.75'] });
