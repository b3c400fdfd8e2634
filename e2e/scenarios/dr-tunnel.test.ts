// DestinationRule `tunnel` through real Envoy (file mode; see the skip at the end): a client's
// sidecar carries its TCP connections to `tunnelled` in an HTTP CONNECT tunnel to the rule's
// targetHost:targetPort, through the service's endpoint, an HTTP CONNECT proxy (a Node server
// outside the mesh, e2e/cases/tunnel). The target is a TCP echo server. Without the rule the
// proxy gets the raw bytes and refuses them; with it the bytes come back from the target, and
// every CONNECT the proxy saw named it.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { before, after, test } from 'node:test';
import type { Mesh } from '../harness/mesh';
import { waitFor } from '../harness/net';
import { describeMesh } from '../harness/scenario';

const MESH = path.join(__dirname, '..', 'cases', 'tunnel');
const PROXY_PORT = 18080;
const TARGET_PORT = 18081;

/** Sends `text` over the client sidecar's listener for tunnelled:3306; what comes back before the close. */
function roundTrip(mesh: Mesh, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(3306, mesh.workload('client-0').outboundAddress, () => socket.write(text));
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      got += d;
      if (got.includes(text)) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.setTimeout(3000, () => socket.destroy(new Error(`no close within 3 s (got ${JSON.stringify(got)})`)));
  });
}

function rule(targetHost: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tunnelled, namespace: default}
spec:
  host: tunnelled.default.svc.cluster.local
  trafficPolicy:
    tunnel: {protocol: CONNECT, targetHost: "${targetHost}", targetPort: ${TARGET_PORT}}
`;
}

describeMesh('DestinationRule tunnel', (mesh) => {
  const connects: string[] = [];
  let proxy: http.Server;
  let target: net.Server;
  let prefix = '';

  before(async () => {
    // The mesh's address plan: the client's pod IP is PREFIX.1.10.
    prefix = mesh().workload('client-0').ip.split('.').slice(0, 2).join('.');
    target = net.createServer((s) => s.pipe(s));
    proxy = http.createServer((_req, res) => res.writeHead(400).end());
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      connects.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await Promise.all([
      new Promise<void>((r) => target.listen(TARGET_PORT, `${prefix}.5.2`, r)),
      new Promise<void>((r) => proxy.listen(PROXY_PORT, `${prefix}.5.1`, r)),
    ]);
  });

  after(() => {
    proxy?.closeAllConnections();
    proxy?.close();
    target?.close();
  });

  test('without a rule the proxy gets the raw bytes and refuses them', async () => {
    const got = await roundTrip(mesh(), 'ping\n');
    assert.match(got, /^HTTP\/1\.1 400/);
    assert.deepEqual(connects, []);
  });

  test("with the rule the connection is tunnelled to the rule's target", async () => {
    await mesh().apply(rule(`${prefix}.5.2`));
    await waitFor(async () => (await roundTrip(mesh(), 'ping\n')) === 'ping\n', 5000, 'the tunnelled echo');
    assert.equal(await roundTrip(mesh(), 'pong\n'), 'pong\n');
    assert.ok(connects.length > 0 && connects.every((c) => c === `${prefix}.5.2:${TARGET_PORT}`), JSON.stringify(connects));
    await mesh().delete(rule(`${prefix}.5.2`));
  });
}, {
  source: MESH,
  // The Kubernetes harness drops YAML EndpointSlices and lets the controller make them from Pods;
  // this endpoint is a Node server with no Pod. The rule is read the same from both sources.
  skip: { kubernetes: 'the upstream CONNECT proxy is not a Pod, and Kubernetes-mode EndpointSlices come from Pods' },
});
