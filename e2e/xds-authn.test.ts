// Authenticated xDS in file mode, through `mast serve` and real Envoy: proxies carry tokens Mast
// signed (`mast bootstrap --bootstrap-token`), a token for identity X gets nothing as Y (no config,
// no certificate), and `--insecure-xds` serves plaintext without tokens, saying so at start-up.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildBootstrap } from '../src/bootstrap/bootstrap';
import { XdsTokenKey } from '../src/ca/xds-token';
import { nodeId } from '../src/proxy/node';
import { TYPE_URLS } from '../src/translate/types';
import { AdsClient, type NodeInfo } from '../test/support/ads-client';
import { MAST_SERVICE_NAME } from './harness/backend';
import { Envoy } from './harness/envoy';
import { Mast } from './harness/mast';
import { Mesh, randomOctet } from './harness/mesh';
import { freePort, get, waitFor } from './harness/net';
import { cleanup } from './harness/processes';

const ROOT = path.join(__dirname, '..');
let mesh: Mesh;
let stateDir: string;

before(async () => {
  mesh = await Mesh.start({ octet: randomOctet() });
  stateDir = path.join(path.dirname(mesh.configDir), 'state');
});
after(async () => {
  await mesh?.stop();
  await cleanup();
});

const mastLog = (name = 'mast'): string => readFileSync(path.join(mesh.logDir, `${name}.log`), 'utf8');

/** A ratings-identity token (X), and the node of the ingress gateway (Y: another namespace and service account). */
async function xAndY(): Promise<{ tokenX: string; y: NodeInfo }> {
  const ratings = mesh.workload('ratings-v1-0');
  const key = await XdsTokenKey.open(stateDir);
  const tokenX = await key.sign({ namespace: ratings.namespace, serviceAccount: 'bookinfo-ratings', pod: ratings.pod, ips: [ratings.ip] }, 3600_000);
  const gw = mesh.gateway;
  return { tokenX, y: { id: gw.nodeId, metadata: { NAMESPACE: gw.namespace, INSTANCE_IPS: gw.ip } } };
}

test("a token Mast signed for X gets nothing as Y: no config, no certificate, refused and logged", async () => {
  const { tokenX, y } = await xAndY();
  const [a, b] = mesh.gateway.ip.split('.');
  const bootstrap = buildBootstrap({
    nodeId: y.id,
    xdsAddress: mesh.mast.xdsTlsAddress,
    xdsCa: path.join(stateDir, 'root-cert.pem'),
    xdsServerName: MAST_SERVICE_NAME,
    token: tokenX,
    adminAddress: `${a}.${b}.2.220`,
    statsAddress: `${a}.${b}.2.220`,
  });
  assert.ok(!('error' in bootstrap));
  const envoy = Envoy.start({ name: 'impostor', bootstrap, dir: mesh.logDir, adminUrl: `http://${a}.${b}.2.220:15000` });
  try {
    const line = `refused xDS stream of proxy ${y.id}: its token is for default/bookinfo-ratings, the node id is in namespace ${mesh.gateway.namespace}`;
    await waitFor(() => mastLog().includes(line), 15_000, 'Mast to refuse and log the stream');
    await waitFor(async () => (await get(`${envoy.adminUrl}/ready`)).status !== 0, 10_000, "the Envoy's admin API");
    assert.deepEqual(await envoy.names('cluster'), []);
    assert.deepEqual(await envoy.names('listener'), []);
    const secrets = (await envoy.configDump()).configs.find((c) => c['@type'].endsWith('SecretsConfigDump')) as Record<string, unknown[]> | undefined;
    assert.deepEqual(Object.entries(secrets ?? {}).filter(([k]) => k.startsWith('dynamic')).flatMap(([, v]) => v), [], 'no certificate');
  } finally {
    await envoy.stop();
  }
  // Y's certificate asked for directly (SDS), with X's token: refused before anything is sent.
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${tokenX}`);
  const credentials = grpc.credentials.createSsl(readFileSync(path.join(stateDir, 'root-cert.pem')));
  const c = AdsClient.sotw(mesh.mast.xdsTlsAddress, y, { 'grpc.ssl_target_name_override': MAST_SERVICE_NAME }, { credentials, metadata });
  c.send({ type_url: TYPE_URLS.secret, resource_names: ['default', 'ROOTCA'] });
  const status = await c.closed;
  c.close();
  assert.equal(status.code, grpc.status.PERMISSION_DENIED, status.details);
});

test('mast bootstrap --bootstrap-token writes a bootstrap an Envoy is served with', async () => {
  const ratings = mesh.workload('ratings-v1-0');
  const [a, b] = ratings.ip.split('.');
  const id = nodeId('sidecar', `${a}.${b}.1.221`, 'ratings-extra.default', 'default');
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'bootstrap', '--node-id', id,
    '--xds-address', mesh.mast.xdsTlsAddress, '--xds-ca', path.join(stateDir, 'root-cert.pem'), '--xds-server-name', MAST_SERVICE_NAME,
    '--bootstrap-token', '--state-dir', stateDir, '--token-ttl', '1h', '--service-account', 'bookinfo-ratings', '--label', 'app=ratings',
    '--admin-address', `${a}.${b}.2.221`, '--interception-mode', 'NONE', '--local-address', `${a}.${b}.2.221`, '--outbound-address', `${a}.${b}.3.221`], { cwd: ROOT, encoding: 'utf8' });
  const envoy = Envoy.start({ name: 'ratings-extra', bootstrap: JSON.parse(out) as object, dir: mesh.logDir, adminUrl: `http://${a}.${b}.2.221:15000` });
  try {
    await envoy.waitForResource('cluster', 'outbound|9080||reviews.default.svc.cluster.local', 15_000);
    assert.ok(mastLog().split('\n').some((l) => l.includes('"msg":"proxy connected"') && l.includes(id) && l.includes('"by":"Mast token"')));
  } finally {
    await envoy.stop();
  }
});

test('--insecure-xds serves plaintext without a token, and says so at start-up; so does a non-loopback admin address', async () => {
  const admin = `0.0.0.0:${await freePort()}`;
  const insecure = await Mast.start(mesh.backend.mastArgs, mesh.logDir, { name: 'mast-insecure', insecureXds: true, adminUrl: `http://${admin}` });
  try {
    assert.ok(insecure.xdsAddress);
    assert.match(mastLog('mast-insecure'), /--insecure-xds: serving xDS in plaintext without authentication on 127\.0\.0\.1:\d+/);
    assert.match(mastLog('mast-insecure'), /\/debug\/\* \(every proxy's config\) is open to anything that reaches 0\.0\.0\.0/);
    const ratings = mesh.workload('ratings-v1-0');
    const c = AdsClient.sotw(insecure.xdsAddress, { id: ratings.nodeId, metadata: { SERVICE_ACCOUNT: 'bookinfo-ratings' } });
    c.send({ type_url: TYPE_URLS.cluster, resource_names: [] });
    const r = await c.next(5000);
    c.close();
    assert.ok(r.resources.length > 0, 'served without a token');
  } finally {
    await insecure.stop();
  }
  assert.doesNotMatch(mastLog(), /--insecure-xds/, 'the mesh\'s own Mast serves TLS only');
});
