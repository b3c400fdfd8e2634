// A test mesh's configuration in a real API server: startKube, the Istio CRDs from manifests/crds,
// and `apply`/`delete` as kubectl would do them. Starting objects are loaded as a cluster would
// hold them: Pods are created, then given the status a kubelet would write, and the EndpointSlice
// controller, not the YAML, makes the EndpointSlices.
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { tokenSdsResource } from '../../../src/bootstrap/token-sds';
import { BUNDLE_FILE, bundleSdsResource, replaceFile } from '../../../src/ca/bundle-file';
import { MAST_CA_SECRET } from '../../../src/sources/kubernetes/ca-secret';
import { ROOT_CERT_CONFIGMAP } from '../../../src/sources/kubernetes/root-cert-configmap';
import { WATCHED_KINDS } from '../../../src/sources/kubernetes/kinds';
import type { BackendFactory, ConfigBackend, ProxyPod } from '../../harness/backend';
import { MAST_SERVICE_NAME, objectsOf } from '../../harness/backend';
import { waitFor } from '../../harness/net';
import { setPodStatus, startKube, type Kube } from './apiserver';
import { applyManifests } from './manifests';
import { MAST_NAMESPACE, serviceAccountConfig } from './service-account';
import { debugReaderToken, podToken, writeToken } from './tokens';
const FIELD_MANAGER = 'mast-e2e';

export interface KubeBackend extends ConfigBackend {
  kube: Kube;
  /**
   * What kubelet does after the mast-ca-root-cert ConfigMap changed: the sidecars' root-cert.pem
   * replaced by the ConfigMap's bundle, moved into its directory in one rename.
   */
  refreshRootFile(): Promise<void>;
  /**
   * What kubelet does before a projected token expires: a fresh TokenRequest token for each proxy
   * of `namespace`/`serviceAccount`, moved into its token file in one rename; the tokens before and after.
   */
  renewTokens(namespace: string, serviceAccount: string): Promise<{ pod: string; before: string; after: string }[]>;
}

export function isKubeBackend(b: ConfigBackend): b is KubeBackend {
  return 'kube' in b;
}

interface Obj extends KubernetesObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { selector?: Record<string, string>; serviceAccountName?: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

const isStatus = (err: unknown, code: number): boolean => (err as { code?: number }).code === code;

/** Pod IPs must be local addresses that are not loopback; only e2e/k8s/netns.sh makes them so. */
async function assertBindable(ip: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (err) => reject(new Error(`cannot bind pod IP ${ip} (${err.message}): run Kubernetes-mode e2e tests through e2e/k8s/netns.sh (make test-k8s)`)));
    s.listen(0, ip, () => s.close(() => resolve()));
  });
}

/** ca.crt of the mast-ca Secret, once the leader has made it: the root a Pod mounts to trust Mast. */
export async function mastRoot(kc: KubeConfig): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  let root: string | undefined;
  await waitFor(async () => {
    root = (await core.readNamespacedSecret({ namespace: MAST_NAMESPACE, name: MAST_CA_SECRET }).catch(() => undefined))?.data?.['ca.crt'];
    return root !== undefined;
  }, 30_000, 'the leader to create the mast-ca Secret', 100);
  return Buffer.from(root!, 'base64').toString();
}

/**
 * root-cert.pem of the mast-ca-root-cert ConfigMap, once the leader has written it: every root a
 * proxy must trust now, what a sidecar's Pod mounts (manifests/README.md).
 */
export async function mastBundle(kc: KubeConfig): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  let pem: string | undefined;
  await waitFor(async () => {
    pem = (await core.readNamespacedConfigMap({ namespace: MAST_NAMESPACE, name: ROOT_CERT_CONFIGMAP }).catch(() => undefined))?.data?.[BUNDLE_FILE];
    return pem !== undefined;
  }, 30_000, 'the leader to write the mast-ca-root-cert ConfigMap', 100);
  return pem!;
}

/**
 * Mast runs under the manifests' ServiceAccount (CRDs, namespace and RBAC applied from
 * manifests/), so every Kubernetes-mode scenario also proves the ClusterRole is enough, and serves
 * xDS over TLS as the Deployment does. Each Envoy starts as manifests/sidecar-bootstrap.yaml has a
 * Pod start: it trusts the mast-ca-root-cert ConfigMap's bundle (a file in a directory of its own,
 * as a ConfigMap volume) and proves its Pod with a Pod-bound token from TokenRequest (a file in a
 * directory of its own, as a projected volume), both named by file-based SDS resources (as the
 * bootstrap ConfigMap holds them), so Envoy reads either again when it is replaced. /debug is
 * read with the token of a ServiceAccount bound to mast-debug. The Deployment is not applied (no
 * kubelet would run it), nor the webhook configuration (its Service has no Mast behind it here;
 * webhook.test.ts covers the webhook).
 */
export const kubeBackend: BackendFactory = async () => {
  const kube = await startKube();
  const kc = kube.kubeConfig();
  await applyManifests(kc, { select: (o) => o.kind !== 'Deployment' && o.kind !== 'ValidatingWebhookConfiguration' });
  const asMast = await serviceAccountConfig(kube);
  const debugToken = await debugReaderToken(kc);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespaces = new Set<string>(['default']);
  const rootFiles = new Set<string>();
  const tokenFiles = new Map<string, { pod: ProxyPod; file: string }>();

  const ensure = async (create: () => Promise<unknown>): Promise<void> => {
    try {
      await create();
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
    }
  };
  const prepare = async (o: Obj): Promise<void> => {
    const namespace = o.metadata.namespace ?? 'default';
    if (!namespaces.has(namespace)) {
      await ensure(() => core.createNamespace({ body: { metadata: { name: namespace } } }));
      namespaces.add(namespace);
    }
    const sa = o.kind === 'Pod' ? o.spec?.serviceAccountName : undefined;
    if (sa) await ensure(() => core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } }));
  };
  const applyOne = async (o: Obj): Promise<void> => {
    await prepare(o);
    const { status, ...rest } = o;
    const namespace = o.metadata.namespace ?? 'default';
    const body = { ...rest, metadata: { ...rest.metadata, namespace } };
    const [group, version] = (o.apiVersion ?? '').split('/');
    if (group?.endsWith('istio.io') && version) {
      // KubernetesObjectApi serializes kinds it has no model for as bare objects, dropping their spec.
      const plural = WATCHED_KINDS.find((k) => k.kind === o.kind)?.plural;
      if (!plural) throw new Error(`Mast does not watch ${o.kind}`);
      const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
      await custom.patchNamespacedCustomObject({ group, version, namespace, plural, name: o.metadata.name, body, fieldManager: FIELD_MANAGER, force: true }, ssa);
    } else {
      await objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    }
    if (o.kind === 'Pod' && status?.podIP) {
      const ready = status.conditions?.find((c) => c.type === 'Ready')?.status !== 'False';
      await setPodStatus(kc, o.metadata.namespace ?? 'default', o.metadata.name, { podIP: status.podIP, ready });
    }
  };
  const docs = (yaml: string): Obj[] => objectsOf(yaml).map((d) => parse(d.text) as Obj);

  const backend: KubeBackend = {
    kube,
    mastArgs: ['--kubeconfig', asMast.path],
    debugToken,
    async proxyAuth(pod, dir) {
      const [roots, tokens, bootstrap] = ['mast-ca-root-cert', 'tokens', 'mast-bootstrap'].map((d) => path.join(dir, d)) as [string, string, string];
      for (const d of [roots, tokens, bootstrap]) mkdirSync(d, { recursive: true });
      const rootFile = path.join(roots, BUNDLE_FILE);
      if (!existsSync(rootFile)) replaceFile(rootFile, await mastBundle(kc));
      rootFiles.add(rootFile);
      const xdsCa = path.join(bootstrap, 'xds-ca.sds.yaml');
      if (!existsSync(xdsCa)) writeFileSync(xdsCa, bundleSdsResource(rootFile));
      const name = `${pod.namespace}.${pod.name}`;
      const file = writeToken(tokens, name, await podToken(kc, pod));
      tokenFiles.set(name, { pod, file });
      const tokenSds = path.join(bootstrap, `${name}.token.sds.yaml`);
      writeFileSync(tokenSds, tokenSdsResource(file));
      return { xdsCa, xdsServerName: MAST_SERVICE_NAME, tokenFile: tokenSds };
    },
    async refreshRootFile() {
      const pem = await mastBundle(kc);
      for (const file of rootFiles) replaceFile(file, pem);
    },
    async renewTokens(namespace, serviceAccount) {
      const renewed: { pod: string; before: string; after: string }[] = [];
      for (const { pod, file } of tokenFiles.values()) {
        if (pod.namespace !== namespace || pod.serviceAccount !== serviceAccount) continue;
        const before = readFileSync(file, 'utf8');
        const after = await podToken(kc, pod);
        writeToken(path.dirname(file), `${pod.namespace}.${pod.name}`, after);
        renewed.push({ pod: pod.name, before, after });
      }
      return renewed;
    },
    addressPrefix: (octet) => `10.${octet}`,
    async load(files) {
      const all = files.flatMap((f) => docs(f.text)).filter((o) => o.kind !== 'EndpointSlice');
      const pods = all.filter((o) => o.kind === 'Pod');
      if (pods[0]?.status?.podIP) await assertBindable(pods[0].status.podIP);
      for (const o of all) await applyOne(o);
      await waitForEndpoints(kc, all);
    },
    async apply(yaml) {
      for (const o of docs(yaml)) await applyOne(o);
    },
    async delete(yaml) {
      for (const o of docs(yaml)) {
        try {
          await objects.delete({ apiVersion: o.apiVersion, kind: o.kind, metadata: { namespace: 'default', ...o.metadata } });
        } catch (err) {
          if (!isStatus(err, 404)) throw err;
        }
      }
    },
    stop: () => kube.stop(),
  };
  return backend;
};

/** Until the EndpointSlice controller lists every Pod that each Service selects. */
async function waitForEndpoints(kc: KubeConfig, all: Obj[]): Promise<void> {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const pods = all.filter((o) => o.kind === 'Pod');
  for (const svc of all.filter((o) => o.kind === 'Service' && o.spec?.selector)) {
    const namespace = svc.metadata.namespace ?? 'default';
    const selector = Object.entries(svc.spec?.selector ?? {});
    const want = pods
      .filter((p) => (p.metadata.namespace ?? 'default') === namespace && selector.every(([k, v]) => p.metadata.labels?.[k] === v))
      .map((p) => p.status?.podIP)
      .filter((ip): ip is string => !!ip)
      .sort();
    const have = async (): Promise<string[]> => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${svc.metadata.name}` });
      return slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)).sort();
    };
    await waitFor(async () => (await have()).join() === want.join(), 30_000, `EndpointSlices of ${namespace}/${svc.metadata.name} to list ${want.join(', ')}`, 100);
  }
}
