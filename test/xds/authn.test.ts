// Authenticated xDS on the real server with Mast's own tokens (the file-mode authenticator): a
// stream is served only for the identity its token proves, under every name it could be filed
// under (/debug/syncz, the NACK metric), and is refused with PERMISSION_DENIED and a log line
// naming the proxy and the reason otherwise. Kubernetes mode's TokenReview is proven against a
// real API server in e2e/k8s/xds-authn.test.ts.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { XDS_TOKEN_KEY_FILE, XdsTokenKey, type TokenIdentity } from '../../src/ca/xds-token';
import type { Pod, Snapshot } from '../../src/model/types';
import { createTelemetry } from '../../src/telemetry/metrics';
import { TYPE_URLS } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { XdsMetrics } from '../../src/xds/metrics';
import { XdsServer } from '../../src/xds/server';
import { AdsClient, type NodeInfo } from '../support/ads-client';
import { cluster, fakeSnapshot } from './fake-world';

const CDS = TYPE_URLS.cluster;
const X: TokenIdentity = { namespace: 'shop', serviceAccount: 'cart', pod: 'cart-1', ips: ['127.0.7.1'] };
const Y: TokenIdentity = { namespace: 'bank', serviceAccount: 'vault', pod: 'vault-1', ips: ['127.0.7.2'] };

/** The node an honest proxy of `id` sends, as `mast bootstrap` writes it. */
function nodeOf(id: TokenIdentity, over: Partial<Record<string, string>> = {}): NodeInfo {
  const ip = id.ips![0]!;
  return {
    id: `sidecar~${ip}~${id.pod}.${id.namespace}~${id.namespace}.svc.cluster.local`,
    metadata: { NAMESPACE: id.namespace, SERVICE_ACCOUNT: id.serviceAccount, INSTANCE_IPS: ip, ...over },
  };
}

describe('authenticated xDS with Mast tokens', () => {
  const lines: { level: string; msg: string; fields: object }[] = [];
  const log = {
    info: (fields: object, msg: string) => lines.push({ level: 'info', msg, fields }),
    warn: (fields: object, msg: string) => lines.push({ level: 'warn', msg, fields }),
    error: (fields: object, msg: string) => lines.push({ level: 'error', msg, fields }),
    debug: () => undefined,
  };
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'mast-authn-'));
  const telemetry = createTelemetry();
  let key: XdsTokenKey;
  let server: XdsServer;
  let snapshot: Snapshot = fakeSnapshot(1);
  let address = '';
  let open = '';
  const clients: AdsClient<never>[] = [];

  const connect = (token: string | undefined, node: NodeInfo, at = address): AdsClient<never> => {
    const metadata = new grpc.Metadata();
    if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
    const c = AdsClient.sotw(at, node, {}, { metadata }) as unknown as AdsClient<never>;
    clients.push(c);
    return c;
  };
  /** Whether a stream is served (gets its clusters) or ended, and how. */
  const outcome = async (c: AdsClient<never>): Promise<string> => {
    c.send({ type_url: CDS, resource_names: [] });
    const first = await Promise.race([c.next(3000).then(() => 'served'), c.closed.then((s) => `${grpc.status[s.code]}: ${s.details}`)]);
    return first;
  };
  /** NACKs counted so far (pilot_total_xds_rejects, every type and reason). */
  const rejects = async (): Promise<number> => {
    const { resourceMetrics } = await telemetry.exporter.collect();
    const points = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === 'pilot_total_xds_rejects').flatMap((m) => m.dataPoints as { value: unknown }[]);
    return points.reduce((n, p) => n + Number(p.value), 0);
  };

  before(async () => {
    key = await XdsTokenKey.open(stateDir);
    const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => ({ clusters: [cluster('a')] }) }], log);
    const metrics = new XdsMetrics(telemetry.meter, () => server.counts());
    server = new XdsServer({ views, metrics, log, snapshot: () => snapshot, authenticator: key });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    open = `127.0.0.1:${await server.listen('127.0.0.1:0', undefined, { open: true })}`;
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    await telemetry.shutdown();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps its signing key owner-only, and refuses one others can read', async () => {
    const file = path.join(stateDir, XDS_TOKEN_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const loose = mkdtempSync(path.join(os.tmpdir(), 'mast-authn-loose-'));
    try {
      writeFileSync(path.join(loose, XDS_TOKEN_KEY_FILE), readFileSync(file));
      chmodSync(path.join(loose, XDS_TOKEN_KEY_FILE), 0o644);
      await assert.rejects(XdsTokenKey.open(loose), /can be read by others \(mode 644\)/);
    } finally {
      rmSync(loose, { recursive: true, force: true });
    }
  });

  it('serves a proxy as the identity its token proves', async () => {
    assert.equal(await outcome(connect(await key.sign(X, 60_000), nodeOf(X))), 'served');
    const status = server.status().find((s) => s.proxyId === nodeOf(X).id);
    assert.ok(status, 'the stream is listed under its own node id');
  });

  it('refuses a stream without a token, or with one it did not sign, for another audience or expired', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'mast-authn-other-'));
    const pem = readFileSync(path.join(stateDir, XDS_TOKEN_KEY_FILE));
    const forge = (claims: Record<string, unknown>, exp: number, aud = 'mast-xds'): Promise<string> => new SignJWT({ 'kubernetes.io': { namespace: X.namespace, serviceaccount: { name: X.serviceAccount }, pod: { name: X.pod } }, ...claims })
      .setProtectedHeader({ alg: 'ES256' }).setIssuer('mast').setAudience(aud).setExpirationTime(exp).sign(createPrivateKey(pem));
    try {
      const stranger = await XdsTokenKey.open(other);
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, string | undefined, RegExp][] = [
        ['no token', undefined, /no token/],
        ['a token another key signed', await stranger.sign(X, 60_000), /signature verification failed/],
        ['a token for another audience', await forge({}, now + 60, 'istio-ca'), /unexpected "aud" claim value/],
        ['an expired token', await forge({}, now - 60), /"exp" claim timestamp check failed/],
        ['a token that is no JWT', 'not-a-jwt', /not a valid Mast token/],
      ];
      for (const [what, token, reason] of cases) {
        const got = await outcome(connect(token, nodeOf(X)));
        assert.match(got, /^PERMISSION_DENIED: /, `${what}: ${got}`);
        assert.match(got, reason, what);
        const line = lines.find((l) => l.level === 'warn' && l.msg.startsWith(`refused xDS stream of proxy ${nodeOf(X).id}: `) && reason.test(l.msg));
        assert.ok(line, `${what}: a log line names the proxy and the reason`);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("refuses a token for X that claims to be Y, under any of Y's names", async () => {
    const tokenX = await key.sign(X, 60_000);
    const yId = nodeOf(Y).id;
    const claims: [string, NodeInfo, RegExp][] = [
      ["Y's node id and metadata", nodeOf(Y), /token is for shop\/cart, the node id is in namespace bank/],
      ["Y's node id with X's metadata", { id: yId, metadata: nodeOf(X).metadata }, /the node id is in namespace bank/],
      ["X's node id with Y's namespace", nodeOf(X, { NAMESPACE: 'bank' }), /the proxy is in namespace bank/],
      ["X's node id with another service account", nodeOf(X, { SERVICE_ACCOUNT: 'admin' }), /runs as service account admin/],
      ['another Pod of X\'s namespace', { id: 'sidecar~127.0.7.1~cart-2.shop~shop.svc.cluster.local', metadata: nodeOf(X).metadata }, /bound to Pod shop\/cart-1, the node id names cart-2/],
      ["X's node id with another address", nodeOf(X, { INSTANCE_IPS: '127.0.7.1,127.0.7.2' }), /allows 127\.0\.7\.1, the proxy claims 127\.0\.7\.2/],
    ];
    for (const [what, node, reason] of claims) {
      const got = await outcome(connect(tokenX, node));
      assert.match(got, /^PERMISSION_DENIED: /, `${what}: ${got}`);
      assert.match(got, reason, what);
    }
  });

  it('holds a proxy to the role its token names: a sidecar cannot claim to be a gateway', async () => {
    const asRouter = (node: NodeInfo): NodeInfo => ({ ...node, id: node.id.replace(/^sidecar~/, 'router~') });
    const got = await outcome(connect(await key.sign({ ...X, role: 'sidecar' }, 60_000), asRouter(nodeOf(X))));
    assert.match(got, /^PERMISSION_DENIED: .*its token is for a sidecar, the node id names a router/);
    assert.equal(await outcome(connect(await key.sign({ ...X, role: 'router' }, 60_000), asRouter(nodeOf(X)))), 'served');
    assert.equal(await outcome(connect(await key.sign({ ...X, role: 'sidecar' }, 60_000), nodeOf(X))), 'served');
  });

  it("cannot put a NACK into Y's /debug/syncz entry or the NACK metric", async () => {
    const y = connect(await key.sign(Y, 60_000), nodeOf(Y));
    y.send({ type_url: CDS, resource_names: [] });
    const sent = (await y.next()) as unknown as { nonce: string; version_info: string };
    const nack = { type_url: CDS, resource_names: [], response_nonce: sent.nonce, error_detail: { code: 3, message: 'injected' } };
    const counted = await rejects();
    const spoof = connect(await key.sign(X, 60_000), nodeOf(Y));
    spoof.send(nack);
    const status = await spoof.closed;
    assert.equal(status.code, grpc.status.PERMISSION_DENIED);
    const entries = server.status().filter((s) => s.proxyId === nodeOf(Y).id);
    assert.equal(entries.length, 1, "only Y's own stream is listed as Y");
    assert.deepEqual(entries[0]!.types.map((t) => t.lastNack), [undefined]);
    assert.equal(await rejects(), counted, 'pilot_total_xds_rejects unchanged');
    // The same NACK on Y's own stream is counted and listed: the checks above could have failed.
    y.send(nack);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await rejects(), counted + 1);
    assert.equal(server.status().find((s) => s.proxyId === nodeOf(Y).id)?.types[0]?.lastNack?.message, 'injected');
  });

  it('ends a served stream when its IP comes to belong to another Pod (Kubernetes mode)', async () => {
    const pod = (name: string): Pod => ({ kind: 'Pod', apiVersion: 'v1', meta: { name, namespace: X.namespace, labels: {}, annotations: {} }, serviceAccount: X.serviceAccount, ready: true, containerPorts: [], ip: X.ips![0] } as unknown as Pod);
    let owner = pod('cart-1');
    snapshot = { ...fakeSnapshot(2), podByIp: (ip: string) => (ip === X.ips![0] ? owner : undefined) } as unknown as Snapshot;
    const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => ({ clusters: [cluster('a')] }) }], log);
    const metrics = new XdsMetrics(telemetry.meter, () => k8s.counts());
    const k8s: XdsServer = new XdsServer({ views, metrics, log, snapshot: () => snapshot, authenticator: key, requirePod: true });
    const at = `127.0.0.1:${await k8s.listen('127.0.0.1:0')}`;
    try {
      const c = connect(await key.sign(X, 60_000), nodeOf(X), at);
      assert.equal(await outcome(c), 'served');
      owner = pod('cart-9');
      snapshot = { ...snapshot, generation: 3 } as Snapshot;
      k8s.push();
      const status = await c.closed;
      assert.equal(status.code, grpc.status.PERMISSION_DENIED);
      assert.match(status.details, /bound to Pod shop\/cart-1, its IP belongs to Pod shop\/cart-9/);
      assert.deepEqual(k8s.status(), [], 'nothing left listed');
    } finally {
      await k8s.close();
      snapshot = fakeSnapshot(1);
    }
  });

  it("cannot be listed as another proxy while no Pod has the IPs it claims (Kubernetes mode)", async () => {
    // A TokenReview proves a namespace, service account and Pod, but no addresses.
    const bound: TokenIdentity = { namespace: X.namespace, serviceAccount: X.serviceAccount, pod: X.pod };
    snapshot = { ...fakeSnapshot(2), podByIp: () => undefined } as unknown as Snapshot;
    const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => ({ clusters: [cluster('a')] }) }], log);
    const metrics = new XdsMetrics(telemetry.meter, () => k8s.counts());
    const k8s: XdsServer = new XdsServer({ views, metrics, log, snapshot: () => snapshot, authenticator: key, requirePod: true });
    const at = `127.0.0.1:${await k8s.listen('127.0.0.1:0')}`;
    const nowhere = { INSTANCE_IPS: '127.0.7.99' };
    try {
      const token = await key.sign(bound, 60_000);
      const asY = connect(token, { ...nodeOf(Y, nowhere), id: nodeOf(Y).id.replace(Y.ips![0]!, '127.0.7.99') }, at);
      assert.match(await outcome(asY), /PERMISSION_DENIED: .*the node id is in namespace bank/);
      const otherPod = connect(token, { ...nodeOf(X, nowhere), id: nodeOf(X).id.replace(`${X.pod}.`, 'cart-2.').replace(X.ips![0]!, '127.0.7.99') }, at);
      assert.match(await outcome(otherPod), /PERMISSION_DENIED: .*bound to Pod shop\/cart-1, the node id names cart-2/);
      const elsewhere = connect(token, { ...nodeOf(X, nowhere), id: nodeOf(X).id }, at);
      assert.match(await outcome(elsewhere), /PERMISSION_DENIED: .*node id names IP 127.0.7.1, not one of its addresses/);
      assert.deepEqual(k8s.status().map((s) => s.proxyId), [], 'no refused stream is listed');
      // Its own node id at an address no Pod has yet: admitted, listed as itself, sent no resources.
      const own = nodeOf(X, nowhere);
      own.id = own.id.replace(X.ips![0]!, '127.0.7.99');
      const self = connect(token, own, at);
      self.send({ type_url: CDS, resource_names: [] });
      const reply = (await self.next()) as unknown as { resources: unknown[] };
      assert.equal(reply.resources.length, 0, 'no clusters while no Pod has its IP');
      assert.deepEqual(k8s.status().map((s) => s.proxyId), [own.id]);
    } finally {
      await k8s.close();
      snapshot = fakeSnapshot(1);
    }
  });

  it('serves without a token only on a listener opened without authentication (--insecure-xds)', async () => {
    assert.equal(await outcome(connect(undefined, nodeOf(Y), open)), 'served');
  });
});
