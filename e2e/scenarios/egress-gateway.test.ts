// Istio's "Egress Gateways" task (istio.io/latest/docs/tasks/traffic-management/egress/
// egress-gateway/) through real Envoy, on loopback: a client sidecar's plain HTTP request for an
// external host goes to the egress gateway (role router, istio: egressgateway in istio-system), and
// the gateway sends it on to the external site. First the task's HTTP variant (Gateway on 80), then
// its mutual TLS variant (Gateway on 443 in ISTIO_MUTUAL, a DestinationRule subset originating
// ISTIO_MUTUAL from the sidecar), then "Egress Gateways with TLS Origination" (the gateway
// originates TLS to the site's 443 by a SIMPLE DestinationRule), and last "Egress TLS Origination"
// (the client's sidecar originates it, no gateway). The tasks' YAML lives in
// istio.io's docs, not in the pinned module: the objects here are ours, in the task's shape, with
// edition.cnn.com played by `external.example.test`, a loopback server on block 9 of the mesh's
// address plan that every Envoy resolves from its own hosts file (envoy.ts hostsFile), never the
// outside world's DNS. Proof the gateway carried a request: its Envoy's upstream_rq_total for the
// site's cluster goes up by the requests sent, and the client sidecar's for the site's own cluster
// does not (on loopback every connection comes from 127.0.0.1, so the site cannot tell peers apart).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, it } from 'node:test';
import { CertificateAuthority } from '../../src/ca';
import { startEcho } from '../../examples/app/echo';
import type { Envoy } from '../harness/envoy';
import { get } from '../harness/net';
import { tempDir } from '../harness/processes';
import { converge, describeMesh } from '../harness/scenario';

const CASE = path.join(__dirname, '..', 'cases', 'egress-gateway');
const HOST = 'external.example.test';
const GATEWAY_SERVICE = 'istio-egressgateway.istio-system.svc.cluster.local';
const site = (prefix: string): string => `${prefix}.9.1`;
const caFile = path.join(tempDir('egress-gateway-ca'), 'site-ca.pem');

// The task's ServiceEntry for edition.cnn.com: HTTP on 80, HTTPS on 443, resolved by DNS.
const serviceEntry = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn, namespace: default}
spec:
  hosts: [${HOST}]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
`;

/** The task's Gateway, DestinationRule and VirtualService; `gatewayPort` 80 (HTTP) or 443 (ISTIO_MUTUAL). */
function throughGateway(variant: 'http' | 'mutual' | 'originate'): string {
  const gatewayPort = variant === 'mutual' ? 443 : 80;
  const server = variant === 'mutual'
    ? `{port: {number: 443, name: https, protocol: HTTPS}, hosts: [${HOST}], tls: {mode: ISTIO_MUTUAL}}`
    : `{port: {number: 80, name: http, protocol: HTTP}, hosts: [${HOST}]}`;
  const subset = variant === 'mutual'
    ? `{name: cnn, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, portLevelSettings: [{port: {number: 443}, tls: {mode: ISTIO_MUTUAL, sni: ${HOST}}}]}}`
    : '{name: cnn}';
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers: [${server}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec:
  host: ${GATEWAY_SERVICE}
  subsets: [${subset}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway, namespace: default}
spec:
  hosts: [${HOST}]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 80}]
    route: [{destination: {host: ${GATEWAY_SERVICE}, subset: cnn, port: {number: ${gatewayPort}}}, weight: 100}]
  - match: [{gateways: [istio-egressgateway], port: ${gatewayPort}}]
    route: [{destination: {host: ${HOST}, port: {number: ${variant === 'originate' ? 443 : 80}}}, weight: 100}]
`;
}

// "Egress Gateways with TLS Origination": the gateway speaks TLS to the site's 443. The task's rule
// has no CA (Istio then checks against the system roots); our site's CA is its own, so the rule names it.
const originateTls = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls-for-edition-cnn-com, namespace: default}
spec:
  host: ${HOST}
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE, sni: ${HOST}, caCertificates: ${caFile}}
`;

// "Egress TLS Origination" (istio.io/latest/docs/tasks/traffic-management/egress/egress-tls-origination/):
// no gateway; the client's sidecar itself turns the plain HTTP on 80 into TLS to the site's 443
// (the entry's port 80 has targetPort 443, the rule's port-level SIMPLE applies on port 80).
const sidecarOrigination = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: edition-cnn-com, namespace: default}
spec:
  hosts: [${HOST}]
  ports:
  - {number: 80, name: http-port, protocol: HTTP, targetPort: 443}
  - {number: 443, name: https-port, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: edition-cnn-com, namespace: default}
spec:
  host: ${HOST}
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE, sni: ${HOST}, caCertificates: ${caFile}}
`;

/** An Envoy's counter by its full stat name (0 if it has none yet). */
async function counter(envoy: Envoy, name: string): Promise<number> {
  const text = (await get(`${envoy.adminUrl}/stats?filter=${encodeURIComponent(`^${name.replace(/[|.]/g, '\\$&')}$`)}`)).text;
  const m = /: (\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Whether the gateway's 443 answers an HTTP request over TLS from a client with no certificate. */
function tlsWithoutCertificate(ip: string): Promise<'answered' | 'refused'> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: ip, port: 443, servername: HOST, rejectUnauthorized: false }, () => socket.write(`GET / HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`));
    socket.setTimeout(3000, () => socket.destroy());
    socket.on('data', (d: Buffer) => { if (d.toString().startsWith('HTTP/')) resolve('answered'); socket.destroy(); });
    socket.on('error', () => resolve('refused'));
    socket.on('close', () => resolve('refused'));
  });
}

const upstreamRq = (cluster: string): string => `cluster.${cluster}.upstream_rq_total`;

describeMesh(
  'egress gateway (Egress Gateways, with TLS origination; Egress TLS Origination)',
  (mesh) => {
    const servers: Server[] = [];
    const sidecar = () => mesh().workload('sleep-0');
    const gateway = () => mesh().workload('istio-egressgateway-0');
    const call = () => get(`http://${sidecar().outboundAddress}:80/`, { host: HOST });
    const answeredBy = async (): Promise<string | number> => {
      const r = await call();
      return r.status === 200 ? (JSON.parse(r.text) as { pod: string }).pod : r.status;
    };

    /** Sends n requests, each served by `pod`; returns how much each Envoy's cluster counters grew. */
    async function sendThrough(n: number, pod: string, gatewayCluster: string, siteCluster: string): Promise<{ gateway: number; sidecarToGateway: number; sidecarDirect: number }> {
      const read = async () => [await counter(gateway().envoy, upstreamRq(siteCluster)), await counter(sidecar().envoy, upstreamRq(gatewayCluster)), await counter(sidecar().envoy, upstreamRq(`outbound|80||${HOST}`))];
      const before = await read();
      for (let i = 0; i < n; i++) assert.equal(await answeredBy(), pod);
      const afterwards = await read();
      return { gateway: afterwards[0]! - before[0]!, sidecarToGateway: afterwards[1]! - before[1]!, sidecarDirect: afterwards[2]! - before[2]! };
    }

    before(async () => {
      const prefix = sidecar().ip.split('.').slice(0, 2).join('.');
      servers.push(await startEcho({ address: site(prefix), port: 80, service: 'cnn', version: 'v1', pod: 'cnn-http' }));
      // The site's 443: HTTPS with a certificate from a CA of its own, saying it was reached over TLS.
      const ca = await CertificateAuthority.create();
      const cert = await ca.issueServingCert([HOST]);
      writeFileSync(caFile, ca.rootPem);
      const tlsSite = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
        res.end(JSON.stringify({ pod: 'cnn-https', servername: (req.socket as tls.TLSSocket).servername, host: req.headers.host }));
      });
      await new Promise<void>((resolve) => tlsSite.listen(443, site(prefix), resolve));
      servers.push(tlsSite);
    });
    after(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); }))));

    it('a ServiceEntry alone: the sidecar sends the host to the site directly', async (t) => {
      await mesh().apply(serviceEntry);
      await converge(t, 'the site served directly through the ServiceEntry', async () => (await answeredBy()) === 'cnn-http');
      const grew = await sendThrough(5, 'cnn-http', `outbound|80|cnn|${GATEWAY_SERVICE}`, `outbound|80||${HOST}`);
      assert.deepEqual(grew, { gateway: 0, sidecarToGateway: 0, sidecarDirect: 5 });
    });

    it('HTTP: the mesh route sends the host to the egress gateway, which sends it to the site', async (t) => {
      await mesh().apply(throughGateway('http'));
      await converge(t, 'requests pass through the egress gateway', async () => {
        const g = await counter(gateway().envoy, upstreamRq(`outbound|80||${HOST}`));
        return (await answeredBy()) === 'cnn-http' && (await counter(gateway().envoy, upstreamRq(`outbound|80||${HOST}`))) > g;
      });
      const grew = await sendThrough(10, 'cnn-http', `outbound|80|cnn|${GATEWAY_SERVICE}`, `outbound|80||${HOST}`);
      t.diagnostic(`10 requests: ${JSON.stringify(grew)}`);
      assert.deepEqual(grew, { gateway: 10, sidecarToGateway: 10, sidecarDirect: 0 });
    });

    it('mutual TLS: the sidecar reaches the gateway on 443 over ISTIO_MUTUAL, the gateway sends plain HTTP to the site', async (t) => {
      await mesh().apply(throughGateway('mutual'));
      await converge(t, 'requests pass through the egress gateway on 443', async () => {
        const g = await counter(sidecar().envoy, upstreamRq(`outbound|443|cnn|${GATEWAY_SERVICE}`));
        return (await answeredBy()) === 'cnn-http' && (await counter(sidecar().envoy, upstreamRq(`outbound|443|cnn|${GATEWAY_SERVICE}`))) > g;
      });
      const grew = await sendThrough(10, 'cnn-http', `outbound|443|cnn|${GATEWAY_SERVICE}`, `outbound|80||${HOST}`);
      t.diagnostic(`10 requests: ${JSON.stringify(grew)}`);
      assert.deepEqual(grew, { gateway: 10, sidecarToGateway: 10, sidecarDirect: 0 });
      assert.ok((await counter(sidecar().envoy, `cluster.outbound|443|cnn|${GATEWAY_SERVICE}.ssl.handshake`)) > 0, 'the sidecar made no TLS handshake with the gateway');
      // The gateway's 443 takes only mutual TLS with a mesh certificate: a plain client is refused.
      assert.equal(await tlsWithoutCertificate(gateway().ip), 'refused');
    });

    it('TLS origination: the client sends plain HTTP, the gateway speaks TLS to the site on 443', async (t) => {
      await mesh().apply(throughGateway('originate') + '---' + originateTls);
      await converge(t, 'the HTTPS site answers through the gateway', async () => (await answeredBy()) === 'cnn-https');
      const r = await call();
      assert.deepEqual(JSON.parse(r.text), { pod: 'cnn-https', servername: HOST, host: HOST });
      const grew = await sendThrough(10, 'cnn-https', `outbound|80|cnn|${GATEWAY_SERVICE}`, `outbound|443||${HOST}`);
      t.diagnostic(`10 requests: ${JSON.stringify(grew)}`);
      assert.deepEqual(grew, { gateway: 10, sidecarToGateway: 10, sidecarDirect: 0 });
    });

    it('Egress TLS Origination: without the gateway, the sidecar itself speaks TLS to the site', async (t) => {
      await mesh().delete(throughGateway('originate') + '---' + originateTls + '---' + serviceEntry);
      await mesh().apply(sidecarOrigination);
      await converge(t, 'the HTTPS site answers the sidecar directly', async () => {
        const r = await call();
        return r.status === 200 && r.text.includes('cnn-https') && (await counter(sidecar().envoy, `cluster.outbound|80||${HOST}.ssl.handshake`)) > 0;
      });
      assert.deepEqual(JSON.parse((await call()).text), { pod: 'cnn-https', servername: HOST, host: HOST });
      const grew = await sendThrough(10, 'cnn-https', `outbound|80|cnn|${GATEWAY_SERVICE}`, `outbound|443||${HOST}`);
      t.diagnostic(`10 requests: ${JSON.stringify(grew)}`);
      assert.deepEqual(grew, { gateway: 0, sidecarToGateway: 0, sidecarDirect: 10 });
    });
  },
  { source: CASE, hosts: (prefix) => `${site(prefix)} ${HOST}\n` },
);
