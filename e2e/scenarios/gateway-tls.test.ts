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
// Certificates from files on the gateway's disk (serverCertificate, privateKey, caCertificates,
// caCrl), which Envoy reads itself from the Secrets Mast's SDS sends under Istio's file-cert: and
// file-root: names, and the rest of issue 8's certificate pieces:
// - SIMPLE with files: the file's certificate is presented; a new pair renamed into place (as a
//   mounted Secret is swapped) is presented next, with no change to any Mast object;
// - MUTUAL with files: a client from the caCertificates file's CA is served, none or another CA's
//   refused, and one the caCrl file revokes refused;
// - credentialNames with an ECDSA and an RSA credential: a client that verifies only ECDSA
//   signatures gets the ECDSA certificate, one that verifies only RSA gets the RSA one;
// - TLS servers in mode SIMPLE and MUTUAL: TLS terminated at the gateway, the plain stream routed
//   by the VirtualService's `tcp` rule to a TCP echo server outside the mesh.
// These share one mesh from the config dir (the credentials come from --credential-dir). The last
// block runs file certificates (SIMPLE, MUTUAL, and a TLS server to a tcp route) through both
// sources and both ADS variants: the Gateway from the config dir or a real API server, the files
// from the Envoy's own disk either way.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import { after, afterEach, before, test } from 'node:test';
import type { WorkloadCert } from '../../src/ca';
import { makeGatewayCredential, writeCredential, type GatewayCredential } from '../../test/support/gateway-credential';
import { certs } from '../../test/support/x509-chain';
import { sameSerial } from '../harness/envoy-certs';
import { Mesh, randomOctet } from '../harness/mesh';
import { describeMesh } from '../harness/scenario';
import { get, waitFor } from '../harness/net';
import { cleanup, tempDir } from '../harness/processes';
import { ingressGatewayPod } from '../harness/pod-yaml';
import { serviceWithEndpoints } from '../harness/service-yaml';

const NS = 'istio-system';
const SIMPLE_PORT = 8443;
const MUTUAL_PORT = 9443;
const REDIRECT_PORT = 8080;
const OPTIONAL_PORT = 10443;
const FILES_PORT = 11443;
const FILES_MUTUAL_PORT = 12443;
const PAIR_PORT = 13443;
const TLS_TCP_PORT = 14443;
const TLS_TCP_MUTUAL_PORT = 16443;
const CLIENT_SAN = 'spiffe://example.com/client';

/** The gateway's files: DIR/server/{tls.crt,tls.key}, DIR/clients/{ca.crt,ca.crl}. */
/** Service `echo` on port 7000, its one endpoint the TCP echo server at `address` (`IP:PORT`). */
function echoService(address: string, clusterIP?: string): string {
  const [ip, port] = address.split(':') as [string, string];
  return serviceWithEndpoints('echo', { ...(clusterIP ? { clusterIP } : {}), ports: [{ name: 'tcp', port: 7000, targetPort: Number(port) }], endpoints: [{ ip }] });
}

const config = (files: string, echo: string): string => `${ingressGatewayPod(SIMPLE_PORT)}---
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
  - port: {number: ${FILES_PORT}, name: https-files, protocol: HTTPS}
    hosts: [files.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${files}/server/tls.crt, privateKey: ${files}/server/tls.key}
  - port: {number: ${FILES_MUTUAL_PORT}, name: https-files-mutual, protocol: HTTPS}
    hosts: ["*"]
    tls:
      mode: MUTUAL
      serverCertificate: ${files}/server/tls.crt
      privateKey: ${files}/server/tls.key
      caCertificates: ${files}/clients/ca.crt
      caCrl: ${files}/clients/ca.crl
  - port: {number: ${PAIR_PORT}, name: https-pair, protocol: HTTPS}
    hosts: [pair.example.com]
    tls: {mode: SIMPLE, credentialNames: [pair-ecdsa, pair-rsa]}
  - port: {number: ${TLS_TCP_PORT}, name: tls-tcp, protocol: TLS}
    hosts: [tcp.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${files}/server/tls.crt, privateKey: ${files}/server/tls.key}
  - port: {number: ${TLS_TCP_MUTUAL_PORT}, name: tls-tcp-mutual, protocol: TLS}
    hosts: ["*"]
    tls: {mode: MUTUAL, serverCertificate: ${files}/server/tls.crt, privateKey: ${files}/server/tls.key, caCertificates: ${files}/clients/ca.crt}
  - port: {number: ${REDIRECT_PORT}, name: http, protocol: HTTP}
    hosts: [web.example.com, www.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hello, namespace: ${NS}}
spec:
  hosts: [web.example.com, partner.example.com, files.example.com, pair.example.com]
  gateways: [secure]
  http:
  - directResponse: {status: 200, body: {string: hello}}
---
${echoService(echo, '10.96.0.41')}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: ${NS}}
spec:
  hosts: [tcp.example.com]
  gateways: [secure]
  tcp:
  - route:
    - destination: {host: echo.default.svc.cluster.local, port: {number: 7000}}
`;

let mesh: Mesh;
let credentialDir: string;
let web: GatewayCredential;
let partner: GatewayCredential;
let filesDir: string;
let fileServer: GatewayCredential;
let pki: FilePki;
let pairRsa: string;
let pairEcdsa: GatewayCredential;
let echo: net.Server;

/**
 * A client CA of the user's own, made with openssl as its docs do, with a client it revokes in a
 * CRL: Node cannot sign a CRL. DIR/clients/{ca.crt,ca.crl} are what the Gateway names; the good
 * and revoked clients' PEM are returned.
 */
interface FilePki {
  ca: string;
  good: { cert: string; key: string };
  revoked: { cert: string; key: string };
}

function makeFilePki(dir: string): FilePki {
  const at = (f: string): string => path.join(dir, f);
  const ssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  writeFileSync(at('index.txt'), '');
  writeFileSync(at('crlnumber'), '01\n');
  writeFileSync(at('ca.cnf'), `[ca]\ndefault_ca = own\n[own]\ndatabase = ${at('index.txt')}\ncrlnumber = ${at('crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 1\n`);
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=files client CA', '-days', '1');
  const client = (name: string): { cert: string; key: string } => {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1');
    return { cert: ssl('x509', '-in', `${name}.crt`), key: ssl('pkey', '-in', `${name}.key`) };
  };
  const good = client('good');
  const revoked = client('revoked');
  ssl('ca', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-revoke', 'revoked.crt');
  ssl('ca', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-gencrl', '-out', 'ca.crl');
  return { ca: ssl('x509', '-in', 'ca.crt'), good, revoked };
}

/** An RSA certificate for `host` and its key, self-signed (openssl: Mast's CA signs with ECDSA only). */
function rsaCredential(dir: string, host: string): Record<string, string> {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key', '-out', 'rsa.crt', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`, '-days', '1'], { cwd: dir, stdio: 'ignore' });
  const read = (f: string): string => execFileSync('cat', [path.join(dir, f)]).toString();
  return { 'tls.crt': read('rsa.crt'), 'tls.key': read('rsa.key') };
}

/** Puts a certificate and key at DIR/server/{tls.crt,tls.key}, each written aside and renamed into place. */
function writeServerFiles(dir: string, c: GatewayCredential): void {
  for (const [name, text] of [['tls.crt', c.data['tls.crt']!], ['tls.key', c.data['tls.key']!]] as const) {
    writeFileSync(path.join(dir, 'server', `.${name}.new`), text, { mode: 0o600 });
    renameSync(path.join(dir, 'server', `.${name}.new`), path.join(dir, 'server', name));
  }
}

before(async () => {
  const octet = randomOctet();
  echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, `127.${octet}.5.1`, resolve));
  const { address, port } = echo.address() as AddressInfo;
  filesDir = tempDir('gateway-tls-files');
  mkdirSync(path.join(filesDir, 'server'));
  mkdirSync(path.join(filesDir, 'clients'));
  pki = makeFilePki(path.join(filesDir, 'clients'));
  const source = tempDir('gateway-tls-config');
  writeFileSync(path.join(source, 'gateway.yaml'), config(filesDir, `${address.replace(/^127\.\d+\./, '127.0.')}:${port}`));
  credentialDir = tempDir('gateway-tls-credentials');
  [web, partner, fileServer, pairEcdsa] = await Promise.all([['web'], ['partner'], ['files', 'tcp'], ['pair']].map((hs) => makeGatewayCredential(hs.map((h) => `${h}.example.com`))));
  writeServerFiles(filesDir, fileServer);
  const rsa = rsaCredential(filesDir, 'pair.example.com');
  pairRsa = rsa['tls.crt']!;
  writeCredential(credentialDir, NS, 'web-cert', web.data);
  writeCredential(credentialDir, NS, 'partner-cert', partner.data);
  writeCredential(credentialDir, NS, 'pair-ecdsa', pairEcdsa.data);
  writeCredential(credentialDir, NS, 'pair-rsa', rsa);
  mesh = await Mesh.start({ source, octet, mastArgs: ['--credential-dir', credentialDir] });
});

// No update to the gateway may be refused by its Envoy, the file secrets' included.
afterEach(() => mesh?.nacks.assertNone('during this test'));

after(async () => {
  try {
    await mesh?.stop();
    echo?.close();
  } finally {
    await cleanup();
  }
});

interface Answer {
  status: number;
  body: string;
  peer: PeerCertificate;
}

interface Client {
  cert: string;
  key: string;
}

const asClient = (c: WorkloadCert): Client => ({ cert: c.chainPem, key: c.key.reveal() });

/**
 * One HTTPS GET to the gateway on `port` with SNI `servername`, trusting `ca`, presenting `client`
 * if given, offering at most TLS `maxVersion`, verifying only the signature algorithms `sigalgs`.
 */
function call(port: number, servername: string, ca: string | string[], client?: WorkloadCert | Client, maxVersion?: 'TLSv1.2', sigalgs?: string, host = mesh.gateway.ip): Promise<Answer> {
  const own = client && 'chainPem' in client ? asClient(client) : client;
  return new Promise((resolve, reject) => {
    const req = https.get({
      host,
      port,
      servername,
      path: '/',
      headers: { host: servername },
      ca,
      ...(own ? { cert: own.cert, key: own.key } : {}),
      ...(maxVersion ? { maxVersion } : {}),
      ...(sigalgs ? { sigalgs } : {}),
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
  // The file secrets name files on the gateway's disk: no key (nor certificate) passes through Mast.
  const files = dump.secrets.filter((s) => s.name.startsWith('file-'));
  assert.deepEqual(files.map((s) => s.name).sort(), [`file-cert:${filesDir}/server/tls.crt~${filesDir}/server/tls.key`, `file-root:${filesDir}/clients/ca.crt`]);
  for (const s of files) assert.doesNotMatch(JSON.stringify(s.json), /inline/, s.name);
  const keyed = dump.secrets.filter((s) => s.json.tls_certificate && !s.name.startsWith('file-'));
  assert.deepEqual(keyed.map((s) => s.name).sort(), ['default', 'kubernetes://pair-ecdsa', 'kubernetes://pair-rsa', 'kubernetes://partner-cert', 'kubernetes://web-cert']);
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

/** Retries `attempt` until the listener on its port has its secrets (initial_fetch_timeout 0s), then answers its first success. */
async function once<T>(attempt: () => Promise<T>, what: string): Promise<T> {
  let answer: T | undefined;
  await waitFor(async () => (answer = await attempt().catch(() => undefined)) !== undefined, 20_000, what, 250);
  return answer!;
}

test('SIMPLE with files: the file certificate is presented, and a new pair renamed into place is presented next', async () => {
  const ca = fileServer.data['ca.crt']!;
  const answer = await once(() => call(FILES_PORT, 'files.example.com', ca), 'the files listener');
  assert.equal(answer.status, 200);
  assert.ok(sameSerial(answer.peer.serialNumber, leafSerial(fileServer.data['tls.crt']!)), `the file's leaf (${answer.peer.serialNumber})`);
  const renewed = await makeGatewayCredential(['files.example.com', 'tcp.example.com'], fileServer.ca);
  const before = await mesh.mast.configDump<{ secrets: unknown[] }>(mesh.gateway.nodeId);
  writeServerFiles(filesDir, renewed);
  const serial = leafSerial(renewed.data['tls.crt']!);
  await waitFor(async () => sameSerial((await call(FILES_PORT, 'files.example.com', ca)).peer.serialNumber, serial), 15_000, 'the renamed certificate', 250);
  // Envoy read the files again itself: what Mast sends is what it sent.
  assert.deepEqual((await mesh.mast.configDump<{ secrets: unknown[] }>(mesh.gateway.nodeId)).secrets, before.secrets);
  fileServer = renewed;
});

test("MUTUAL with files: a client of the caCertificates file's CA is served; none, another CA's, or one the caCrl file revokes are refused", async () => {
  const ca = fileServer.data['ca.crt']!;
  const answer = await once(() => call(FILES_MUTUAL_PORT, 'files.example.com', ca, pki.good), 'the files MUTUAL listener');
  assert.equal(answer.status, 200);
  await assert.rejects(call(FILES_MUTUAL_PORT, 'files.example.com', ca), /certificate required|ECONNRESET/, 'no client certificate');
  await assert.rejects(call(FILES_MUTUAL_PORT, 'files.example.com', ca, await web.client()), /unknown ca|ECONNRESET/, "another CA's client");
  await assert.rejects(call(FILES_MUTUAL_PORT, 'files.example.com', ca, pki.revoked), /certificate revoked/, 'a revoked client');
});

test('credentialNames: an ECDSA and an RSA credential, each presented to the client that can verify it', async () => {
  const cas = [pairEcdsa.data['ca.crt']!, pairRsa];
  const ecdsa = await once(() => call(PAIR_PORT, 'pair.example.com', cas, undefined, undefined, 'ecdsa_secp256r1_sha256'), 'the pair listener');
  assert.equal(ecdsa.status, 200);
  assert.ok(sameSerial(ecdsa.peer.serialNumber, leafSerial(pairEcdsa.data['tls.crt']!)), 'the ECDSA credential');
  const rsa = await call(PAIR_PORT, 'pair.example.com', cas, undefined, undefined, 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256');
  assert.equal(rsa.status, 200);
  assert.ok(sameSerial(rsa.peer.serialNumber, leafSerial(pairRsa)), 'the RSA credential');
});

/** Sends `text` over TLS to the gateway on `port` (SNI `servername`) and answers what comes back before the gateway closes. */
function tlsEcho(port: number, servername: string, ca: string, text: string, client?: Client, host = mesh.gateway.ip): Promise<{ reply: string; peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername, ca, ...(client ?? {}) }, () => {
      const peer = socket.getPeerCertificate();
      let reply = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        reply += d;
        if (reply.length >= text.length) {
          socket.end();
          resolve({ reply, peer });
        }
      });
      socket.write(text);
    });
    socket.setTimeout(3000, () => socket.destroy(new Error('no echo within 3 s')));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before the echo')));
  });
}

test('TLS servers in mode SIMPLE and MUTUAL: TLS ends at the gateway, and the plain stream follows the tcp route to the echo server', async () => {
  const ca = fileServer.data['ca.crt']!;
  const simple = await once(() => tlsEcho(TLS_TCP_PORT, 'tcp.example.com', ca, 'ping over TLS'), 'the TLS-to-TCP listener');
  assert.equal(simple.reply, 'ping over TLS');
  assert.ok(sameSerial(simple.peer.serialNumber, leafSerial(fileServer.data['tls.crt']!)), "the files' certificate");
  // The chain matches the server's host alone.
  await assert.rejects(tlsEcho(TLS_TCP_PORT, 'other.example.com', ca, 'x'), /ECONNRESET|closed|socket disconnected/);
  const mutual = await once(() => tlsEcho(TLS_TCP_MUTUAL_PORT, 'tcp.example.com', ca, 'ping over mutual TLS', pki.good), 'the MUTUAL TLS-to-TCP listener');
  assert.equal(mutual.reply, 'ping over mutual TLS');
  await assert.rejects(tlsEcho(TLS_TCP_MUTUAL_PORT, 'tcp.example.com', ca, 'x'), /certificate required|ECONNRESET|closed/, 'no client certificate');
});

// Certificates from files through both config sources: the Gateway comes from the config dir or
// from a real API server, and the files from the gateway Envoy's own disk either way.
const FILES_CASE = tempDir('gateway-files-case');
const FILES_DIR = tempDir('gateway-files-certs');
writeFileSync(path.join(FILES_CASE, 'gateway.yaml'), config(FILES_DIR, '127.0.5.1:7').split('\n---\n')[0]!);

describeMesh('Gateway certificates from files', (mesh) => {
  let server: GatewayCredential;
  let clients: FilePki;
  let tcpEcho: net.Server | undefined;
  after(() => tcpEcho?.close());
  before(async () => {
    // A TCP echo server outside the mesh, at the mesh's own prefix (127.X or, in Kubernetes mode, 10.X).
    const prefix = mesh().gateway.ip.split('.').slice(0, 2).join('.');
    tcpEcho = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => tcpEcho!.listen(0, `${prefix}.5.1`, resolve));
    const echoPort = (tcpEcho.address() as AddressInfo).port;
    mkdirSync(path.join(FILES_DIR, 'server'), { recursive: true });
    mkdirSync(path.join(FILES_DIR, 'clients'), { recursive: true });
    clients = makeFilePki(path.join(FILES_DIR, 'clients'));
    server = await makeGatewayCredential(['files.example.com']);
    writeServerFiles(FILES_DIR, server);
    await mesh().apply(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: files, namespace: ${NS}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${FILES_PORT}, name: https-files, protocol: HTTPS}
    hosts: [files.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${FILES_DIR}/server/tls.crt, privateKey: ${FILES_DIR}/server/tls.key}
  - port: {number: ${FILES_MUTUAL_PORT}, name: https-files-mutual, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: MUTUAL, serverCertificate: ${FILES_DIR}/server/tls.crt, privateKey: ${FILES_DIR}/server/tls.key, caCertificates: ${FILES_DIR}/clients/ca.crt}
  - port: {number: ${TLS_TCP_PORT}, name: tls-tcp, protocol: TLS}
    hosts: [files.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${FILES_DIR}/server/tls.crt, privateKey: ${FILES_DIR}/server/tls.key}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: files, namespace: ${NS}}
spec:
  hosts: [files.example.com]
  gateways: [files]
  http:
  - directResponse: {status: 200, body: {string: from files}}
  tcp:
  - match: [{port: ${TLS_TCP_PORT}}]
    route:
    - destination: {host: echo.default.svc.cluster.local, port: {number: 7000}}
---
${echoService(`${prefix}.5.1:${echoPort}`)}`);
  });

  test('SIMPLE: the file certificate is presented; MUTUAL: a client of the file CA is served, none refused', async () => {
    const ca = server.data['ca.crt']!;
    const at = mesh().gateway.ip;
    const simple = await once(() => call(FILES_PORT, 'files.example.com', ca, undefined, undefined, undefined, at), 'the files listener');
    assert.deepEqual([simple.status, simple.body], [200, 'from files']);
    assert.ok(sameSerial(simple.peer.serialNumber, leafSerial(server.data['tls.crt']!)), "the file's leaf");
    const mutual = await once(() => call(FILES_MUTUAL_PORT, 'files.example.com', ca, clients.good, undefined, undefined, at), 'the files MUTUAL listener');
    assert.equal(mutual.status, 200);
    await assert.rejects(call(FILES_MUTUAL_PORT, 'files.example.com', ca, undefined, undefined, undefined, at), /certificate required|ECONNRESET/, 'no client certificate');
  });

  test('a TLS server in mode SIMPLE: TLS ends at the gateway with the file certificate, and the stream follows the tcp route', async () => {
    const answer = await once(() => tlsEcho(TLS_TCP_PORT, 'files.example.com', server.data['ca.crt']!, 'ping', undefined, mesh().gateway.ip), 'the TLS-to-TCP listener');
    assert.equal(answer.reply, 'ping');
    assert.ok(sameSerial(answer.peer.serialNumber, leafSerial(server.data['tls.crt']!)), "the file's leaf");
  });
}, { source: FILES_CASE });
