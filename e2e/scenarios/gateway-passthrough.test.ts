// Istio's "Ingress Gateway without TLS Termination" task: nginx serves TLS itself with a
// certificate for nginx.example.com, and the ingress gateway passes TLS through by SNI (a Gateway
// server in mode PASSTHROUGH, a VirtualService `tls` route), so a client that connects through the
// gateway with SNI nginx.example.com sees nginx's own certificate. The Gateway and VirtualService
// are the task's (it has them inline on istio.io, not in the module); nginx is a Node HTTPS server
// on the pod's local address with a certificate of its own CA (test/support/gateway-credential),
// behind a sidecar that carries the TLS bytes inside mutual TLS from the gateway. Also:
// - an SNI name no route lists finds no filter chain: the gateway closes the connection;
// - a client's sidecar routes TLS by SNI on its outbound TLS port (`https` by name) to the service
//   a mesh VirtualService's `tls` rule names.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { before, test } from 'node:test';
import { makeGatewayCredential, type GatewayCredential } from '../../test/support/gateway-credential';
import { certs } from '../../test/support/x509-chain';
import { sameSerial } from '../harness/envoy-certs';
import { OWN_APP_ANNOTATION, type Mesh } from '../harness/mesh';
import { podYaml } from '../harness/pod-yaml';
import { waitFor } from '../harness/net';
import { onCleanup, tempDir } from '../harness/processes';
import { describeMesh } from '../harness/scenario';

const HOST = 'nginx.example.com';
const PORT = 443;
const BODY = 'Welcome to nginx!';

const TASK = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: PASSTHROUGH
    hosts:
    - nginx.example.com
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nginx
spec:
  hosts:
  - nginx.example.com
  gateways:
  - mygateway
  tls:
  - match:
    - port: 443
      sniHosts:
      - nginx.example.com
    route:
    - destination:
        host: my-nginx
        port:
          number: 443
`;

const SIDECAR_ROUTE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: my-nginx-mesh}
spec:
  hosts: [my-nginx, ${HOST}]
  tls:
  - match: [{port: 443, sniHosts: [${HOST}]}]
    route: [{destination: {host: my-nginx, port: {number: 443}}}]
`;

/** my-nginx as the task's Service (port 443 `https`), its Pod and EndpointSlice, a decoy on 443, a client, and the ingress gateway. */
function meshSource(): string {
  const yaml = [
    `apiVersion: v1
kind: Service
metadata: {name: my-nginx, namespace: default, labels: {run: my-nginx}}
spec:
  ports:
  - {port: 443, protocol: TCP, name: https}
  selector: {run: my-nginx}
`,
    // A second TLS service on 443 without endpoints, first by host name.
    `apiVersion: v1
kind: Service
metadata: {name: a-decoy, namespace: default}
spec:
  ports:
  - {port: 443, protocol: TCP, name: https}
  selector: {app: a-decoy}
`,
    `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: my-nginx-1, namespace: default, labels: {kubernetes.io/service-name: my-nginx}}
addressType: IPv4
ports: [{name: https, port: 443, protocol: TCP}]
endpoints:
- {addresses: [127.0.1.1], conditions: {ready: true}, targetRef: {kind: Pod, name: my-nginx-0, namespace: default}}
`,
    podYaml('my-nginx-0', '127.0.1.1', { run: 'my-nginx', 'security.istio.io/tlsMode': 'istio' }, PORT, 'default', { [OWN_APP_ANNOTATION]: 'none' }),
    podYaml('sleep-0', '127.0.1.9', { app: 'sleep', 'security.istio.io/tlsMode': 'istio' }, 9080),
    podYaml('istio-ingressgateway-0', '127.0.4.1', { app: 'istio-ingressgateway', istio: 'ingressgateway' }, PORT, 'istio-system'),
  ].join('---\n');
  const dir = tempDir('passthrough-mesh');
  writeFileSync(path.join(dir, 'mesh.yaml'), yaml);
  return dir;
}

interface Answer {
  body: string;
  serial: string;
}

/** One HTTPS GET of `/` to `address:port` with SNI `servername`, trusting only `ca`. */
function call(address: string, servername: string, ca: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: address, port: PORT, servername, path: '/', headers: { host: servername }, ca, agent: false, timeout: 3000 }, (res) => {
      const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ body, serial }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
  });
}

describeMesh(
  'Gateway TLS passthrough',
  (mesh: () => Mesh) => {
    let nginx: GatewayCredential;
    before(async () => {
      nginx = await makeGatewayCredential([HOST]);
      const server = https.createServer({ cert: nginx.data['tls.crt'], key: nginx.data['tls.key'] }, (_req, res) => res.end(BODY));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(PORT, mesh().workload('my-nginx-0').localAddress, resolve));
      onCleanup(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    });

    test("through the gateway with SNI nginx.example.com, the client sees nginx's own certificate (Istio's task)", async (t) => {
      await mesh().apply(TASK);
      const started = Date.now();
      let answer: Answer | undefined;
      await waitFor(async () => (answer = await call(mesh().gateway.ip, HOST, nginx.data['ca.crt']!).catch(() => undefined)) !== undefined, 5000, 'the passthrough listener', 50);
      t.diagnostic(`passthrough served ${Date.now() - started} ms after the apply`);
      assert.equal(answer!.body, BODY);
      // Node checked the chain against nginx's CA and the name against nginx.example.com.
      assert.ok(sameSerial(answer!.serial, certs(nginx.data['tls.crt']!)[0]!.serialNumber), `nginx's leaf (${answer!.serial})`);
      await assert.rejects(call(mesh().gateway.ip, 'other.example.com', nginx.data['ca.crt']!), /ECONNRESET|socket hang up/, 'an SNI name no route lists');
    });

    test("a client's sidecar routes TLS by SNI on its outbound TLS port (a mesh VirtualService `tls` rule)", async (t) => {
      // Port 443 is shared with a-decoy (and in Kubernetes mode the API server's own Service),
      // which sorts first and takes connections no SNI chain matches: no answer from nginx until
      // the rule sends this SNI to my-nginx.
      await assert.rejects(call(mesh().workload('sleep-0').outboundAddress, HOST, nginx.data['ca.crt']!), /ECONNRESET|socket hang up/, 'before the rule');
      await mesh().apply(SIDECAR_ROUTE);
      const started = Date.now();
      let answer: Answer | undefined;
      await waitFor(async () => (answer = await call(mesh().workload('sleep-0').outboundAddress, HOST, nginx.data['ca.crt']!).catch(() => undefined)) !== undefined, 5000, 'the SNI route on the sidecar', 50);
      t.diagnostic(`sidecar SNI route served ${Date.now() - started} ms after the apply`);
      assert.equal(answer!.body, BODY);
      assert.ok(sameSerial(answer!.serial, certs(nginx.data['tls.crt']!)[0]!.serialNumber));
    });
  },
  { source: meshSource() },
);
