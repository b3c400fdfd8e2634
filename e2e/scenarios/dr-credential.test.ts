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
// - SIMPLE with a credential holding another CA: the gateway refuses the server (503).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { CertificateAuthority } from '../../src/ca';
import { makeGatewayCredential, writeCredential } from '../../test/support/gateway-credential';
import { Mesh, randomOctet } from '../harness/mesh';
import { get, waitFor } from '../harness/net';
import { cleanup, tempDir } from '../harness/processes';

const NS = 'istio-system';
const GATEWAY_PORT = 8080;
const CLIENT_SAN = 'spiffe://example.com/ns/istio-system/sa/egress';

function config(upstream: string): string {
  return `apiVersion: v1
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
    - containerPort: ${GATEWAY_PORT}
status:
  phase: Running
  podIP: 127.0.4.1
  podIPs:
  - ip: 127.0.4.1
  conditions:
  - type: Ready
    status: "True"
---
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: default}
spec:
  clusterIP: 10.96.0.40
  ports:
  - {name: http, port: 443, targetPort: ${upstream.split(':')[1]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: payments-1, namespace: default, labels: {kubernetes.io/service-name: payments}}
addressType: IPv4
ports: [{name: http, port: ${upstream.split(':')[1]}, protocol: TCP}]
endpoints:
- {addresses: [${upstream.split(':')[0]}], conditions: {ready: true}}
---
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
