// AuthorizationPolicy and RequestAuthentication through real Envoy, as Istio's security tasks use
// them: RBAC on a sidecar's inbound side (403 `RBAC: access denied`) with principals taken from
// the peer's mutual-TLS certificate, and on the ingress gateway, Istio's evaluation order (DENY before ALLOW, AUDIT only
// logs, no ALLOW policy means open, an ALLOW policy without rules denies all, `rules: [{}]`
// allows all), a principal rule on a TCP port (network RBAC), and JWT verification with keys
// inline and fetched by Envoy from a JWKS server on loopback, tokens in the Authorization header
// or where fromHeaders and fromParams say. Tokens are signed with jose.
//
// Each test starts from a workload without security filters, applies its policies, waits until
// every Envoy of the workload serves them (its active listeners carry them and no replaced filter
// chain still drains: a connection opened before the change keeps the old chain until it drains),
// checks, and deletes them; the next test on that workload waits for them to be gone.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { EchoAnswer } from '../../examples/app/echo';
import type { Mesh } from '../harness/mesh';
import { get, waitFor, type Reply } from '../harness/net';
import { CONVERGE_MS, describeMesh } from '../harness/scenario';
import { endpointSliceYaml, serviceYaml } from '../harness/service-yaml';

/** Issuer whose keys Envoy fetches from `jwksUri` (a loopback server of this file). */
const ISSUER = 'https://issuer.mast.test';
/** Issuer whose keys the RequestAuthentication carries inline (`jwks`), its tokens in x-token or ?token=. */
const INLINE_ISSUER = 'https://inline.mast.test';
const AUDIENCE = 'bookinfo';
const SUBJECT = 'alice';
const PRODUCTPAGE = 'cluster.local/ns/default/sa/bookinfo-productpage';

/** An ES256 signing key and the JWKS (RFC 7517) that publishes its public half. */
interface Signer {
  key: CryptoKey;
  kid: string;
  jwks: string;
}

async function signer(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { key: privateKey, kid, jwks: JSON.stringify({ keys: [jwk] }) };
}

/** A JWT from `s` for `iss`: subject alice, audience bookinfo, valid ten minutes, unless `over` says otherwise. */
function token(s: Signer, iss: string, over: JWTPayload = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss, sub: SUBJECT, aud: AUDIENCE, iat: now, exp: now + 600, groups: ['readers'], ...over })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: s.kid })
    .sign(s.key);
}

const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

function policy(name: string, spec: string, namespace = 'default'): string {
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec}`;
}

/** The ingress gateway's answer for `path` (routed to productpage), with `headers`. */
function viaGateway(mesh: Mesh, path = '/productpage', headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return request(mesh.gatewayUrl(path), method, headers);
}

/** `method` on `host` sent from pod `from` through its sidecar, so with that pod's identity. */
function fromPod(mesh: Mesh, from: string, host: string, path = '/', method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return request(mesh.outboundUrl(from, 9080, path), method, { ...headers, host });
}

/** One request on a connection of its own (as `get` in the harness), any method. */
function request(url: string, method: string, headers: Record<string, string>): Promise<Reply> {
  if (method === 'GET') return get(url, { headers });
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: 3000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

/** Listeners with no security filter left: what each test leaves behind for the next. */
const open = (listeners: string): boolean => !/envoy\.filters\.(http|network)\.rbac|envoy\.filters\.http\.jwt_authn/.test(listeners);
const has = (marker: string) => (listeners: string): boolean => listeners.includes(marker);

/**
 * Until every Envoy of `app` (reviews has three Pods) serves what `holds` accepts: `holds` gets
 * the JSON of its active listeners, nothing may be warming, and no replaced listener or filter
 * chain may still be draining, since a connection accepted before the change (a client's pooled
 * keep-alive connection) keeps the old filters until its chain drains (1 s in the harness).
 */
async function settled(mesh: Mesh, app: string, what: string, holds: (listeners: string) => boolean): Promise<void> {
  const pods = mesh.workloads.filter((w) => w.labels.app === app);
  assert.ok(pods.length > 0, `no ${app} Pod`);
  const ready = async (adminUrl: string): Promise<boolean> => {
    const dump = JSON.parse((await get(`${adminUrl}/config_dump?resource=dynamic_listeners`)).text) as { configs: { warming_state?: unknown; active_state?: unknown }[] };
    if (dump.configs.some((c) => c.warming_state)) return false;
    if (!holds(JSON.stringify(dump.configs.map((c) => c.active_state)))) return false;
    const stats = await get(`${adminUrl}/stats?filter=^listener_manager\\.total_(listeners|filter_chains)_draining$`);
    const gauges = [...stats.text.matchAll(/: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(gauges.length, 2, `draining gauges of ${adminUrl}: ${stats.text}`);
    return gauges.every((n) => n === 0);
  };
  await waitFor(async () => (await Promise.all(pods.map((w) => ready(w.envoy.adminUrl)))).every(Boolean), CONVERGE_MS * 3, `${what} on every ${app} Envoy`, 25);
}

/** Applies `yaml`, then waits until `app`'s Envoys serve what `holds` accepts. */
async function enforce(mesh: Mesh, yaml: string, app: string, what: string, holds: (listeners: string) => boolean): Promise<void> {
  await mesh.apply(yaml);
  await settled(mesh, app, what, holds);
}

/** A TCP echo server on `address`: each connection gets back what it sends. */
async function tcpEcho(address: string, port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return server;
}

/** What comes back for `line` on a fresh connection to `address:port` (empty when the peer closes it first). */
function echoOf(address: string, port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = net.connect(port, address, () => socket.write(line));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= line.length) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
}

describeMesh('AuthorizationPolicy and RequestAuthentication', (mesh, run) => {
  let fetched: Signer;
  let inline: Signer;
  let jwksServer: http.Server;
  let jwksUri: string;
  before(async () => {
    [fetched, inline] = await Promise.all([signer('fetched'), signer('inline')]);
    jwksServer = http.createServer((req, res) => {
      res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(req.url === '/jwks.json' ? fetched.jwks : '{}');
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  });
  after(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  test('an ALLOW policy without rules denies all, `rules: [{}]` allows all, and a workload no policy selects stays open', async () => {
    const none = policy('details-none', '  selector:\n    matchLabels: {app: details}\n  action: ALLOW');
    const all = policy('details-all', '  selector:\n    matchLabels: {app: details}\n  action: ALLOW\n  rules:\n  - {}');
    const details = (): Promise<Reply> => fromPod(mesh(), 'productpage-v1-0', 'details:9080');
    await settled(mesh(), 'details', 'no security filter', open);
    try {
      // No rules: Istio's builder emits an ALLOW RBAC filter with no policy, which matches nothing.
      await enforce(mesh(), none, 'details', 'an RBAC filter', has('envoy.filters.http.rbac'));
      const denied = await details();
      assert.deepEqual([denied.status, denied.text], [403, 'RBAC: access denied'], 'details, which the policy selects');
      const ratings = await fromPod(mesh(), 'productpage-v1-0', 'ratings:9080');
      assert.equal(ratings.status, 200, 'ratings, which no policy selects, is still open');

      await mesh().delete(none);
      await enforce(mesh(), all, 'details', 'policy details-all', (l) => l.includes('policy[details-all]'));
      assert.equal((await details()).status, 200, 'an empty rule matches every request');
      assert.equal((await fromPod(mesh(), 'ratings-v1-0', 'details:9080', '/x', 'DELETE')).status, 200, 'any identity, path and method');
    } finally {
      await mesh().delete(`${none}\n---\n${all}`).catch(() => undefined);
    }
  });

  test('ALLOW GET /productpage from the productpage identity only: other identities, paths and methods get 403', async () => {
    // reviews is what productpage calls; its three Pods each enforce the policy. The principal is
    // the URI SAN of the client's certificate, which only auto-mTLS between sidecars gives.
    const allow = policy('reviews-from-productpage', `  selector:
    matchLabels: {app: reviews}
  action: ALLOW
  rules:
  - from:
    - source:
        principals: [${PRODUCTPAGE}]
    to:
    - operation:
        methods: [GET]
        paths: [/productpage]`);
    await settled(mesh(), 'reviews', 'no security filter', open);
    try {
      await enforce(mesh(), allow, 'reviews', 'policy reviews-from-productpage', has('policy[reviews-from-productpage]'));
      const denied = await fromPod(mesh(), 'details-v1-0', 'reviews:9080', '/productpage');
      assert.deepEqual([denied.status, denied.text], [403, 'RBAC: access denied'], 'the details identity');
      assert.equal((await fromPod(mesh(), 'ratings-v1-0', 'reviews:9080', '/productpage')).status, 403, 'the ratings identity');
      // Three in a row: each of the three reviews Pods is as likely to answer.
      for (let i = 0; i < 3; i++) assert.equal((await fromPod(mesh(), 'productpage-v1-0', 'reviews:9080', '/productpage')).status, 200, 'the productpage identity, GET /productpage');
      assert.equal((await fromPod(mesh(), 'productpage-v1-0', 'reviews:9080', '/other')).status, 403, 'another path');
      assert.equal((await fromPod(mesh(), 'productpage-v1-0', 'reviews:9080', '/productpage', 'POST')).status, 403, 'another method');
    } finally {
      await mesh().delete(allow).catch(() => undefined);
    }
    // Deleting the policy opens reviews again.
    await settled(mesh(), 'reviews', 'no security filter', open);
    assert.equal((await fromPod(mesh(), 'details-v1-0', 'reviews:9080', '/productpage')).status, 200, 'the details identity, once the policy is gone');
  });

  test('DENY beats ALLOW, and an AUDIT policy changes no answer', async () => {
    const allow = policy('productpage-get', `  selector:
    matchLabels: {app: productpage}
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: [GET]
        paths: [/productpage]`);
    const deny = policy('productpage-deny-header', `  selector:
    matchLabels: {app: productpage}
  action: DENY
  rules:
  - when:
    - key: request.headers[x-block]
      values: ["yes"]`);
    const audit = policy('productpage-audit', '  selector:\n    matchLabels: {app: productpage}\n  action: AUDIT\n  rules:\n  - {}');
    // What the gateway gets from productpage for each request, in one list so AUDIT can be compared.
    const answers = async (): Promise<number[]> => [
      (await viaGateway(mesh())).status,
      (await viaGateway(mesh(), '/api/v1/products')).status,
      (await viaGateway(mesh(), '/productpage', {}, 'POST')).status,
      (await viaGateway(mesh(), '/productpage', { 'x-block': 'yes' })).status,
      (await viaGateway(mesh(), '/productpage', { 'x-block': 'no' })).status,
    ];
    // Envoy counts each RBAC filter a request passes; AUDIT's (action LOG) passes everything.
    const filtersPassed = async (): Promise<number> => {
      const stats = await get(`${mesh().workload('productpage-v1-0').envoy.adminUrl}/stats?filter=^http\\.inbound_.*\\.rbac\\.allowed$`);
      return [...stats.text.matchAll(/: (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const perAllowedRequest = async (): Promise<number> => {
      const start = await filtersPassed();
      assert.equal((await viaGateway(mesh())).status, 200);
      return (await filtersPassed()) - start;
    };
    await settled(mesh(), 'productpage', 'no security filter', open);
    try {
      await enforce(mesh(), `${allow}\n---\n${deny}`, 'productpage', 'the ALLOW and DENY policies', (l) => l.includes('policy[productpage-get]') && l.includes('policy[productpage-deny-header]'));
      // GET /productpage allowed; other path and method not; x-block: yes matches DENY, which wins over ALLOW.
      const before = await answers();
      assert.deepEqual(before, [200, 403, 403, 403, 200]);
      assert.equal(await perAllowedRequest(), 2, 'an allowed request passes the DENY and the ALLOW filter');

      await enforce(mesh(), audit, 'productpage', 'the AUDIT policy', has('policy[productpage-audit]'));
      assert.equal(await perAllowedRequest(), 3, 'the AUDIT filter is in the chain');
      assert.deepEqual(await answers(), before, 'with AUDIT the same answers');
    } finally {
      await mesh().delete(`${allow}\n---\n${deny}\n---\n${audit}`).catch(() => undefined);
    }
  });

  test('a TCP port obeys a principal rule: the allowed identity gets its bytes back, another is disconnected', async () => {
    // A TCP port on the ratings Pod, served by an echo server on the Pod's own address.
    const port = 9091;
    const pods = mesh().workloads.filter((w) => w.labels.app === 'ratings');
    const echoes = await Promise.all(pods.map((w) => tcpEcho(w.localAddress, port)));
    const service = serviceYaml('ratings-tcp', { selector: { app: 'ratings' }, ports: [{ name: 'tcp-echo', port, targetPort: port }] });
    // The config dir has no EndpointSlice controller; the API server's controller makes this one itself.
    const slice = endpointSliceYaml('ratings-tcp', { ports: [{ name: 'tcp-echo', port }], endpoints: pods.map((w) => ({ ip: w.ip, pod: w.pod })) });
    const allow = policy('ratings-tcp-from-productpage', `  selector:
    matchLabels: {app: ratings}
  action: ALLOW
  rules:
  - from:
    - source:
        principals: [${PRODUCTPAGE}]
    to:
    - operation:
        ports: ["${port}"]`);
    const objects = run.source === 'files' ? `${service}\n---\n${slice}` : service;
    const [productpage, details, reviews] = ['productpage-v1-0', 'details-v1-0', 'reviews-v1-0'].map((pod) => mesh().workload(pod).outboundAddress) as [string, string, string];
    const served = async (from: string, line: string): Promise<boolean> => (await echoOf(from, port, line)) === line;
    await settled(mesh(), 'ratings', 'no security filter', open);
    try {
      await mesh().apply(objects);
      // Every client's sidecar has the TCP service before the policy comes, so a closed connection
      // below is the policy's doing, not a listener still on its way.
      await waitFor(async () => (await served(productpage, 'a\n')) && (await served(details, 'b\n')) && (await served(reviews, 'c\n')), CONVERGE_MS * 3, 'the TCP service answers through every sidecar');
      await enforce(mesh(), allow, 'ratings', 'the network RBAC policy', has('policy[ratings-tcp-from-productpage]'));
      assert.equal(await echoOf(details, port, 'hello\n'), '', 'the details identity is disconnected');
      assert.equal(await echoOf(reviews, port, 'hi\n'), '', 'the reviews identity is disconnected');
      assert.equal(await echoOf(productpage, port, 'still here\n'), 'still here\n', 'the productpage identity is served');
    } finally {
      await mesh().delete(`${allow}\n---\n${objects}`).catch(() => undefined);
      await Promise.all(echoes.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  test('JWT: valid tokens pass with their claims, forged, expired, foreign and wrong-audience ones do not, and none passes until a policy asks for a request principal', async () => {
    const auth = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: productpage-jwt, namespace: default}
spec:
  selector:
    matchLabels: {app: productpage}
  jwtRules:
  - issuer: ${ISSUER}
    jwksUri: ${jwksUri}
    audiences: [${AUDIENCE}]
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders:
    - {header: x-jwt-sub, claim: sub}
  - issuer: ${INLINE_ISSUER}
    jwks: ${JSON.stringify(inline.jwks)}
    fromHeaders: [{name: x-token}]
    fromParams: [token]
    forwardOriginalToken: true`;
    const principal = policy('productpage-require-jwt', `  selector:
    matchLabels: {app: productpage}
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["${ISSUER}/${SUBJECT}"]
    when:
    - key: request.auth.claims[groups]
      values: [readers]`);
    const status = async (t: string): Promise<number> => (await viaGateway(mesh(), '/productpage', bearer(t))).status;
    const inHeader = async (t: string): Promise<Reply> => viaGateway(mesh(), '/productpage', { 'x-token': t });
    const now = Math.floor(Date.now() / 1000);
    await settled(mesh(), 'productpage', 'no security filter', open);
    try {
      await enforce(mesh(), auth, 'productpage', 'the jwt_authn filter', (l) => l.includes(ISSUER) && l.includes(INLINE_ISSUER));
      // Envoy fetches the JWKS from jwksUri on the first request that needs it.
      const ok = await viaGateway(mesh(), '/productpage', bearer(await token(fetched, ISSUER)));
      assert.equal(ok.status, 200, `a valid token of the jwksUri issuer: ${ok.text.slice(0, 200)}`);
      const seen = (JSON.parse(ok.text) as EchoAnswer).headers;
      const payload = JSON.parse(Buffer.from(String(seen['x-jwt-payload']), 'base64url').toString()) as Record<string, unknown>;
      assert.deepEqual([payload.iss, payload.sub, payload.aud], [ISSUER, SUBJECT, AUDIENCE], 'the verified claims reach the app (outputPayloadToHeader)');
      assert.equal(seen['x-jwt-sub'], SUBJECT, 'outputClaimToHeaders');
      assert.equal(seen.authorization, undefined, 'the token itself is not forwarded (forwardOriginalToken is off)');
      // The inline issuer's tokens come in x-token (fromHeaders) or ?token= (fromParams), and are
      // forwarded to the app (forwardOriginalToken).
      const inlineToken = await token(inline, INLINE_ISSUER);
      const header = await inHeader(inlineToken);
      assert.equal(header.status, 200, `a valid token of the inline-jwks issuer in x-token: ${header.text.slice(0, 200)}`);
      assert.equal((JSON.parse(header.text) as EchoAnswer).headers['x-token'], inlineToken, 'forwardOriginalToken');
      assert.equal((await viaGateway(mesh(), `/productpage?token=${inlineToken}`)).status, 200, 'a valid token of the inline-jwks issuer in ?token=');
      assert.equal((await viaGateway(mesh(), `/productpage?token=${await token(fetched, INLINE_ISSUER)}`)).status, 401, 'forged: the inline issuer signed by another key, in ?token=');

      assert.equal(await status(await token(inline, ISSUER)), 401, 'forged: the jwksUri issuer signed by another key');
      assert.equal((await inHeader(await token(fetched, INLINE_ISSUER))).status, 401, 'forged: the inline issuer signed by another key');
      assert.equal(await status(await token(fetched, ISSUER, { iat: now - 900, exp: now - 120 })), 401, 'expired');
      assert.equal(await status(await token(fetched, 'https://elsewhere.mast.test')), 401, 'an issuer no rule names');
      assert.equal(await status('not.a.jwt'), 401, 'not a JWT');
      // A token for someone else is 403 from Envoy, not 401: jwt_authn's filter.cc answers
      // JwtAudienceNotAllowed with Forbidden, the status Istio's sidecars give as well.
      const audience = await viaGateway(mesh(), '/productpage', bearer(await token(fetched, ISSUER, { aud: 'someone-else' })));
      assert.deepEqual([audience.status, audience.text], [403, 'Audiences in Jwt are not allowed'], 'wrong audience');
      assert.equal((await viaGateway(mesh())).status, 200, 'no token passes: RequestAuthentication alone requires none');

      await enforce(mesh(), principal, 'productpage', 'the requestPrincipals policy', has('policy[productpage-require-jwt]'));
      const missing = await viaGateway(mesh());
      assert.deepEqual([missing.status, missing.text], [403, 'RBAC: access denied'], 'no token');
      assert.equal(await status(await token(fetched, ISSUER)), 200, 'the principal and claim the policy names');
      assert.equal(await status(await token(fetched, ISSUER, { sub: 'mallory' })), 403, 'another subject');
      assert.equal(await status(await token(fetched, ISSUER, { groups: ['writers'] })), 403, 'another group');
      assert.equal((await inHeader(inlineToken)).status, 403, 'a valid token of another issuer: another request principal');
      assert.equal(await status(await token(fetched, ISSUER, { iat: now - 900, exp: now - 120 })), 401, 'still 401 for an invalid token: authentication comes first');
    } finally {
      await mesh().delete(`${principal}\n---\n${auth}`).catch(() => undefined);
    }
  });

  test('the ingress gateway enforces them too: a JWT is required for /productpage, other paths are denied', async () => {
    // Istio's ingress task: policies in the gateway's namespace selecting it. productpage has
    // none, so every 401 and 403 here is the gateway's own.
    const auth = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: gateway-jwt, namespace: istio-system}
spec:
  selector:
    matchLabels: {istio: ingressgateway}
  jwtRules:
  - issuer: ${ISSUER}
    jwksUri: ${jwksUri}`;
    const allow = policy('gateway-require-jwt', `  selector:
    matchLabels: {istio: ingressgateway}
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["*"]
    to:
    - operation:
        paths: [/productpage]`, 'istio-system');
    const gateway = mesh().gateway.labels.app as string;
    await Promise.all([settled(mesh(), 'productpage', 'no security filter', open), settled(mesh(), gateway, 'no security filter', open)]);
    try {
      await enforce(mesh(), `${auth}\n---\n${allow}`, gateway, 'jwt_authn and RBAC', (l) => l.includes(ISSUER) && l.includes('policy[gateway-require-jwt]'));
      const valid = bearer(await token(fetched, ISSUER));
      assert.equal((await viaGateway(mesh(), '/productpage', valid)).status, 200, 'a valid token');
      const none = await viaGateway(mesh());
      assert.deepEqual([none.status, none.text], [403, 'RBAC: access denied'], 'no token');
      assert.equal((await viaGateway(mesh(), '/productpage', bearer(await token(inline, ISSUER)))).status, 401, 'a forged token');
      assert.equal((await viaGateway(mesh(), '/api/v1/products', valid)).status, 403, 'a path the policy does not allow');
    } finally {
      await mesh().delete(`${allow}\n---\n${auth}`).catch(() => undefined);
    }
  });
});
