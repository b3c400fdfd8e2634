// A gateway terminating TLS with certificates it gets over SDS from a Gateway's credentialName, in
// file mode (`mast serve --credential-dir`; Kubernetes mode reads the same data from a Secret:
// test/xds/credentials.test.ts serves it, e2e/k8s/rbac.test.ts reads one from a real API server as
// Mast's ServiceAccount and follows its update). One gateway Envoy and a VirtualService with a direct response, so that
// only the gateway's TLS is under test:
// - SIMPLE: an HTTPS client that trusts the credential's CA gets the credential's certificate for
//   its SNI name, and no certificate for a name the server does not list;
// - MUTUAL: no client certificate, one from another CA, or one with a SAN the server does not list
//   are each refused; one signed by the credential's CA with a listed SAN is served;
// - OPTIONAL_MUTUAL: a client without a certificate is served, one from another CA is refused;
//   its minProtocolVersion TLSV1_3 refuses a TLS 1.2 client;
// - a rewritten credential reaches the gateway without a restart;
// - an HTTP server with httpsRedirect answers 301 to https, for a host a VirtualService serves and
//   for one none does;
// - Mast's /debug endpoints show the credential's and the workload certificate's keys `[redacted]`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import type { WorkloadCert } from '../../src/ca';
import { makeGatewayCredential, writeCredential, type GatewayCredential } from '../../test/support/gateway-credential';
import { certs } from '../../test/support/x509-chain';
import { sameSerial } from '../harness/envoy-certs';
import { Mesh, randomOctet } from '../harness/mesh';
import { get, waitFor } from '../harness/net';
import { cleanup, tempDir } from '../harness/processes';

const NS = 'istio-system';
const SIMPLE_PORT = 8443;
const MUTUAL_PORT = 9443;
const REDIRECT_PORT = 8080;
const OPTIONAL_PORT = 10443;
const CLIENT_SAN = 'spiffe://example.com/client';

const config = `apiVersion: v1
kind: Pod
metadata:
  name: istio-ingressgateway-0
  namespace: ${NS}
  labels: {app: istio-ingressgateway, istio: ingressgateway}
spec:
  serviceAccountName: istio-ingressgateway-service-account
  containers:
  - name: istio-proxy
    image: envoy
    ports:
    - containerPort: ${SIMPLE_PORT}
status:
  phase: Running
  podIP: 127.0.4.1
  podIPs:
  - ip: 127.0.4.1
  conditions:
  - type: Ready
    status: "True"
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: secure, namespace: ${NS}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${SIMPLE_PORT}, name: https, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE, credentialName: web-cert}
  - port: {number: ${MUTUAL_PORT}, name: https-partner, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: MUTUAL, credentialName: partner-cert, subjectAltNames: ["${CLIENT_SAN}"]}
  - port: {number: ${OPTIONAL_PORT}, name: https-optional, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: OPTIONAL_MUTUAL, credentialName: partner-cert, minProtocolVersion: TLSV1_3}
  - port: {number: ${REDIRECT_PORT}, name: http, protocol: HTTP}
    hosts: [web.example.com, www.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hello, namespace: ${NS}}
spec:
  hosts: [web.example.com, partner.example.com]
  gateways: [secure]
  http:
  - directResponse: {status: 200, body: {string: hello}}
`;

let mesh: Mesh;
let credentialDir: string;
let web: GatewayCredential;
let partner: GatewayCredential;

before(async () => {
  const source = tempDir('gateway-tls-config');
  writeFileSync(path.join(source, 'gateway.yaml'), config);
  credentialDir = tempDir('gateway-tls-credentials');
  [web, partner] = await Promise.all([makeGatewayCredential(['web.example.com']), makeGatewayCredential(['partner.example.com'])]);
  writeCredential(credentialDir, NS, 'web-cert', web.data);
  writeCredential(credentialDir, NS, 'partner-cert', partner.data);
  mesh = await Mesh.start({ source, octet: randomOctet(), mastArgs: ['--credential-dir', credentialDir] });
});

after(async () => {
  try {
    await mesh?.stop();
  } finally {
    await cleanup();
  }
});

interface Answer {
  status: number;
  body: string;
  peer: PeerCertificate;
}

/** One HTTPS GET to the gateway on `port` with SNI `servername`, trusting `ca`, presenting `client` if given, offering at most TLS `maxVersion`. */
function call(port: number, servername: string, ca: string, client?: WorkloadCert, maxVersion?: 'TLSv1.2'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get({
      host: mesh.gateway.ip,
      port,
      servername,
      path: '/',
      headers: { host: servername },
      ca,
      ...(client ? { cert: client.chainPem, key: client.key.reveal() } : {}),
      ...(maxVersion ? { maxVersion } : {}),
      agent: false,
      timeout: 3000,
    }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
  });
}

const leafSerial = (pem: string): string => certs(pem)[0]!.serialNumber;

test("SIMPLE: the gateway presents the credential's certificate for its SNI name, and serves", async () => {
  // The listener waits for its secret (initial_fetch_timeout 0s): retry until it is there.
  let answer: Answer | undefined;
  await waitFor(async () => (answer = await call(SIMPLE_PORT, 'web.example.com', web.data['ca.crt']!).catch(() => undefined)) !== undefined, 20_000, 'the HTTPS listener', 250);
  assert.equal(answer!.status, 200);
  assert.equal(answer!.body, 'hello');
  assert.ok(sameSerial(answer!.peer.serialNumber, leafSerial(web.data['tls.crt']!)), `the credential's leaf (${answer!.peer.serialNumber})`);
  // Node verified the chain against the credential's CA and the name against web.example.com; no
  // filter chain answers another name.
  await assert.rejects(call(SIMPLE_PORT, 'other.example.com', web.data['ca.crt']!), /ECONNRESET/);
});

test('MUTUAL: a client needs a certificate from the credential\'s CA with a listed SAN', async () => {
  const ca = partner.data['ca.crt']!;
  const good = await partner.client();
  let answer: Answer | undefined;
  await waitFor(async () => (answer = await call(MUTUAL_PORT, 'partner.example.com', ca, good).catch(() => undefined)) !== undefined, 20_000, 'the MUTUAL listener', 250);
  assert.equal(answer!.status, 200);
  assert.ok(sameSerial(answer!.peer.serialNumber, leafSerial(partner.data['tls.crt']!)));
  await assert.rejects(call(MUTUAL_PORT, 'partner.example.com', ca), /certificate required|ECONNRESET/, 'no client certificate');
  await assert.rejects(call(MUTUAL_PORT, 'partner.example.com', ca, await web.client()), /unknown ca|ECONNRESET/, "another CA's client");
  const otherSan = await partner.ca.issueWorkloadCert('spiffe://example.com/intruder', 3600_000);
  await assert.rejects(call(MUTUAL_PORT, 'partner.example.com', ca, otherSan), /certificate unknown|ECONNRESET/, 'a SAN the server does not list');
});

test('OPTIONAL_MUTUAL: served without a client certificate or with one from the CA, refused with another CA\'s; TLS 1.2 refused under minProtocolVersion TLSV1_3', async () => {
  const ca = partner.data['ca.crt']!;
  let answer: Answer | undefined;
  await waitFor(async () => (answer = await call(OPTIONAL_PORT, 'partner.example.com', ca).catch(() => undefined)) !== undefined, 20_000, 'the OPTIONAL_MUTUAL listener', 250);
  assert.equal(answer!.status, 200, 'no client certificate');
  assert.equal((await call(OPTIONAL_PORT, 'partner.example.com', ca, await partner.client())).status, 200, "the credential's CA");
  await assert.rejects(call(OPTIONAL_PORT, 'partner.example.com', ca, await web.client()), /unknown ca|ECONNRESET/, "another CA's client");
  await assert.rejects(call(OPTIONAL_PORT, 'partner.example.com', ca, undefined, 'TLSv1.2'), /protocol version|ECONNRESET|alert/i, 'a TLS 1.2 client');
  // The same client is served where no minimum is set.
  assert.equal((await call(SIMPLE_PORT, 'web.example.com', web.data['ca.crt']!, undefined, 'TLSv1.2')).status, 200);
});

test('httpsRedirect: plain HTTP gets 301 to the same URL over https, whether or not a VirtualService serves the host', async () => {
  const url = `http://${mesh.gateway.ip}:${REDIRECT_PORT}/path?q=1`;
  let reply = await get(url, { host: 'web.example.com' }).catch(() => undefined);
  await waitFor(async () => (reply = await get(url, { host: 'web.example.com' }).catch(() => undefined))?.status === 301, 20_000, 'the redirecting listener', 250);
  assert.equal(reply!.headers.location, 'https://web.example.com/path?q=1');
  const unserved = await get(url, { host: 'www.example.com' });
  assert.deepEqual([unserved.status, unserved.headers.location], [301, 'https://www.example.com/path?q=1']);
  assert.equal((await get(url, { host: 'elsewhere.example.com' })).status, 404, 'a host the server does not list is not redirected');
});

test('a rewritten credential reaches the gateway without a restart', async () => {
  const renewed = await makeGatewayCredential(['web.example.com'], web.ca);
  writeCredential(credentialDir, NS, 'web-cert', renewed.data);
  const serial = leafSerial(renewed.data['tls.crt']!);
  await waitFor(async () => sameSerial((await call(SIMPLE_PORT, 'web.example.com', web.data['ca.crt']!)).peer.serialNumber, serial), 15_000, 'the renewed certificate', 250);
});

test("Mast's /debug endpoints redact every key: the credential's and the gateway's workload certificate's", async () => {
  const dump = await mesh.mast.configDump<{ secrets: { name: string; json: { tls_certificate?: { certificate_chain: { inline_bytes: string }; private_key: { inline_bytes: string } } } }[] }>(mesh.gateway.nodeId);
  const keyed = dump.secrets.filter((s) => s.json.tls_certificate);
  assert.deepEqual(keyed.map((s) => s.name).sort(), ['default', 'kubernetes://partner-cert', 'kubernetes://web-cert']);
  for (const s of keyed) {
    assert.equal(s.json.tls_certificate!.private_key.inline_bytes, '[redacted]', s.name);
    assert.ok(certs(Buffer.from(s.json.tls_certificate!.certificate_chain.inline_bytes, 'base64').toString()).length > 0, `${s.name} keeps its chain`);
  }
  for (const endpoint of [`/debug/config_dump?proxy=${encodeURIComponent(mesh.gateway.nodeId)}`, '/debug/syncz', '/debug/diagnostics']) {
    const { status, text } = await get(`${mesh.mast.adminUrl}${endpoint}`);
    assert.equal(status, 200, endpoint);
    // PEM as text, and base64 inside the JSON decoded: no private key either way.
    const decoded = [...text.matchAll(/"([A-Za-z0-9+/]{40,}={0,2})"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('latin1'));
    for (const t of [text, ...decoded]) assert.doesNotMatch(t, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, endpoint);
  }
});
