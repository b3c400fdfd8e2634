// Authenticated xDS and /debug in Kubernetes mode, against a real API server whose TokenRequest
// API mints every token: a proxy is served only as the Pod its projected token is bound to, and
// /debug/* only to a user RBAC lets read it (TokenReview and SubjectAccessReview, as Kubernetes'
// own components guard their debug endpoints).
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { nodeId } from '../../src/proxy/node';
import { TokenReviewer } from '../../src/server/token-review';
import { TYPE_URLS } from '../../src/translate/types';
import type { ConnectionStatus } from '../../src/xds/connection';
import { AdsClient, type NodeInfo } from '../../test/support/ads-client';
import { MAST_SERVICE_NAME } from '../harness/backend';
import { Envoy } from '../harness/envoy';
import { get, sleep, waitFor } from '../harness/net';
import { adminGet } from './harness/apiserver';
import { isKubeBackend, mastRoot, type KubeBackend } from './harness/backend';
import { kubeMeshPerFile } from './harness/mesh';
import { podToken, writeToken } from './harness/tokens';

const mesh = kubeMeshPerFile();

function kube(): KubeBackend {
  const backend = mesh().backend;
  assert.ok(isKubeBackend(backend));
  return backend;
}

/** The node a workload of the mesh (or any Pod at `ip`) sends, as its bootstrap says. */
function nodeOf(pod: string, namespace: string, ip: string, serviceAccount: string): NodeInfo {
  return { id: nodeId('sidecar', ip, `${pod}.${namespace}`, namespace), metadata: { NAMESPACE: namespace, SERVICE_ACCOUNT: serviceAccount, INSTANCE_IPS: ip } };
}

let rootPem: string | undefined;

/** A stream to Mast's TLS port, trusting its root, with `token` (if any) as the bearer. */
async function stream(node: NodeInfo, token: string | undefined): Promise<AdsClient<never>> {
  rootPem ??= await mastRoot(kube().kube.kubeConfig());
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  const credentials = grpc.credentials.createSsl(Buffer.from(rootPem));
  return AdsClient.sotw(mesh().mast.xdsTlsAddress, node, { 'grpc.ssl_target_name_override': MAST_SERVICE_NAME, 'grpc.default_authority': MAST_SERVICE_NAME }, { credentials, metadata }) as unknown as AdsClient<never>;
}

/** `served` if the stream gets a response to its first request of `type`, else its status. */
async function outcome(c: AdsClient<never>, type: string = TYPE_URLS.cluster): Promise<string> {
  c.send({ type_url: type, resource_names: type === TYPE_URLS.secret ? ['default', 'ROOTCA'] : [] });
  try {
    return await Promise.race([c.next(10_000).then(() => 'served'), c.closed.then((s) => `${grpc.status[s.code]}: ${s.details}`)]);
  } finally {
    c.close();
  }
}

/** Mast's log lines refusing `proxyId` so far. */
function refusals(proxyId: string): string[] {
  return readFileSync(path.join(mesh().logDir, 'mast.log'), 'utf8').split('\n').filter((l) => l.includes(`refused xDS stream of proxy ${proxyId}: `));
}

async function syncz(): Promise<ConnectionStatus[]> {
  return (await mesh().mast.syncz<{ proxies: ConnectionStatus[] }>()).proxies;
}

async function rejectsCounted(): Promise<string[]> {
  return (await get(`${mesh().mast.adminUrl}/metrics`)).text.split('\n').filter((l) => /^pilot_total_xds_rejects_total\{/.test(l));
}

/** A Pod of the API server with no IP (nothing resolves to it) for tokens to be bound to. */
async function podWithoutIp(name: string, namespace: string, serviceAccount: string): Promise<void> {
  await mesh().apply(`apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: {app: ${name}}}
spec:
  serviceAccountName: ${serviceAccount}
  containers: [{name: app, image: echo}]
`);
}

test("a proxy with namespace A's token gets nothing of namespace B: no config, no certificate, refused and logged", async () => {
  const kc = kube().kube.kubeConfig();
  const [a, b] = mesh().gateway.ip.split('.');
  const vaultIp = `${a}.${b}.1.210`;
  await mesh().apply(`apiVersion: v1
kind: Pod
metadata: {name: vault-1, namespace: bank, labels: {app: vault}}
spec:
  serviceAccountName: vault
  containers: [{name: app, image: echo}]
status: {podIP: ${vaultIp}}
`);
  await podWithoutIp('intruder-0', 'default', 'bookinfo-ratings');
  const tokenA = await podToken(kc, { name: 'intruder-0', namespace: 'default', serviceAccount: 'bookinfo-ratings' });
  const vault = nodeOf('vault-1', 'bank', vaultIp, 'vault');

  // A real Envoy with B's node id and A's token, as an attacker on B's node would start one.
  const xdsCa = path.join(mesh().logDir, 'authn-root-cert.pem');
  writeFileSync(xdsCa, rootPem ??= await mastRoot(kc));
  const bootstrap = buildBootstrap({
    nodeId: vault.id,
    xdsAddress: mesh().mast.xdsTlsAddress,
    xdsCa,
    xdsServerName: MAST_SERVICE_NAME,
    tokenFile: writeToken(mesh().logDir, 'intruder-0', tokenA),
    adminAddress: `${a}.${b}.2.210`,
    interceptionMode: 'NONE',
    localAddress: `${a}.${b}.2.210`,
    outboundAddress: `${a}.${b}.3.210`,
  });
  assert.ok(!('error' in bootstrap));
  const envoy = Envoy.start({ name: 'intruder-0', bootstrap, dir: mesh().logDir, adminUrl: `http://${a}.${b}.2.210:15000` });
  try {
    await waitFor(() => refusals(vault.id).length >= 2, 15_000, "Mast to refuse the Envoy's streams (it redials)");
    assert.match(refusals(vault.id)[0]!, /its token is for default\/bookinfo-ratings, the node id is in namespace bank/);
    await waitFor(async () => (await get(`${envoy.adminUrl}/ready`)).status !== 0, 10_000, "the Envoy's admin API");
    const dump = await envoy.configDump();
    const dynamic = (type: string): unknown[] => {
      const section = dump.configs.find((c) => c['@type'].endsWith(type)) as Record<string, unknown[]> | undefined;
      return Object.entries(section ?? {}).filter(([k]) => k.startsWith('dynamic')).flatMap(([, v]) => v);
    };
    assert.deepEqual(dynamic('ClustersConfigDump'), [], 'no clusters');
    assert.deepEqual(dynamic('ListenersConfigDump'), [], 'no listeners');
    assert.deepEqual(dynamic('SecretsConfigDump'), [], 'no certificate');
    assert.equal((await syncz()).find((p) => p.proxyId === vault.id), undefined, 'never listed in /debug/syncz');
  } finally {
    await envoy.stop();
  }
  // Asked for B's certificate (SDS) directly: refused before anything is sent.
  assert.match(await outcome(await stream(vault, tokenA), TYPE_URLS.secret), /^PERMISSION_DENIED: its token is for default\/bookinfo-ratings/);
});

test('no token, an expired, wrong-audience or unbound token, and one bound to another Pod are each refused; its own is served', async () => {
  const backend = kube();
  const kc = backend.kube.kubeConfig();
  const pp = mesh().workload('productpage-v1-0');
  const node = nodeOf('productpage-v1-0', 'default', pp.ip, 'bookinfo-productpage');
  const sa = { name: 'productpage-v1-0', namespace: 'default', serviceAccount: 'bookinfo-productpage' };
  const own = await podToken(kc, sa);
  await podWithoutIp('productpage-twin', 'default', 'bookinfo-productpage');
  // TokenRequest will not mint a token that is already expired (10 minutes at least), so the
  // test re-signs one of its tokens with the API server's own service-account key, expiry an hour
  // ago: the API server, not the test, then judges it.
  const claims = decodeJwt(own);
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 })
    .setProtectedHeader(decodeProtectedHeader(own) as { alg: string })
    .sign(createPrivateKey(backend.kube.certs.serviceAccount.keyPem));
  const cases: [string, string | undefined, RegExp][] = [
    ['no token', undefined, /no token/],
    ['an expired token', expired, /did not accept the token for audience istio-ca: .*expired/],
    ['a token for another audience', await podToken(kc, sa, { audiences: ['vault'] }), /did not accept the token for audience istio-ca/],
    ['a token bound to no Pod', await podToken(kc, sa, { boundPod: null }), /not bound to a Pod/],
    ['a token bound to another Pod', await podToken(kc, sa, { boundPod: 'productpage-twin' }), /bound to Pod default\/productpage-twin, the node id names productpage-v1/],
  ];
  for (const [what, token, reason] of cases) {
    const before = refusals(node.id).length;
    const got = await outcome(await stream(node, token));
    assert.match(got, /^PERMISSION_DENIED: /, `${what}: ${got}`);
    assert.match(got, reason, what);
    // The log reaches its file a little after the stream's status reaches the client.
    await waitFor(() => refusals(node.id).length > before, 3000, `${what}: a log line naming the proxy`);
    assert.equal(refusals(node.id).length, before + 1, `${what}: one log line`);
    assert.match(refusals(node.id).at(-1)!, reason);
  }
  assert.equal(await outcome(await stream(node, own)), 'served', 'the same stream with its own token');
});

test("a proxy authenticated as A can neither open a stream as B nor put a NACK in B's /debug/syncz entry", async () => {
  const kc = kube().kube.kubeConfig();
  const ratings = mesh().workload('ratings-v1-0');
  const reviews = mesh().workload('reviews-v1-0');
  const tokenA = await podToken(kc, { name: ratings.pod, namespace: 'default', serviceAccount: 'bookinfo-ratings' });
  const asB = nodeOf(reviews.pod, 'default', reviews.ip, 'bookinfo-reviews');
  const counted = await rejectsCounted();
  const spoof = await stream(asB, tokenA);
  // What a NACK of B's looks like: the nonce of B's last CDS response, and an error.
  const nonce = (await syncz()).find((p) => p.proxyId === reviews.nodeId)?.types.find((t) => t.type === 'cds')?.sentNonce;
  assert.ok(nonce, "B's stream has been sent CDS");
  spoof.send({ type_url: TYPE_URLS.cluster, resource_names: [], response_nonce: nonce, error_detail: { code: 3, message: 'injected by A' } });
  const status = await spoof.closed;
  spoof.close();
  assert.equal(status.code, grpc.status.PERMISSION_DENIED);
  // The node id is checked first: A's token is bound to A's Pod, whichever identity B runs as.
  assert.match(status.details, /its token is bound to Pod default\/ratings-v1-0, the node id names reviews-v1-0/);
  await sleep(300);
  const listed = (await syncz()).filter((p) => p.proxyId === reviews.nodeId);
  assert.equal(listed.length, 1, "only B's own stream is listed as B");
  assert.deepEqual(listed[0]!.types.map((t) => t.lastNack).filter(Boolean), [], "no NACK in B's entry");
  assert.deepEqual(await rejectsCounted(), counted, 'pilot_total_xds_rejects_total unchanged');
  assert.equal(await outcome(await stream(nodeOf(ratings.pod, 'default', ratings.ip, 'bookinfo-ratings'), tokenA)), 'served', "A's token serves A");
});

test('a TokenReview is reused for a token, never past its expiry', async () => {
  const backend = kube();
  const kc = backend.kube.kubeConfig();
  const reviews = async (): Promise<number> => {
    const r = await adminGet(`${backend.kube.server}/metrics`, backend.kube.certs);
    return r.text.split('\n').filter((l) => l.startsWith('apiserver_request_total{') && l.includes('resource="tokenreviews"'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  };
  const reviewer = new TokenReviewer(kc);
  const own = await podToken(kc, { name: 'productpage-v1-0', namespace: 'default', serviceAccount: 'bookinfo-productpage' });
  // Valid for 3 more seconds: signed as the API server signs, so only the clock refuses it later.
  const now = Math.floor(Date.now() / 1000);
  const short = await new SignJWT({ ...decodeJwt(own), exp: now + 3 })
    .setProtectedHeader(decodeProtectedHeader(own) as { alg: string })
    .sign(createPrivateKey(backend.kube.certs.serviceAccount.keyPem));
  const before = await reviews();
  assert.ok('user' in (await reviewer.review(short, ['istio-ca'])));
  assert.ok('user' in (await reviewer.review(short, ['istio-ca'])));
  assert.equal(await reviews(), before + 1, 'the second check was answered from the cache');
  await sleep(4000);
  // The API server itself still accepts it for a minute (go-jose's leeway); Mast asks again anyway.
  await reviewer.review(short, ['istio-ca']);
  assert.equal(await reviews(), before + 2, 'asked again once the token expired');
});

test('/debug/* needs a token whose user RBAC lets get the path; /healthz, /readyz and /metrics stay open', async () => {
  const backend = kube();
  const kc = backend.kube.kubeConfig();
  const url = `${mesh().mast.adminUrl}/debug/config_dump?proxy=${encodeURIComponent(mesh().gateway.nodeId)}`;
  const as = async (token?: string): Promise<{ status: number; text: string }> => get(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const none = await as();
  assert.equal(none.status, 401, none.text);
  assert.equal((await as('not-a-token')).status, 401);
  // A valid token whose ServiceAccount is not bound to mast-debug.
  const unbound = await podToken(kc, { name: 'productpage-v1-0', namespace: 'default', serviceAccount: 'bookinfo-productpage' }, { audiences: [] });
  const forbidden = await as(unbound);
  assert.equal(forbidden.status, 403, forbidden.text);
  assert.match(forbidden.text, /system:serviceaccount:default:bookinfo-productpage may not get \/debug\/config_dump/);
  const allowed = await as(backend.debugToken);
  assert.equal(allowed.status, 200, allowed.text);
  assert.equal((JSON.parse(allowed.text) as { proxy: { id: string } }).proxy.id, mesh().gateway.nodeId);
  for (const open of ['/healthz', '/readyz', '/metrics']) assert.equal((await get(`${mesh().mast.adminUrl}${open}`)).status, 200, open);
});
