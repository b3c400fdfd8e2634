// AuthorizationPolicy and RequestAuthentication through real Envoy, as Istio's security tasks use
// them: RBAC on a sidecar's inbound side and on the ingress gateway (403 `RBAC: access denied`),
// Istio's evaluation order (DENY before ALLOW, AUDIT only logs, no ALLOW policy means open, an
// ALLOW policy without rules denies all), and JWT verification with keys Envoy fetches from a
// JWKS server on loopback (a forged or expired token 401, one for another audience 403 as Envoy
// answers it; no token passes unless a policy wants a request principal, then 403). Tokens are
// signed here with node's crypto.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { EchoAnswer } from '../../examples/app/echo';
import type { Mesh } from '../harness/mesh';
import { get, waitFor, type Reply } from '../harness/net';
import { CONVERGE_MS, describeMesh } from '../harness/scenario';

const ISSUER = 'https://issuer.mast.test';
const AUDIENCE = 'bookinfo';
const SUBJECT = 'alice';

/** An ES256 key whose public half a loopback JWKS server publishes. */
interface Issuer {
  key: KeyObject;
  kid: string;
  jwksUri: string;
  server: http.Server;
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A compact JWS (RFC 7515) over `claims`, ES256 with `key`. */
function jwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const data = `${b64({ alg: 'ES256', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${data}.${sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'mast-e2e';
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] });
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/jwks.json' ? jwks : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { key: privateKey, kid, jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, server };
}

function token(issuer: Issuer, over: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt(issuer.key, issuer.kid, { iss: ISSUER, sub: SUBJECT, aud: AUDIENCE, iat: now, exp: now + 600, groups: ['readers'], ...over });
}

function policy(name: string, spec: string, annotations = ''): string {
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${name}
  namespace: default${annotations ? `\n  annotations: {${annotations}}` : ''}
spec:
${spec}`;
}

/** Requests to productpage through the gateway, with headers. */
function viaGateway(mesh: Mesh, path = '/productpage', headers: Record<string, string> = {}): Promise<Reply> {
  return get(mesh.gatewayUrl(path), { headers });
}

/** Polls until `request` answers `status`: policies reach every Envoy within the convergence budget. */
async function until(what: string, status: number, request: () => Promise<Reply>): Promise<Reply> {
  let last: Reply | undefined;
  await waitFor(async () => (last = await request()).status === status, CONVERGE_MS * 2, `${what}: status ${status}`, 25).catch((e: Error) => {
    throw new Error(`${e.message}; last answer ${last?.status} ${last?.text.slice(0, 200)}`);
  });
  return last as Reply;
}

describeMesh('AuthorizationPolicy and RequestAuthentication', (mesh) => {
  let issuer: Issuer;
  before(async () => {
    issuer = await startIssuer();
  });
  after(() => new Promise<void>((resolve) => issuer.server.close(() => resolve())));

  test('a workload no policy selects stays open', async () => {
    const others = policy('ratings-nothing', '  selector:\n    matchLabels: {app: ratings}');
    await mesh().apply(others);
    try {
      await until('ratings closed', 403, () => get(mesh().outboundUrl('productpage-v1-0'), { host: 'ratings:9080' }));
      assert.equal((await get(mesh().outboundUrl('productpage-v1-0'), { host: 'details:9080' })).status, 200);
    } finally {
      await mesh().delete(others);
    }
  });

  test('an ALLOW policy without rules denies every request (403 RBAC: access denied)', async () => {
    const nothing = policy('details-nothing', '  selector:\n    matchLabels: {app: details}\n  action: ALLOW');
    await mesh().apply(nothing);
    try {
      const denied = await until('details closed', 403, () => get(mesh().outboundUrl('productpage-v1-0'), { host: 'details:9080' }));
      assert.equal(denied.text, 'RBAC: access denied');
    } finally {
      await mesh().delete(nothing);
    }
    await until('details open again', 200, () => get(mesh().outboundUrl('productpage-v1-0'), { host: 'details:9080' }));
  });

  test('ALLOW GET /productpage only; DENY beats ALLOW; AUDIT changes nothing', async () => {
    const allow = policy('productpage-get', `  selector:
    matchLabels: {app: productpage}
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: [GET]
        paths: [/productpage]`);
    await mesh().apply(allow);
    try {
      // The gateway sends /productpage and /api/v1/products to productpage; only the first is allowed there.
      await until('other paths denied', 403, () => viaGateway(mesh(), '/api/v1/products'));
      assert.equal((await viaGateway(mesh())).status, 200);
      const post = await new Promise<number>((resolve, reject) => {
        const req = http.request(mesh().gatewayUrl(), { method: 'POST', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(post, 403, 'POST is not allowed');

      const deny = policy('productpage-deny-header', `  selector:
    matchLabels: {app: productpage}
  action: DENY
  rules:
  - when:
    - key: request.headers[x-block]
      values: ["yes"]`);
      await mesh().apply(deny);
      await until('DENY applies', 403, () => viaGateway(mesh(), '/productpage', { 'x-block': 'yes' }));
      assert.equal((await viaGateway(mesh(), '/productpage', { 'x-block': 'no' })).status, 200, 'ALLOW still allows what DENY does not match');

      // AUDIT logs and never decides: the same answers as before. Envoy counts each RBAC filter
      // a request passes (an AUDIT filter, action LOG, passes everything and marks what it
      // matched for the access log), so an allowed request now passes three filters, not two.
      const perRequest = async (): Promise<number> => {
        const allowed = async (): Promise<number> => {
          const stats = await get(`${mesh().workload('productpage-v1-0').envoy.adminUrl}/stats?filter=^http\\.inbound_.*\\.rbac\\.allowed$`);
          return stats.text.split('\n').reduce((n, line) => n + Number(/: (\d+)$/.exec(line)?.[1] ?? 0), 0);
        };
        const start = await allowed();
        for (let i = 0; i < 4; i++) assert.equal((await viaGateway(mesh())).status, 200);
        return ((await allowed()) - start) / 4;
      };
      assert.equal(await perRequest(), 2, 'the DENY and ALLOW filters');
      const audit = policy('productpage-audit', '  selector:\n    matchLabels: {app: productpage}\n  action: AUDIT\n  rules:\n  - {}');
      await mesh().apply(audit);
      await waitFor(async () => (await perRequest()) === 3, CONVERGE_MS * 2, 'the AUDIT filter in the chain');
      assert.equal((await viaGateway(mesh(), '/productpage', { 'x-block': 'yes' })).status, 403);
      assert.equal((await viaGateway(mesh(), '/api/v1/products')).status, 403);
      await mesh().delete(`${deny}\n---\n${audit}`);
    } finally {
      await mesh().delete(allow).catch(() => undefined);
    }
    await until('productpage open again', 200, () => viaGateway(mesh(), '/api/v1/products'));
  });

  test('JWT: a valid token passes with its claims, a bad one is 401, none passes until a policy asks for a request principal', async () => {
    const auth = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: productpage-jwt
  namespace: default
spec:
  selector:
    matchLabels: {app: productpage}
  jwtRules:
  - issuer: ${ISSUER}
    jwksUri: ${issuer.jwksUri}
    audiences: [${AUDIENCE}]
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders:
    - {header: x-jwt-sub, claim: sub}`;
    const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
    await mesh().apply(auth);
    try {
      const forged = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      await until('a forged token is refused', 401, () => viaGateway(mesh(), '/productpage', bearer(jwt(forged, issuer.kid, { iss: ISSUER, sub: SUBJECT, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 }))));
      const ok = await until('a valid token passes', 200, () => viaGateway(mesh(), '/productpage', bearer(token(issuer))));
      const seen = (JSON.parse(ok.text) as EchoAnswer).headers;
      const payload = JSON.parse(Buffer.from(String(seen['x-jwt-payload']), 'base64url').toString()) as Record<string, unknown>;
      assert.equal(payload.sub, SUBJECT, 'the verified claims reach the app (outputPayloadToHeader)');
      assert.equal(seen['x-jwt-sub'], SUBJECT, 'outputClaimToHeaders');
      assert.equal(seen.authorization, undefined, 'the token itself is not forwarded (forwardOriginalToken is off)');
      assert.equal((await viaGateway(mesh(), '/productpage', bearer(token(issuer, { exp: Math.floor(Date.now() / 1000) - 120 })))).status, 401, 'expired');
      // Envoy answers a token for someone else 403, not 401 (jwt_authn filter.cc: JwtAudienceNotAllowed is
      // Forbidden), and so does Istio, whose filter this is.
      const audience = await viaGateway(mesh(), '/productpage', bearer(token(issuer, { aud: 'someone-else' })));
      assert.deepEqual([audience.status, audience.text], [403, 'Audiences in Jwt are not allowed'], 'wrong audience');
      assert.equal((await viaGateway(mesh(), '/productpage', bearer('not.a.jwt'))).status, 401, 'not a JWT');
      assert.equal((await viaGateway(mesh())).status, 200, 'no token passes: RequestAuthentication alone requires none');

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
      await mesh().apply(principal);
      const missing = await until('no token: 403', 403, () => viaGateway(mesh()));
      assert.equal(missing.text, 'RBAC: access denied');
      assert.equal((await viaGateway(mesh(), '/productpage', bearer(token(issuer)))).status, 200, 'the principal and claim the policy names');
      assert.equal((await viaGateway(mesh(), '/productpage', bearer(token(issuer, { sub: 'mallory' })))).status, 403, 'another subject');
      assert.equal((await viaGateway(mesh(), '/productpage', bearer(token(issuer, { groups: ['writers'] })))).status, 403, 'another group');
      await mesh().delete(principal);
    } finally {
      await mesh().delete(auth).catch(() => undefined);
    }
    await until('productpage takes any token again', 200, () => viaGateway(mesh(), '/productpage', { authorization: 'Bearer not.a.jwt' }));
  });
});
