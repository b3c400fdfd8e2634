// The CA in Kubernetes mode, against a real kube-apiserver and with the manifests' RBAC (every
// call made with the mast ServiceAccount's token): the leader creates the mast-ca Secret (a Secret,
// never a ConfigMap) and a follower adopts it; `mast ca rotate --kubeconfig` adds a root that both
// replicas trust, then sign with, then keep alone; a `cacerts` Secret (Istio's plug-in) makes
// Mast sign as the user's intermediate, and rotating Mast's own root is refused while it is there.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fingerprint, MeshCa, spiffeId } from '../../src/ca';
import { silentLogger } from '../../src/model/log';
import { CACERTS_SECRET, MAST_CA_SECRET, watchKubeCa } from '../../src/sources/kubernetes/ca-secret';
import { makeUserCa } from '../../test/support/plug-in-ca';
import { certs, verifyChain } from '../../test/support/x509-chain';
import { waitFor } from '../harness/net';
import { cleanup } from '../harness/processes';
import { startKube, type Kube } from './harness/apiserver';
import { applyManifests } from './harness/manifests';
import { MAST_NAMESPACE, serviceAccountConfig } from './harness/service-account';

const ROOT = path.join(__dirname, '..', '..');
const run = promisify(execFile);

let kube: Kube;
let admin: CoreV1Api;
let asMast: KubeConfig;
const replicas: { ca: MeshCa; watch: { close(): void } }[] = [];

/** A replica's CA, following the Secrets as Mast's own would (polled every 100 ms here). */
function replica(leader: boolean): MeshCa {
  const ca = new MeshCa({ trustDomain: 'cluster.local', log: silentLogger });
  replicas.push({ ca, watch: watchKubeCa(asMast, ca, { namespace: MAST_NAMESPACE, isLeader: () => leader, log: silentLogger, pollMs: 100 }) });
  return ca;
}

const roots = (ca: MeshCa): string[] => ca.bundle.map(fingerprint);

before(async () => {
  kube = await startKube();
  await applyManifests(kube.kubeConfig(), { select: (o) => o.kind !== 'Deployment' && o.kind !== 'ValidatingWebhookConfiguration' });
  admin = kube.kubeConfig().makeApiClient(CoreV1Api);
  asMast = (await serviceAccountConfig(kube)).kc;
});

after(async () => {
  for (const r of replicas) {
    r.watch.close();
    r.ca.close();
  }
  await kube?.stop();
  await cleanup();
});

describe("Mast's CA in Kubernetes mode", () => {
  let leader: MeshCa;
  let follower: MeshCa;

  it('the leader creates mast-ca, an Opaque Secret, and a follower adopts the same root', async () => {
    follower = replica(false);
    leader = replica(true);
    await Promise.all([leader.ready, follower.ready]);
    const secret = await admin.readNamespacedSecret({ namespace: MAST_NAMESPACE, name: MAST_CA_SECRET });
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ['ca.crt', 'ca.key']);
    const stored = certs(Buffer.from(secret.data!['ca.crt']!, 'base64').toString());
    assert.deepEqual(roots(leader), stored.map(fingerprint));
    assert.deepEqual(roots(follower), roots(leader), 'one root for every replica');
    const configMaps = await admin.listNamespacedConfigMap({ namespace: MAST_NAMESPACE });
    assert.ok(!JSON.stringify(configMaps).includes('PRIVATE KEY'), 'the key is in no ConfigMap');
  });

  it('mast ca rotate --kubeconfig: every replica trusts the new root, then signs with it, then drops the old one', async () => {
    const before = roots(leader)[0]!;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'ca', 'rotate', '--kubeconfig', kube.kubeconfigPath, '--namespace', MAST_NAMESPACE, '--activate-after', '2s', '--overlap', '5s'], { cwd: ROOT });
    assert.match(stdout, /rotated Secret mast-system\/mast-ca\nnew root ".*" is trusted now and signs from .*\nold root ".*" is trusted until /);
    for (const ca of [leader, follower]) await waitFor(() => ca.bundle.length === 2, 5000, 'both roots in the bundle');
    const next = roots(leader).find((r) => r !== before)!;
    assert.deepEqual(roots(follower).sort(), [before, next].sort());
    assert.equal(fingerprint(leader.signer!.root), before, 'the old root signs until the activation');
    await waitFor(() => fingerprint(follower.signer!.root) === next, 5000, 'the new root to sign');
    const cert = await follower.signer!.issueWorkloadCert(spiffeId('cluster.local', { namespace: 'default', serviceAccount: 'x' }), 60_000);
    assert.equal(fingerprint((await verifyChain(cert.chainPem, follower.bundlePem)).at(-1)!), next);
    for (const ca of [leader, follower]) await waitFor(() => roots(ca).join() === next, 8000, 'the old root to leave the bundle');
  });

  it("a cacerts Secret plugs in the user's CA: certificates chain through the intermediate to the user's root", async () => {
    const user = await makeUserCa();
    await admin.createNamespacedSecret({
      namespace: MAST_NAMESPACE,
      body: { metadata: { name: CACERTS_SECRET }, data: Object.fromEntries(Object.entries(user.files).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])) },
    });
    for (const ca of [leader, follower]) await waitFor(() => ca.signer?.cert.subject === user.intermediate.subject, 5000, 'the plugged-in CA');
    const cert = await follower.signer!.issueWorkloadCert(spiffeId('cluster.local', { namespace: 'default', serviceAccount: 'x' }), 60_000);
    const chain = await verifyChain(cert.chainPem, user.files['root-cert.pem']!);
    assert.deepEqual(chain.map((c) => c.subject), ['', user.intermediate.subject, user.root.subject]);
    assert.equal(follower.bundlePem, user.files['root-cert.pem']);

    await assert.rejects(
      run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'ca', 'rotate', '--kubeconfig', kube.kubeconfigPath, '--namespace', MAST_NAMESPACE], { cwd: ROOT }),
      (err: Error & { stderr?: string }) => /Secret mast-system\/cacerts plugs in a CA: rotate it through its files/.test(err.stderr ?? ''),
    );

    await admin.deleteNamespacedSecret({ namespace: MAST_NAMESPACE, name: CACERTS_SECRET });
    for (const ca of [leader, follower]) await waitFor(() => ca.signer?.cert.subject.startsWith('O=mast') ?? false, 5000, "back to Mast's own root");
  });
});
