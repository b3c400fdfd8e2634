// xDS over TLS (the manifests' 15012) against a real API server: Mast serves it with a certificate
// from the CA in the mast-ca Secret, naming its Service. An Envoy that trusts that CA and name (and
// proves its Pod with its token) gets its config; one that trusts another CA is refused at the
// handshake and gets nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { CertificateAuthority } from '../../src/ca';
import { nodeId } from '../../src/proxy/node';
import type { ConnectionStatus } from '../../src/xds/connection';
import { Envoy } from '../harness/envoy';
import { Mast } from '../harness/mast';
import { get, getJson, waitFor } from '../harness/net';
import { stop } from '../harness/processes';
import { isKubeBackend, mastRoot } from './harness/backend';
import { kubeMeshPerFile } from './harness/mesh';
import { podToken } from './harness/tokens';

const mesh = kubeMeshPerFile();
const SERVICE_NAME = 'mast.mast-system.svc';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

/**
 * A ratings Pod at host N of the mesh's pod block, and an Envoy for it that reaches Mast over TLS
 * trusting `caFile`, with its Pod's token from a file over file-based SDS (as a Pod mounts it) or
 * embedded; either way Envoy's own gRPC client, whose TLS statistics show a failed verification.
 */
async function tlsProxy(n: number, caFile: string, token: 'file' | 'embedded'): Promise<{ id: string; envoy: Envoy }> {
  const xdsAddress = mesh().mast.xdsTlsAddress;
  const [a, b] = mesh().gateway.ip.split('.');
  const ip = `${a}.${b}.1.${n}`;
  const pod = `tls-${n}`;
  await mesh().apply(`apiVersion: v1
kind: Pod
metadata: {name: ${pod}, namespace: default, labels: {app: ratings, version: v1}}
spec:
  serviceAccountName: bookinfo-ratings
  containers: [{name: app, image: echo}]
status: {podIP: ${ip}}
`);
  const id = nodeId('sidecar', ip, `${pod}.default`, 'default');
  const backend = mesh().backend;
  assert.ok(isKubeBackend(backend));
  const proxyPod = { name: pod, namespace: 'default', ip, serviceAccount: 'bookinfo-ratings' };
  const { tokenFile } = await backend.proxyAuth(proxyPod, mesh().logDir);
  assert.ok(tokenFile);
  const bootstrap = buildBootstrap({
    nodeId: id,
    xdsAddress,
    xdsCa: caFile,
    xdsServerName: SERVICE_NAME,
    ...(token === 'file' ? { tokenFile } : { token: await podToken(backend.kube.kubeConfig(), proxyPod) }),
    adminAddress: `${a}.${b}.2.${n}`,
    interceptionMode: 'NONE',
    localAddress: `${a}.${b}.2.${n}`,
    outboundAddress: `${a}.${b}.3.${n}`,
  });
  assert.ok(!('error' in bootstrap), JSON.stringify(bootstrap));
  return { id, envoy: Envoy.start({ name: pod, bootstrap, dir: mesh().logDir, adminUrl: `http://${a}.${b}.2.${n}:15000` }) };
}

async function proxyStatus(id: string): Promise<ConnectionStatus | undefined> {
  return (await mesh().mast.syncz<{ proxies: ConnectionStatus[] }>()).proxies.find((p) => p.proxyId === id);
}

test("an Envoy trusting Mast's CA gets its config over TLS; one trusting another CA gets nothing", async (t) => {
  const backend = mesh().backend;
  assert.ok(isKubeBackend(backend));
  const mastCa = path.join(mesh().logDir, 'mast-ca.crt');
  writeFileSync(mastCa, await mastRoot(backend.kube.kubeConfig()));
  const otherCa = path.join(mesh().logDir, 'other-ca.crt');
  writeFileSync(otherCa, (await CertificateAuthority.create()).rootPem);

  const trusted = await tlsProxy(201, mastCa, 'file');
  const ms = await trusted.envoy.waitForResource('cluster', REVIEWS, 15_000);
  t.diagnostic(`config over TLS in ${Math.round(ms)} ms`);
  const cds = (await proxyStatus(trusted.id))?.types.find((x) => x.type === 'cds');
  assert.ok(cds?.ackedVersion !== undefined && cds.ackedVersion === cds.sentVersion, `CDS ACKed over TLS: ${JSON.stringify(cds)}`);

  const stranger = await tlsProxy(202, otherCa, 'embedded');
  const stats = async (): Promise<string> => (await get(`${stranger.envoy.adminUrl}/stats?filter=xds-grpc.ssl`)).text;
  await waitFor(async () => /ssl\.fail_verify_error: [1-9]/.test(await stats()), 15_000, "the untrusting Envoy's handshake to fail verification");
  assert.deepEqual(await stranger.envoy.names('cluster'), [], 'no clusters reach an Envoy that cannot verify Mast');
  assert.equal(await proxyStatus(stranger.id), undefined, 'Mast never saw a stream from it');

  await Promise.all([trusted.envoy.stop(), stranger.envoy.stop()]);
});

test('a replica that cannot open its TLS port fails /healthz and /readyz with the reason', async () => {
  const taken = mesh().mast.xdsTlsAddress;
  assert.ok(taken);
  // A second replica asked for the port the mesh's Mast already serves: its plaintext xDS comes
  // up, then TLS cannot bind, and liveness must say so for the kubelet to restart it.
  const broken = await Mast.start([...mesh().backend.mastArgs, '--identity', 'mast-broken'], mesh().logDir, {
    name: 'mast-broken',
    xdsTls: taken,
    until: async (m) => (await get(`${m.adminUrl}/healthz`, { timeoutMs: 1000 })).status === 503,
  });
  try {
    for (const probe of ['healthz', 'readyz']) {
      const r = await get(`${broken.adminUrl}/${probe}`);
      assert.equal(r.status, 503, `/${probe}: ${r.text}`);
      const body = JSON.parse(r.text) as { status: string; reason: string };
      assert.equal(body.status, 'failed');
      assert.ok(body.reason.includes('xDS over TLS could not start') && body.reason.includes(`EADDRINUSE: address already in use ${taken}`), `/${probe} names the failure and the port: ${body.reason}`);
    }
    assert.equal((await getJson<{ status: string }>(`${mesh().mast.adminUrl}/healthz`)).status, 'ok', 'the replica holding the port is unaffected');
  } finally {
    await stop(broken.proc);
  }
});
