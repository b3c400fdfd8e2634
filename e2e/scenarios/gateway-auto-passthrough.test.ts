// A Gateway server in tls.mode AUTO_PASSTHROUGH, as Istio's multicluster setup exposes services
// on its east-west gateway: Istio's own sample (samples/multicluster/expose-services.yaml from the
// pinned module, applied unchanged to istio-system as `kubectl apply -n istio-system` would: a TLS
// server on 15443 for hosts *.local). No VirtualService: the SNI names the destination,
// `outbound_.PORT_.SUBSET_.HOST`, and the gateway passes the TLS through untouched.
// The client is a sidecar doing what a sidecar on another network does in Istio: its mTLS to
// helloworld goes to the gateway's address (here a ServiceEntry endpoint standing in for the
// remote network's gateway, with a DestinationRule giving Istio's SNI for the service or subset),
// and the helloworld sidecars terminate it (their mTLS inbound chain) and hand HTTP to the app.
// So the answer proves the whole path: mesh mTLS end to end, through a gateway that never held a
// key for it. Also:
// - an SNI naming no service, or a known SNI without an Istio ALPN, finds no chain: closed;
// - a client that speaks TLS straight to the gateway with a service's SNI sees the helloworld
//   sidecar's own certificate (its SPIFFE identity), not the gateway's.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { test } from 'node:test';
import type { EchoAnswer } from '../../examples/app/echo';
import { istioModuleDir } from '../../test/conformance/corpus';
import type { Mesh } from '../harness/mesh';
import { get, getJson, waitFor } from '../harness/net';
import { podYaml } from '../harness/pod-yaml';
import { tempDir } from '../harness/processes';
import { describeMesh } from '../harness/scenario';
import { serviceWithEndpoints } from '../harness/service-yaml';

const PORT = 5000;
const GATEWAY_PORT = 15443;
const HELLOWORLD = 'helloworld.default.svc.cluster.local';
const sni = (subset = ''): string => `outbound_.${PORT}_.${subset}_.${HELLOWORLD}`;

/** Istio's sample, in the namespace `kubectl apply -n istio-system` would give it. */
function exposeServices(): string {
  const sample = readFileSync(path.join(istioModuleDir(), 'samples/multicluster/expose-services.yaml'), 'utf8');
  assert.match(sample, /mode: AUTO_PASSTHROUGH/);
  return sample.replace(/^metadata:\n/m, 'metadata:\n  namespace: istio-system\n');
}

/**
 * helloworld (v1 and v2 behind sidecars, subsets in a DestinationRule), a client sidecar, the
 * east-west gateway, and the client's way to the gateway: one host per destination, each with the
 * SNI Istio's sidecars send for it.
 */
function meshSource(): string {
  const remote = (host: string, subset?: string): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${host.replace(/\./g, '-')}, namespace: default}
spec:
  host: ${host}
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL, sni: "${sni(subset)}"}}
`;
  const yaml = [
    serviceWithEndpoints('helloworld', {
      labels: { app: 'helloworld' },
      ports: [{ name: 'http', port: PORT }],
      selector: { app: 'helloworld' },
      endpoints: [{ ip: '127.0.1.1', pod: 'helloworld-v1-0' }, { ip: '127.0.1.2', pod: 'helloworld-v2-0' }],
    }),
    `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: default}
spec:
  host: helloworld
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`,
    // What the client's mesh knows of the other network: the gateway's address, on its port.
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: helloworld-remote, namespace: default}
spec:
  hosts: [helloworld.remote, helloworld-v1.remote, helloworld-v2.remote]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.4.1, ports: {http: ${GATEWAY_PORT}}}]
`,
    remote('helloworld.remote'),
    remote('helloworld-v1.remote', 'v1'),
    remote('helloworld-v2.remote', 'v2'),
    podYaml('helloworld-v1-0', '127.0.1.1', { app: 'helloworld', version: 'v1', 'security.istio.io/tlsMode': 'istio' }, PORT),
    podYaml('helloworld-v2-0', '127.0.1.2', { app: 'helloworld', version: 'v2', 'security.istio.io/tlsMode': 'istio' }, PORT),
    podYaml('sleep-0', '127.0.1.9', { app: 'sleep', 'security.istio.io/tlsMode': 'istio' }, 9080),
    podYaml('istio-eastwestgateway-0', '127.0.4.1', { app: 'istio-eastwestgateway', istio: 'eastwestgateway' }, GATEWAY_PORT, 'istio-system'),
  ].join('---\n');
  const dir = tempDir('auto-passthrough-mesh');
  writeFileSync(path.join(dir, 'mesh.yaml'), yaml);
  return dir;
}

/** helloworld's answer to sleep-0, sent to `host` through sleep-0's sidecar and the gateway. */
function viaGateway(mesh: Mesh, host: string): Promise<EchoAnswer> {
  return getJson<EchoAnswer>(mesh.outboundUrl('sleep-0', PORT), { host, timeoutMs: 3000 });
}

interface Handshake {
  /** The server certificate's subjectAltName, when the handshake got that far. */
  san?: string;
  error?: string;
}

/** A TLS handshake with the gateway's port, as a client without a mesh certificate makes it. */
function handshake(mesh: Mesh, servername: string, alpn: string[]): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: mesh.gateway.ip, port: GATEWAY_PORT, servername, ALPNProtocols: alpn, rejectUnauthorized: false, timeout: 3000 });
    const done = (h: Handshake): void => {
      socket.destroy();
      resolve(h);
    };
    socket.once('secureConnect', () => done({ san: socket.getPeerCertificate().subjectaltname }));
    socket.once('timeout', () => done({ error: 'timeout' }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    socket.once('close', () => done({ error: 'closed' }));
  });
}

/** The gateway's count of connections to its 15443 listener that no filter chain matched (Envoy's listener stat). */
async function noChainMatched(mesh: Mesh): Promise<number> {
  const r = await get(`${mesh.gateway.envoy.adminUrl}/stats?filter=no_filter_chain_match`);
  const line = r.text.split('\n').find((l) => new RegExp(`^listener\\.[^ ]*_${GATEWAY_PORT}\\.no_filter_chain_match: `).test(l));
  assert.ok(line, `no no_filter_chain_match stat for the ${GATEWAY_PORT} listener:\n${r.text}`);
  return Number(line.split(': ')[1]);
}

describeMesh(
  'Gateway AUTO_PASSTHROUGH (SNI-DNAT)',
  (mesh: () => Mesh) => {
    test("Istio's expose-services Gateway: a sidecar's mTLS with helloworld's SNI reaches helloworld through the gateway", async (t) => {
      // Before the Gateway, nothing listens on 15443.
      await assert.rejects(viaGateway(mesh(), 'helloworld.remote'));
      await mesh().apply(exposeServices());
      const started = Date.now();
      let answer: EchoAnswer | undefined;
      await waitFor(async () => (answer = await viaGateway(mesh(), 'helloworld.remote').catch(() => undefined)) !== undefined, 10000, 'helloworld through the gateway', 50);
      t.diagnostic(`AUTO_PASSTHROUGH served ${Date.now() - started} ms after the apply`);
      assert.equal(answer!.service, 'helloworld');
      assert.ok(['helloworld-v1-0', 'helloworld-v2-0'].includes(answer!.pod), answer!.pod);
      // The helloworld sidecar saw the client's own certificate: mTLS ended there, not at the gateway.
      assert.match(String(answer!.headers['x-forwarded-client-cert']), /URI=spiffe:\/\/[^;]*\/ns\/default\/sa\/default/);
    });

    test('a subset SNI (outbound_.5000_.v1_.…) reaches only that subset', async () => {
      for (const [host, pod] of [['helloworld-v1.remote', 'helloworld-v1-0'], ['helloworld-v2.remote', 'helloworld-v2-0']] as const) {
        for (let i = 0; i < 4; i++) assert.equal((await viaGateway(mesh(), host)).pod, pod, host);
      }
    });

    test("an SNI naming no service, or no Istio ALPN, is closed; a service's SNI gets the backend sidecar's own certificate", async () => {
      // Each refused at the gateway itself: its listener counts a connection no chain matched.
      const before = await noChainMatched(mesh());
      const unknown = await handshake(mesh(), `outbound_.${PORT}_._.nosuch.default.svc.cluster.local`, ['istio']);
      assert.ok(unknown.error && !unknown.san, `no chain for an unknown SNI: ${JSON.stringify(unknown)}`);
      await waitFor(async () => (await noChainMatched(mesh())) === before + 1, 2000, 'the unknown SNI counted as no chain match');
      const noAlpn = await handshake(mesh(), sni(), ['h2']);
      assert.ok(noAlpn.error && !noAlpn.san, `no chain without an Istio ALPN: ${JSON.stringify(noAlpn)}`);
      await waitFor(async () => (await noChainMatched(mesh())) === before + 2, 2000, 'the missing ALPN counted as no chain match');
      const known = await handshake(mesh(), sni('v1'), ['istio']);
      // The certificate is helloworld's sidecar's (a SPIFFE ID), the TLS never ended at the gateway.
      assert.match(known.san ?? '', /URI:spiffe:\/\/[^,]*\/ns\/default\/sa\/default/, JSON.stringify(known));
      assert.equal(await noChainMatched(mesh()), before + 2, 'a known SNI with an Istio ALPN matched a chain');
    });
  },
  { source: meshSource() },
);
