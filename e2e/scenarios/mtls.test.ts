// Mutual TLS through real Envoy, with the certificates Mast's CA issues over SDS. Bookinfo's Pods
// carry `security.istio.io/tlsMode: istio` and examples/bookinfo holds a mesh-wide STRICT
// PeerAuthentication, so every hop between sidecars is mTLS: each app sees its caller's SPIFFE ID
// in x-forwarded-client-cert. A plaintext client from outside the mesh is refused under STRICT
// and served under PERMISSIVE; DISABLE serves plaintext and makes clients stop sending mTLS.
// Workload certificates live one minute here (the least Mast issues) and are re-issued with 9/10
// of it left (every 6 s), so they rotate under a request loop on keep-alive and fresh connections
// alike, without a failure;
// and `mast ca rotate` takes the mesh to a new root under the same loop, without a failure either;
// after it, a restarted Mast (its serving certificate from the new root) gets every Envoy back,
// since each reads Mast's roots from root-cert.pem over file-based SDS: Mast's own file in file
// mode, the mast-ca-root-cert ConfigMap's bundle as kubelet refreshes it in Kubernetes mode, where
// a token replaced as kubelet replaces it is what the next stream sends.
import { AuthenticationV1Api, CoreV1Api } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { EchoAnswer } from '../../examples/app/echo';
import { CA_STATE_KEYS, fingerprint, readCaState, stateFile } from '../../src/ca';
import { BUNDLE_FILE } from '../../src/ca/bundle-file';
import { ROOT_CERT_CONFIGMAP } from '../../src/sources/kubernetes/root-cert-configmap';
import { certs, verifyChain } from '../../test/support/x509-chain';
import { envoySecrets } from '../harness/envoy-certs';
import type { Envoy } from '../harness/envoy';
import type { Mesh } from '../harness/mesh';
import { callTo, mtlsRequestLoop, xfcc } from '../harness/mtls-loop';
import { get, waitFor, type Reply } from '../harness/net';
import { describeMesh, productpage } from '../harness/scenario';
import { synced } from '../harness/syncz';
import { isKubeBackend, mastRoot } from '../k8s/harness/backend';
import { MAST_NAMESPACE } from '../k8s/harness/service-account';
import { XDS_AUDIENCE } from '../k8s/harness/tokens';

const ROOT = path.join(__dirname, '..', '..');
const run = promisify(execFile);

const TRUST_DOMAIN = 'cluster.local';
const id = (namespace: string, sa: string): string => `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${sa}`;
const GATEWAY_ID = id('istio-system', 'istio-ingressgateway-service-account');
const PRODUCTPAGE_ID = id('default', 'bookinfo-productpage');

function peerAuthentication(name: string, namespace: string, mode: string): string {
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  mtls: {mode: ${mode}}
`;
}

/** A plaintext GET straight to a sidecar's inbound listener, as a client outside the mesh sends it. */
function fromOutside(mesh: Mesh, pod: string, headers: Record<string, string> = {}): Promise<Reply> {
  const w = mesh.workload(pod);
  return get(`http://${w.ip}:${w.port}/`, { headers, timeoutMs: 2000 });
}

/** A TLS client without a certificate, straight to a sidecar's inbound listener. */
function tlsWithoutCertificate(mesh: Mesh, pod: string): Promise<number> {
  const w = mesh.workload(pod);
  return new Promise((resolve, reject) => {
    const req = https.get({ host: w.ip, port: w.port, path: '/', rejectUnauthorized: false, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
  });
}

/** An Envoy's trust (its ROOTCA) and own certificate (`default`) as /config_dump shows them, each certificate by SHA-256. */
interface Trust {
  roots: string[];
  /** The root its certificate chains to: verified with @peculiar/x509 against its own ROOTCA. */
  signedBy: string;
  leaf: string;
}

async function trustOf(envoy: Envoy): Promise<Trust> {
  const secrets = await envoySecrets(envoy);
  const bundle = secrets.find((s) => s.name === 'ROOTCA')?.trustedCa ?? '';
  const own = secrets.find((s) => s.name === 'default')?.certificateChain;
  assert.ok(own, `envoy ${envoy.name} holds no certificate`);
  const chain = await verifyChain(own, bundle);
  return { roots: certs(bundle).map(fingerprint), signedBy: fingerprint(chain.at(-1)!), leaf: fingerprint(chain[0]!) };
}

/** The `mast serve` flag's value, as the mesh's Mast runs with it. */
function flag(mesh: Mesh, name: string): string {
  const args = mesh.backend.mastArgs;
  const value = args[args.indexOf(name) + 1];
  assert.ok(args.includes(name) && value !== undefined, `Mast runs without ${name}`);
  return value;
}

/** `mast ca rotate` where the mesh's Mast keeps its CA: the mast-ca Secret (as the cluster's admin) or its state dir. */
async function rotateRoot(mesh: Mesh, activateAfter: string, overlap: string): Promise<void> {
  const where = isKubeBackend(mesh.backend) ? ['--kubeconfig', mesh.backend.kube.kubeconfigPath, '--namespace', MAST_NAMESPACE] : ['--state-dir', flag(mesh, '--state-dir')];
  await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'ca', 'rotate', ...where, '--activate-after', activateAfter, '--overlap', overlap], { cwd: ROOT });
}

/**
 * The roots (SHA-256) of the bundle Mast publishes for proxies to start from: STATE_DIR/root-cert.pem
 * in file mode, the mast-ca-root-cert ConfigMap (key root-cert.pem) in Kubernetes mode.
 */
async function publishedRoots(mesh: Mesh): Promise<string[]> {
  const pem = isKubeBackend(mesh.backend)
    ? (await mesh.backend.kube.kubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: MAST_NAMESPACE, name: ROOT_CERT_CONFIGMAP }).catch(() => undefined))?.data?.[BUNDLE_FILE]
    : readFileSync(path.join(flag(mesh, '--state-dir'), BUNDLE_FILE), 'utf8');
  return certs(pem ?? '').map(fingerprint);
}

/** The SHA-256 of the newest root where Mast keeps its CA (`ca.crt`). */
async function newestRoot(mesh: Mesh): Promise<string> {
  const pem = isKubeBackend(mesh.backend) ? await mastRoot(mesh.backend.kube.kubeConfig()) : readCaState(stateFile(flag(mesh, '--state-dir')))?.[CA_STATE_KEYS.cert];
  const [root] = certs(pem ?? '');
  assert.ok(root, 'no root where Mast keeps its CA');
  return fingerprint(root);
}

const refused = async (p: Promise<unknown>): Promise<boolean> => p.then(() => false, () => true);

/** Whether the API server accepts `token` for Mast's xDS audience (a TokenReview, as Mast asks it). */
async function accepted(mesh: Mesh, token: string): Promise<boolean> {
  assert.ok(isKubeBackend(mesh.backend));
  const api = mesh.backend.kube.kubeConfig().makeApiClient(AuthenticationV1Api);
  const { status } = await api.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [XDS_AUDIENCE] } } });
  return status?.authenticated === true;
}

/**
 * Kubernetes mode, before Mast restarts: kubelet's two refreshes. The sidecars' root-cert.pem
 * becomes the ConfigMap's bundle (the new root alone by now); and details' ServiceAccount is made
 * again, which voids every token issued for the old one, and details' token file gets a fresh one:
 * an Envoy still sending the token it started with would be refused by the restarted Mast, so
 * details' Envoy re-syncing proves it read the file again.
 */
async function kubeletRefreshes(mesh: Mesh): Promise<string> {
  const backend = mesh.backend;
  assert.ok(isKubeBackend(backend));
  await backend.refreshRootFile();
  const core = backend.kube.kubeConfig().makeApiClient(CoreV1Api);
  const sa = { namespace: 'default', name: 'bookinfo-details' };
  await core.deleteNamespacedServiceAccount(sa);
  await waitFor(async () => core.readNamespacedServiceAccount(sa).then(() => false, () => true), 5000, 'the old ServiceAccount to go');
  await core.createNamespacedServiceAccount({ namespace: sa.namespace, body: { metadata: { name: sa.name } } });
  const renewed = await backend.renewTokens(sa.namespace, sa.name);
  assert.ok(renewed.length > 0, 'details has a sidecar');
  for (const r of renewed) {
    await waitFor(async () => !(await accepted(mesh, r.before)) && (await accepted(mesh, r.after)), 10_000, `${r.pod}'s old token refused and its new one accepted`, 200);
  }
  return `${renewed.map((r) => r.pod).join(', ')} given a fresh token (the old one refused by TokenReview)`;
}

describeMesh('mutual TLS', (mesh, suite) => {
  test("sidecars talk mutual TLS: each app sees its caller's SPIFFE ID in x-forwarded-client-cert", async () => {
    const answer = await productpage(mesh(), { 'x-forwarded-client-cert': 'By=spiffe://forged;URI=spiffe://forged' });
    // The gateway (no sidecar label itself, but auto-mTLS towards productpage's) called productpage.
    assert.deepEqual([xfcc(answer)?.URI, xfcc(answer)?.By], [GATEWAY_ID, PRODUCTPAGE_ID]);
    for (const [service, sa] of [['details', 'bookinfo-details'], ['reviews', 'bookinfo-reviews']] as const) {
      const peer = xfcc(callTo(answer, service));
      assert.deepEqual([peer?.URI, peer?.By], [PRODUCTPAGE_ID, id('default', sa)], service);
      assert.match(peer?.Hash ?? '', /^[0-9a-f]{64}$/, `${service} sees the SHA-256 of productpage's certificate`);
    }
  });

  test('STRICT (the mesh-wide policy in examples/bookinfo) refuses a client outside the mesh, in plaintext or TLS without a certificate', async () => {
    assert.ok(await refused(fromOutside(mesh(), 'reviews-v1-0')), 'plaintext is refused');
    assert.ok(await refused(tlsWithoutCertificate(mesh(), 'reviews-v1-0')), 'TLS without a client certificate is refused');
  });

  test('PERMISSIVE serves the plaintext client (and strips a forged XFCC) while sidecars keep mTLS', async (t) => {
    const permissive = peerAuthentication('default', 'default', 'PERMISSIVE');
    await mesh().apply(permissive);
    try {
      const ms = await waitFor(async () => (await fromOutside(mesh(), 'reviews-v1-0').catch(() => undefined))?.status === 200, 10_000, 'plaintext served under PERMISSIVE');
      t.diagnostic(`PERMISSIVE in namespace default served plaintext after ${Math.round(ms)} ms`);
      const plain = JSON.parse((await fromOutside(mesh(), 'reviews-v1-0', { 'x-forwarded-client-cert': 'URI=spiffe://forged' })).text) as EchoAnswer;
      assert.equal(xfcc(plain), undefined, 'a plaintext caller cannot claim an identity');
      assert.equal(xfcc(callTo(await productpage(mesh()), 'reviews'))?.URI, PRODUCTPAGE_ID, 'mesh traffic is still mTLS');
    } finally {
      await mesh().delete(permissive);
    }
    await waitFor(() => refused(fromOutside(mesh(), 'reviews-v1-0')), 10_000, 'STRICT again');
  });

  test('DISABLE serves plaintext, and clients stop sending mTLS to the namespace', async (t) => {
    const disable = peerAuthentication('default', 'default', 'DISABLE');
    await mesh().apply(disable);
    try {
      // Every hop of productpage's, details' as well as reviews': the sidecars take the change one
      // by one, and a client still sending mTLS to a server that no longer takes it fails.
      const ms = await waitFor(async () => {
        const reply = await fromOutside(mesh(), 'ratings-v1-0').catch(() => undefined);
        const answer = await productpage(mesh());
        return reply?.status === 200 && ['reviews', 'details'].every((service) => xfcc(callTo(answer, service)) === undefined);
      }, 10_000, 'plaintext everywhere under DISABLE');
      t.diagnostic(`DISABLE in namespace default: plaintext in and between sidecars after ${Math.round(ms)} ms`);
      // The gateway's namespace is still STRICT, but productpage's (DISABLE) decides what it accepts.
      assert.equal(xfcc(await productpage(mesh())), undefined);
    } finally {
      await mesh().delete(disable);
    }
    await waitFor(async () => xfcc(callTo(await productpage(mesh()), 'reviews'))?.URI === PRODUCTPAGE_ID, 10_000, 'mTLS again');
  });

  const rotationSkip = suite.source === 'files' ? suite.delta : !suite.delta;
  const once = { skip: rotationSkip && 'rotations run once per source (files SotW, Kubernetes delta)' };
  test('certificates rotate at least twice under a request loop, on keep-alive and fresh connections, and no request fails', once, async (t) => {
    const tally = await mtlsRequestLoop(mesh(), { maxMs: 55_000, until: (l) => l.fresh.size >= 3 });
    t.diagnostic(`${tally.requests} requests in ${Date.now() - tally.startedAt} ms; productpage presented ${tally.fresh.size} certificates on new connections, ${tally.keptAlive.size} on kept-alive ones, where ${tally.onOlderCertificate} requests went over a connection made with a certificate since replaced; ${tally.failures.length} failed`);
    assert.deepEqual(tally.failures, []);
    assert.ok(tally.fresh.size >= 3, `at least two rotations (three certificates) on new handshakes, saw ${tally.fresh.size}`);
  });

  test('a root rotation: both roots trusted everywhere before the new one signs, every certificate moves to it, the old root leaves, and no request fails', once, async (t) => {
    const envoys = mesh().workloads.map((w) => w.envoy);
    const productpageAt = envoys.indexOf(mesh().workload('productpage-v1-0').envoy);
    const everyEnvoy = (): Promise<Trust[]> => Promise.all(envoys.map(trustOf));
    const before = await everyEnvoy();
    const old = before[0]!.roots[0]!;
    assert.ok(before.every((e) => e.roots.join() === old && e.signedBy === old), 'one root before the rotation');
    const phases: string[] = [];
    const tally = await mtlsRequestLoop(mesh(), {
      maxMs: 45_000,
      during: async (loop) => {
        const since = (what: string): void => void phases.push(`${what} at +${Date.now() - loop.startedAt} ms`);
        // Activation 6 s after the rotation: Mast sees it within its poll (1 s from the state
        // file, 2 s from the Secret) and pushes ROOTCA in well under the rest (under 2 s with the
        // machine's load at 10); the old root stays trusted 5 s past that.
        await rotateRoot(mesh(), '6s', '11s');
        since('rotated');
        const next = await newestRoot(mesh());
        assert.notEqual(next, old, 'mast ca rotate made a new root');
        const both = [next, old].join();
        let signedByOld = false;
        await waitFor(async () => {
          const now = await everyEnvoy();
          if (!now.every((e) => e.roots.join() === both) || (await publishedRoots(mesh())).join() !== both) return false;
          signedByOld = now.every((e) => e.signedBy === old);
          return true;
        }, 8000, 'every Envoy to trust both roots, and the published bundle to hold them', 200);
        since('both roots trusted everywhere');
        assert.ok(signedByOld, 'every Envoy trusted the new root while the old one still signed every certificate');
        let stillBoth = false;
        let productpageLeaf = '';
        await waitFor(async () => {
          const now = await everyEnvoy();
          if (!now.every((e) => e.signedBy === next)) return false;
          stillBoth = now.every((e) => e.roots.join() === both);
          productpageLeaf = now[productpageAt]!.leaf;
          return true;
        }, 12_000, 'every certificate to move to the new root', 200);
        since('every certificate from the new root');
        assert.ok(stillBoth, 'both roots stay trusted while certificates move');
        // XFCC's Hash is the SHA-256 of the certificate the client presented: details saw productpage's new one.
        await waitFor(() => loop.fresh.has(productpageLeaf), 5000, "a new handshake with productpage's certificate from the new root");
        await waitFor(async () => (await everyEnvoy()).every((e) => e.roots.join() === next) && (await publishedRoots(mesh())).join() === next, 12_000, "the old root to leave every Envoy's trust and the published bundle", 200);
        since('the old root gone');
        const sent = loop.requests;
        await waitFor(() => loop.requests >= sent + 20, 10_000, 'requests under the new root alone');
      },
    });
    t.diagnostic(`${phases.join(', ')}; ${tally.requests} requests, productpage presented ${tally.fresh.size} certificates on new connections; ${tally.failures.length} failed`);
    assert.deepEqual(tally.failures, []);
  });

  test('after the root rotation, a restarted Mast (serving a certificate from the new root) gets every Envoy back: each re-reads the bundle file over file-based SDS, redials and re-syncs, and no request fails', once, async (t) => {
    let resync = '';
    let refreshed = '';
    const tally = await mtlsRequestLoop(mesh(), {
      maxMs: 30_000,
      during: async (loop) => {
        if (isKubeBackend(mesh().backend)) refreshed = `${await kubeletRefreshes(mesh())}; `;
        const readyAt = await mesh().restartMast();
        // The new Mast lists only its own streams: every proxy synced there redialled it over TLS.
        await waitFor(() => synced(mesh()), 10_000, 'every Envoy to redial the restarted Mast and re-sync', 50);
        resync = `every Envoy re-synced ${Date.now() - readyAt} ms after the new Mast was ready`;
        const sent = loop.requests;
        await waitFor(() => loop.requests >= sent + 20, 10_000, 'requests after the restart');
      },
    });
    t.diagnostic(`${refreshed}${resync}; ${tally.requests} requests through the restart, ${tally.failures.length} failed`);
    assert.deepEqual(tally.failures, []);
  });
}, { mastArgs: ['--workload-cert-ttl', '1m', '--workload-cert-grace', '0.9'] });
