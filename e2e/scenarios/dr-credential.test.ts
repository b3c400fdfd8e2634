// DestinationRule tls.credentialName through real Envoy: a gateway originates mutual TLS with a
// credential it gets over SDS, as an egress gateway does in Istio's TLS origination with a client
// credential (the rule selects the gateway with a workloadSelector, in its namespace; the e2e
// harness runs gateways as istio: ingressgateway, and the rule reads only that the proxy is one). The upstream is a
// Node HTTPS server outside the mesh that requires a client certificate from its own client CA
// and presents a certificate from another CA, which the credential's ca.crt holds. File mode, as
// e2e/scenarios/gateway-tls.test.ts (Kubernetes mode reads the same data from a Secret:
// test/xds/credentials.test.ts). It checks:
// - without a rule: plaintext to a TLS server fails, so the TLS below is the rule's;
// - MUTUAL: the server sees the credential's client certificate, signed by its client CA;
// - SIMPLE with a credential holding the server's CA: served, no client certificate sent;
// - SIMPLE with a credential holding another CA: the gateway refuses the server (503);
// - a sidecar (Istio's rule for credentialName at sidecars): a rule without a workloadSelector gives
//   its cluster no TLS (plaintext, which the TLS server does not answer) and it is sent no key; a
//   rule in its namespace whose workloadSelector selects it makes it originate mutual TLS with the
//   credential of its own namespace, whose key it is then sent.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { CertificateAuthority } from '../../src/ca';
import { makeGatewayCredential, writeCredential } from '../../test/support/gateway-credential';
import { Mesh, OWN_APP_ANNOTATION, randomOctet } from '../harness/mesh';
import { get, waitFor } from '../harness/net';
import { cleanup, tempDir } from '../harness/processes';
import { ingressGatewayPod } from '../harness/pod-yaml';
import { serviceWithEndpoints } from '../harness/service-yaml';

const NS = 'istio-system';
const GATEWAY_PORT = 8080;
const CLIENT_SAN = 'spiffe://example.com/ns/istio-system/sa/egress';
const SHOP = 'shop';
const SHOP_SAN = 'spiffe://example.com/ns/shop/sa/shop-client';

function config(upstream: string): string {
  const [ip, port] = upstream.split(':') as [string, string];
  return `apiVersion: v1
kind: Pod
metadata:
  name: shop-client-0
  namespace: ${SHOP}
  labels: {app: shop-client}
  annotations: {${OWN_APP_ANNOTATION}: none}
spec:
  serviceAccountName: shop-client
  containers:
  - name: app
    image: app
status:
  phase: Running
  podIP: 127.0.4.2
  podIPs:
  - ip: 127.0.4.2
  conditions:
  - type: Ready
    status: "True"
---
${ingressGatewayPod(GATEWAY_PORT)}---
${serviceWithEndpoints('payments', { clusterIP: '10.96.0.40', ports: [{ name: 'http', port: 443, targetPort: Number(port) }], endpoints: [{ ip }] })}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: egress, namespace: ${NS}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${GATEWAY_PORT}, name: http, protocol: HTTP}
    hosts: [payments.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: payments, namespace: ${NS}}
spec:
  hosts: [payments.example.com]
  gateways: [egress]
  http:
  - route:
    - destination: {host: payments.default.svc.cluster.local, port: {number: 443}}
`;
}

function rule(tls: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls-for-payments, namespace: ${NS}}
spec:
  host: payments.default.svc.cluster.local
  workloadSelector:
    matchLabels: {istio: ingressgateway}
  trafficPolicy:
    tls: ${tls}
`;
}

let mesh: Mesh;
let server: https.Server;

before(async () => {
  const octet = randomOctet();
  const [serverCredential, clientCa, otherCa] = await Promise.all([makeGatewayCredential(['payments.example.com']), CertificateAuthority.create(), CertificateAuthority.create()]);
  const client = await clientCa.issueWorkloadCert(CLIENT_SAN, 3600_000);
  const shopClient = await clientCa.issueWorkloadCert(SHOP_SAN, 3600_000);
  server = https.createServer(
    // Asks for a client certificate but serves without one, saying what it got.
    { cert: serverCredential.data['tls.crt'], key: serverCredential.data['tls.key'], ca: clientCa.rootPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      res.end(JSON.stringify({ client: socket.getPeerCertificate().subjectaltname ?? '', authorized: socket.authorized }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, `127.${octet}.5.1`, resolve));
  const { address, port } = server.address() as AddressInfo;
  const source = tempDir('dr-credential-config');
  writeFileSync(path.join(source, 'mesh.yaml'), config(`${address.replace(/^127\.\d+\./, '127.0.')}:${port}`));
  const credentialDir = tempDir('dr-credential-credentials');
  // Istio's client credential: the client's certificate and key, and the CA that signed the server.
  writeCredential(credentialDir, NS, 'client-credential', { 'tls.crt': client.chainPem, 'tls.key': client.key.reveal(), 'ca.crt': serverCredential.ca.rootPem });
  writeCredential(credentialDir, NS, 'payments-ca', { 'ca.crt': serverCredential.ca.rootPem });
  writeCredential(credentialDir, NS, 'wrong-ca', { 'ca.crt': otherCa.rootPem });
  writeCredential(credentialDir, SHOP, 'shop-credential', { 'tls.crt': shopClient.chainPem, 'tls.key': shopClient.key.reveal(), 'ca.crt': serverCredential.ca.rootPem });
  mesh = await Mesh.start({ source, octet, mastArgs: ['--credential-dir', credentialDir] });
});

after(async () => {
  try {
    await mesh?.stop();
    server?.closeAllConnections();
    server?.close();
  } finally {
    await cleanup();
  }
});

const call = () => get(`http://${mesh.gateway.ip}:${GATEWAY_PORT}/`, { host: 'payments.example.com' });

test('without a rule the gateway speaks plaintext, which the TLS server does not answer', async () => {
  const r = await call();
  assert.ok(r.status >= 500, `${r.status} ${r.text.slice(0, 200)}`);
});

test("MUTUAL with a credentialName: the server sees the credential's client certificate", async () => {
  await mesh.apply(rule('{mode: MUTUAL, credentialName: client-credential, sni: payments.example.com}'));
  // The cluster waits for its two secrets (initial_fetch_timeout 0s), then serves.
  await waitFor(async () => (await call()).status === 200, 10000, 'the gateway originates mutual TLS');
  assert.deepEqual(JSON.parse((await call()).text), { client: `URI:${CLIENT_SAN}`, authorized: true });
});

test("SIMPLE with a credentialName: the server is checked against the credential's CA, no client certificate", async () => {
  await mesh.apply(rule('{mode: SIMPLE, credentialName: payments-ca, sni: payments.example.com}'));
  await waitFor(async () => { const r = await call(); return r.status === 200 && !r.text.includes(CLIENT_SAN); }, 10000, 'SIMPLE served');
  assert.deepEqual(JSON.parse((await call()).text), { client: '', authorized: false });
});

test("SIMPLE with a credential whose CA did not sign the server: the gateway refuses the server", async () => {
  await mesh.apply(rule('{mode: SIMPLE, credentialName: wrong-ca, sni: payments.example.com}'));
  await waitFor(async () => (await call()).status === 503, 10000, 'the gateway refuses the server');
  assert.match((await call()).text, /CERTIFICATE_VERIFY_FAILED|TLS error|connection failure/i);
});

function shopRule(selector: boolean): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: shop-payments, namespace: ${SHOP}}
spec:
  host: payments.default.svc.cluster.local
${selector ? '  workloadSelector:\n    matchLabels: {app: shop-client}\n' : ''}  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: shop-credential, sni: payments.example.com}
`;
}

interface SidecarDump {
  clusters: { name: string; json: { transport_socket?: { typed_config: { common_tls_context?: { tls_certificate_sds_secret_configs?: { name: string }[] } } } } }[];
  secrets: { name: string; json: { tls_certificate?: { private_key: { inline_bytes: string } } } }[];
}

test("a sidecar: a rule without a workloadSelector gives it no TLS and no key; one in its namespace selecting it makes it originate mutual TLS with its namespace's credential", async () => {
  const sidecar = mesh.workload('shop-client-0');
  const fromSidecar = () => get(mesh.outboundUrl('shop-client-0', 443), { host: 'payments.default.svc.cluster.local' });
  const payments = (d: SidecarDump) => d.clusters.find((c) => c.name === 'outbound|443||payments.default.svc.cluster.local');
  const dump = () => mesh.mast.configDump<SidecarDump>(sidecar.nodeId);
  await mesh.apply(shopRule(false));
  const findings = async () => (await mesh.mast.diagnostics<{ diagnostics: { code: string; field?: string; object?: { name: string } }[] }>()).diagnostics;
  // Validation says why the rule's credential is not used (Istio does the same, silently).
  await waitFor(async () => (await findings()).some((f) => f.code === 'MAST2041' && f.object?.name === 'shop-payments' && f.field === 'spec.trafficPolicy.tls.credentialName'), 10000, 'the rule read');
  assert.ok(payments(await dump()), 'the sidecar has the payments cluster');
  assert.equal(payments(await dump())!.json.transport_socket, undefined, 'no TLS without a workloadSelector, as in Istio');
  assert.deepEqual((await dump()).secrets.filter((x) => x.name.startsWith('kubernetes://')), [], 'and no credential');
  assert.ok((await fromSidecar()).status >= 500, 'plaintext to the TLS server fails');
  await mesh.apply(shopRule(true));
  await waitFor(async () => (await fromSidecar()).status === 200, 10000, 'the sidecar originates mutual TLS');
  assert.deepEqual(JSON.parse((await fromSidecar()).text), { client: `URI:${SHOP_SAN}`, authorized: true });
  const d = await dump();
  assert.deepEqual(payments(d)!.json.transport_socket!.typed_config.common_tls_context!.tls_certificate_sds_secret_configs!.map((c) => c.name), ['kubernetes://shop-credential']);
  assert.equal(d.secrets.find((x) => x.name === 'kubernetes://shop-credential')?.json.tls_certificate?.private_key.inline_bytes, '[redacted]', 'the key was sent, and /debug redacts it');
});
