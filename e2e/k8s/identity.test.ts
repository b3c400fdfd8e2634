// In Kubernetes mode a proxy is who its Pod says, not who it claims to be: a sidecar whose IP no
// Pod has yet is served nothing (and logged once), even with a valid token for its Pod; when its
// Pod gets that IP it is served, with the Pod's namespace, labels and service account instead of
// the ones in its bootstrap.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildBootstrap } from '../../src/bootstrap/bootstrap';
import { nodeId } from '../../src/proxy/node';
import { setPodStatus } from './harness/apiserver';
import { MAST_SERVICE_NAME } from '../harness/backend';
import { isKubeBackend, mastRoot } from './harness/backend';
import { podToken, writeToken } from './harness/tokens';
import type { Proxy } from '../../src/translate/types';
import type { ConnectionStatus } from '../../src/xds/connection';
import { Envoy } from '../harness/envoy';
import { sleep, waitFor } from '../harness/net';
import { kubeMeshPerFile } from './harness/mesh';

const mesh = kubeMeshPerFile();

test('a proxy with no Pod is served nothing until its Pod appears, then takes the Pod\'s identity', async (t) => {
  const backend = mesh().backend;
  assert.ok(isKubeBackend(backend));
  const kc = backend.kube.kubeConfig();
  const [a, b] = mesh().gateway.ip.split('.');
  const ip = `${a}.${b}.1.200`;
  const id = nodeId('sidecar', ip, 'stray-0.default', 'default');
  // The Pod exists (its token must be bound to it) but has no IP yet: no Pod has the proxy's IP.
  await mesh().apply(`apiVersion: v1
kind: Pod
metadata:
  name: stray-0
  namespace: default
  labels: {app: ratings, version: v1}
spec:
  serviceAccountName: bookinfo-ratings
  containers: [{name: app, image: echo}]
`);
  const xdsCa = path.join(mesh().logDir, 'stray-root-cert.pem');
  writeFileSync(xdsCa, await mastRoot(kc));
  const tokenFile = writeToken(mesh().logDir, 'stray-0', await podToken(kc, { name: 'stray-0', namespace: 'default', serviceAccount: 'bookinfo-ratings' }));
  const bootstrap = buildBootstrap({
    nodeId: id,
    xdsAddress: mesh().mast.xdsTlsAddress,
    xdsCa,
    xdsServerName: MAST_SERVICE_NAME,
    tokenFile,
    adminAddress: `${a}.${b}.2.200`,
    adminPort: 15000,
    // What the proxy claims; the Pod below says otherwise.
    labels: { app: 'impostor' },
    serviceAccount: 'claimed',
    interceptionMode: 'NONE',
    localAddress: `${a}.${b}.2.200`,
    outboundAddress: `${a}.${b}.3.200`,
  });
  assert.ok(!('error' in bootstrap));
  const envoy = Envoy.start({ name: 'stray-0', bootstrap, dir: mesh().logDir, adminUrl: `http://${a}.${b}.2.200:15000` });

  const status = async (): Promise<ConnectionStatus | undefined> =>
    (await mesh().mast.syncz<{ proxies: ConnectionStatus[] }>()).proxies.find((p) => p.proxyId === id);
  await waitFor(async () => (await status())?.types.some((x) => x.type === 'cds' && x.ackedVersion !== undefined) ?? false, 10_000, 'the stray proxy to ACK its (empty) clusters');
  await sleep(500);
  assert.deepEqual(await envoy.names('cluster'), [], 'a proxy without a Pod gets no clusters');
  assert.deepEqual(await envoy.names('listener'), [], 'a proxy without a Pod gets no listeners');
  const warnings = readFileSync(path.join(mesh().logDir, 'mast.log'), 'utf8').split('\n').filter((l) => l.includes(`no Pod has the IPs of proxy ${id}`));
  assert.equal(warnings.length, 1, `logged once: ${warnings.length} lines`);

  const appeared = Date.now();
  await setPodStatus(kc, 'default', 'stray-0', { podIP: ip, ready: true });
  await envoy.waitForResource('cluster', 'outbound|9080||reviews.default.svc.cluster.local', 10_000);
  t.diagnostic(`served ${Date.now() - appeared} ms after its Pod was created`);
  const dump = await mesh().mast.configDump<{ proxy: Proxy }>(id);
  assert.deepEqual(dump.proxy.labels, { app: 'ratings', version: 'v1' });
  assert.equal(dump.proxy.serviceAccount, 'bookinfo-ratings');
  await envoy.stop();
});
