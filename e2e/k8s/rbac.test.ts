// manifests/ against a real kube-apiserver: everything is accepted (the Deployment by a
// server-side dry run: nothing here would run it), and the ServiceAccount's RBAC is enough for
// what Mast does and no more. Requests are made with a token the TokenRequest API mints for the
// manifests' ServiceAccount, so they are authorized exactly as Mast's in a cluster.
import { AdmissionregistrationV1Api, AuthenticationV1Api, AuthorizationV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions, Watch } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/model/log';
import { kubeCredentials } from '../../src/sources/kubernetes/credential-secrets';
import { CredentialSecrets } from '../../src/xds/credentials';
import { makeGatewayCredential } from '../../test/support/gateway-credential';
import { WATCHED_KINDS, collectionPath } from '../../src/sources/kubernetes/kinds';
import { sleep, waitFor } from '../harness/net';
import { cleanup } from '../harness/processes';
import { startKube, type Kube } from './harness/apiserver';
import { applyManifests } from './harness/manifests';
import { serviceAccountConfig } from './harness/service-account';

const SYSTEM = 'mast-system';
const APP_NS = 'e2e-rbac';

let kube: Kube;
let admin: KubeConfig;
let asMast: KubeConfig;

before(async () => {
  kube = await startKube();
  admin = kube.kubeConfig();
  const { applied, dryRun } = await applyManifests(admin, { dryRun: (o) => o.kind === 'Deployment' });
  assert.ok(applied.includes('ServiceAccount/mast-system/mast') && applied.includes('ValidatingWebhookConfiguration/mast-validator'));
  assert.deepEqual(dryRun, ['Deployment/mast-system/mast']);
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: APP_NS } } });
  // Accepted; but with no Mast behind its Service and failurePolicy Fail it would refuse every
  // VirtualService this test creates (webhook.test.ts covers the webhook itself).
  await admin.makeApiClient(AdmissionregistrationV1Api).deleteValidatingWebhookConfiguration({ name: 'mast-validator' });

  asMast = (await serviceAccountConfig(kube)).kc;
});

after(async () => {
  await kube?.stop();
  await cleanup();
});

/**
 * The HTTP status of a call made as Mast (200 for any success). A 429 is retried: the apiserver
 * answers so for a few moments after a CRD becomes Established, while its storage starts.
 */
async function status(call: () => Promise<unknown>): Promise<number | string> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call();
      return 200;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 429 && attempt < 50) await sleep(100);
      else return code ?? String(err);
    }
  }
}

test('every object in manifests/ is accepted by the apiserver', async () => {
  // before() applied them; a second apply must be a no-op that still succeeds (kubectl apply twice).
  const second = await applyManifests(admin, { dryRun: (o) => o.kind === 'Deployment', select: (o) => o.kind !== 'ValidatingWebhookConfiguration' });
  assert.ok(second.applied.length >= 15, second.applied.map(String).join(', '));
});

test('the ServiceAccount can list and watch everything Mast reads, in every namespace', async () => {
  // The source's own table, with its own list calls: what Mast watches is what is checked.
  for (const k of WATCHED_KINDS) {
    assert.equal(await status(() => k.list(asMast)), 200, `list ${k.plural}`);
    // A watch is a separate verb: open one and close it.
    const watching = await new Watch(asMast).watch(collectionPath(k), {}, () => {}, () => {});
    watching.abort();
  }
  assert.equal(await status(() => asMast.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: SYSTEM })), 200, 'list secrets in mast-system');
});

test("a gateway's credentialName Secret reaches SDS once its service account may list Secrets (Istio's SubjectAccessReview), and an update follows", async () => {
  const [first, second] = await Promise.all([makeGatewayCredential(['web.example.com']), makeGatewayCredential(['web.example.com'])]);
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({ namespace: APP_NS, body: { metadata: { name: 'web-cert' }, type: 'kubernetes.io/tls', stringData: first.data } });
  const source = kubeCredentials(asMast);
  assert.deepEqual(await source.read(APP_NS, 'web-cert'), first.data, 'a kubernetes.io/tls Secret with ca.crt, decoded');
  assert.equal(await source.read(APP_NS, 'absent'), undefined, 'no such Secret: no credential');
  // What a gateway of APP_NS running as `web-gateway` is sent as kubernetes://web-cert. A denial
  // is reused for 300 ms here (Istio: a minute), so the grant below is seen quickly.
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (_: object, msg: string) => void warnings.push(msg) };
  const credentials = new CredentialSecrets(source, log, 100, { allowedMs: 300_000, deniedMs: 300 });
  const pushes: string[][] = [];
  credentials.onChange((streams) => pushes.push(streams));
  const gateway = { namespace: APP_NS, role: 'router' as const, serviceAccount: 'web-gateway' };
  // The encoded Secret (an Any): its inline_bytes are the PEM as it is.
  const holds = (pem: string): boolean => {
    const [s] = credentials.secretsFor('gw-1', gateway, ['kubernetes://web-cert']);
    return s !== undefined && Buffer.from(s.resource.any).includes(pem);
  };
  try {
    assert.equal(holds(first.data['tls.crt']!), false, 'authorized asynchronously: nothing yet');
    await waitFor(() => (holds(first.data['tls.crt']!), warnings.some((w) => /system:serviceaccount:e2e-rbac:web-gateway may not list Secrets in e2e-rbac/.test(w))), 5000, 'the refusal, logged');
    assert.equal(holds(first.data['tls.crt']!), false, 'a service account without the right gets no key');
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: APP_NS, body: { metadata: { name: 'web-gateway-sds' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: APP_NS,
      body: { metadata: { name: 'web-gateway-sds' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web-gateway-sds' }, subjects: [{ kind: 'ServiceAccount', name: 'web-gateway', namespace: APP_NS }] },
    });
    await waitFor(() => holds(first.data['tls.crt']!), 10_000, 'the first certificate, once the Role is bound');
    const before = pushes.length;
    await core.replaceNamespacedSecret({ namespace: APP_NS, name: 'web-cert', body: { metadata: { name: 'web-cert' }, type: 'kubernetes.io/tls', stringData: second.data } });
    await waitFor(() => holds(second.data['tls.crt']!) && !holds(first.data['tls.crt']!), 5000, 'the updated certificate');
    assert.deepEqual(pushes.slice(before), [['gw-1']], 'the change pushed to the stream that wants it, once');
  } finally {
    credentials.close();
  }
});

test('the ServiceAccount can write the status of an Istio object, and its Lease', async () => {
  const custom = asMast.makeApiClient(CustomObjectsApi);
  const adminCustom = admin.makeApiClient(CustomObjectsApi);
  const group = 'networking.istio.io';
  await adminCustom.createNamespacedCustomObject({ group, version: 'v1', namespace: APP_NS, plural: 'virtualservices', body: { apiVersion: `${group}/v1`, kind: 'VirtualService', metadata: { name: 'r' }, spec: { hosts: ['r'] } } });
  const patched = await custom.patchNamespacedCustomObjectStatus(
    { group, version: 'v1', namespace: APP_NS, plural: 'virtualservices', name: 'r', body: { status: { conditions: [{ type: 'Reconciled', status: 'True' }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.equal((patched as { status?: { conditions?: { type: string }[] } }).status?.conditions?.[0]?.type, 'Reconciled');
  const lease = asMast.makeApiClient(CoordinationV1Api);
  await lease.createNamespacedLease({ namespace: SYSTEM, body: { metadata: { name: 'mast-rbac-check' }, spec: { holderIdentity: 'x' } } });
  assert.equal(await status(() => lease.readNamespacedLease({ namespace: SYSTEM, name: 'mast-rbac-check' })), 200);
});

test('the ServiceAccount can ask whose a token is and what its user may do (authenticated xDS, /debug)', async () => {
  const review = await asMast.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: 'not-a-token' } } });
  assert.equal(review.status?.authenticated ?? false, false, 'a TokenReview is answered');
  const access = await asMast.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: { spec: { user: 'someone', nonResourceAttributes: { path: '/debug/syncz', verb: 'get' } } },
  });
  assert.equal(access.status?.allowed, false, 'a SubjectAccessReview is answered, and nobody is granted /debug by default');
  const self = await asMast.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { nonResourceAttributes: { path: '/debug/config_dump', verb: 'get' } } } });
  assert.equal(self.status?.allowed, false, 'Mast itself may not read /debug: the mast-debug ClusterRole is for people, bound by them');
});

test('the ServiceAccount is refused anything broader', async () => {
  const core = asMast.makeApiClient(CoreV1Api);
  const custom = asMast.makeApiClient(CustomObjectsApi);
  const group = 'networking.istio.io';
  const refused: [string, () => Promise<unknown>][] = [
    ['create pods', () => core.createNamespacedPod({ namespace: APP_NS, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } } })],
    ['list secrets cluster-wide', () => core.listSecretForAllNamespaces()],
    ['list namespaces, which Mast does not read', () => core.listNamespace()],
    ['list serviceaccounts, which Mast does not read', () => core.listServiceAccountForAllNamespaces()],
    ['list secrets in an app namespace', () => core.listNamespacedSecret({ namespace: APP_NS })],
    ['delete virtualservices', () => custom.deleteNamespacedCustomObject({ group, version: 'v1', namespace: APP_NS, plural: 'virtualservices', name: 'r' })],
    ['update a VirtualService spec', () => custom.patchNamespacedCustomObject({ group, version: 'v1', namespace: APP_NS, plural: 'virtualservices', name: 'r', body: { spec: { hosts: ['x'] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))],
    ['create a Lease outside mast-system', () => asMast.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: APP_NS, body: { metadata: { name: 'l' }, spec: {} } })],
    ['update services', () => core.patchNamespacedService({ name: 'kubernetes', namespace: 'default', body: { metadata: { labels: { a: 'b' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))],
  ];
  for (const [what, call] of refused) assert.equal(await status(call), 403, `${what} must be Forbidden`);
});
