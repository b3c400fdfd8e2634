// The bench mesh (bench/mesh-gen.ts) in a real kube-apiserver, for the targets that read a cluster:
// istiod (bench/lib/istiod.ts) and Mast's Kubernetes mode. The control plane is the e2e harness's
// (e2e/k8s/harness/apiserver.ts: etcd, kube-apiserver, kube-controller-manager), the Istio CRDs
// are installed by its applyCrds from manifests/crds, and Pods get their IP through the status
// subresource by its setPodStatus, as a kubelet would write it.
//
// The objects are exactly the file-mode mesh's documents, EndpointSlices included: the
// EndpointSlice controllers are left out of kube-controller-manager, so the slices the generator
// wrote stay the only ones (the controller would add one per selecting Service, listing the Pods
// of every tenth service a second time and an empty slice for the others). An endpoint change is
// an update of the service's EndpointSlice through the API server.
//
// The simulated sidecars get Pods too (ensureProxyPods): in a cluster every sidecar's Pod is
// there, and Mast's Kubernetes mode serves a proxy nothing until a Pod has its IP (istiod looks
// the Pod up by IP as well, for its labels and service account).
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import path from 'node:path';
import { waitFor } from '../../e2e/harness/net';
import { DEFAULT_CONTROLLERS, setPodStatus, startKube, type Kube } from '../../e2e/k8s/harness/apiserver';
import { applyCrds } from '../../e2e/k8s/harness/crds';
import { WATCHED_KINDS } from '../../src/sources/kubernetes/kinds';
import { parse } from 'yaml';
import { endpointIps, NAMESPACE, serviceDocuments, sidecarYaml } from '../mesh-gen';

const CRD_DIR = path.join(__dirname, '..', '..', 'manifests', 'crds');
const FIELD_MANAGER = 'mast-bench';
/** Requests in flight while loading: the API server and etcd share the machine's two cores. */
const LOAD_CONCURRENCY = 8;
/** Where the targets keep their own state (istiod: its CA Secret and leases; Mast: its Lease and CA). */
export const CONTROL_PLANE_NAMESPACES = ['istio-system', 'mast-system'];

/** What a simulated sidecar's Pod holds, from its node metadata. */
export interface ProxyPod {
  name: string;
  namespace: string;
  ip: string;
  labels: Record<string, string>;
  serviceAccount: string;
}

interface Doc extends KubernetesObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  status?: { podIP?: string };
}

export interface KubeMesh {
  kube: Kube;
  /** The admin kubeconfig (system:masters) both targets read the cluster with. */
  kubeconfigPath: string;
  services: number;
  scope: number;
  /** Milliseconds the objects took to load, after the control plane was up. */
  loadMs: number;
  /**
   * Gives service `i` the endpoint addresses `ips` by a server-side apply of its EndpointSlice.
   * Returns the moment just before the request was sent (performance.now()); a failed request is
   * reported on stderr, and the bench then times out waiting for the change.
   */
  change(i: number, ips: string[]): number;
  /**
   * Makes a Pod (bound, running, ready, with status.podIP) for each proxy not given one yet, and
   * the ServiceAccounts they name. Proxies sharing an IP share the first one's Pod.
   */
  ensureProxyPods(proxies: readonly ProxyPod[]): Promise<void>;
  /** Puts the generated endpoints of `services` back, so the next target starts from the same mesh. */
  restore(services: readonly number[]): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function describe(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  return `${err instanceof Error ? err.message : String(err)}${body ? ` ${typeof body === 'string' ? body : JSON.stringify(body)}` : ''}`;
}

/**
 * Server-side applies one document, without its status. Istio kinds go through the custom-objects
 * API: KubernetesObjectApi serializes kinds it has no model for without their spec (the e2e
 * harness's backend does the same).
 */
async function apply(kc: KubeConfig, doc: Doc): Promise<void> {
  const { status: _status, ...rest } = doc;
  const namespace = doc.metadata.namespace ?? NAMESPACE;
  const body = { ...rest, metadata: { ...rest.metadata, namespace } };
  const [group, version] = (doc.apiVersion ?? '').split('/');
  try {
    if (group?.endsWith('istio.io') && version) {
      const plural = WATCHED_KINDS.find((k) => k.kind === doc.kind)?.plural;
      if (!plural) throw new Error(`no plural known for ${doc.kind}`);
      const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
      await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject({ group, version, namespace, plural, name: doc.metadata.name, body, fieldManager: FIELD_MANAGER, force: true }, ssa);
    } else {
      await KubernetesObjectApi.makeApiClient(kc).patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    }
  } catch (err) {
    throw new Error(`applying ${doc.kind} ${namespace}/${doc.metadata.name}: ${describe(err)}`);
  }
}

/** The EndpointSlice document of service `i` with addresses `ips`. */
function slice(i: number, ips: string[]): Doc {
  const doc = serviceDocuments(i, ips).find((d) => (d as Doc).kind === 'EndpointSlice');
  if (!doc) throw new Error(`service ${i} has no EndpointSlice`);
  return doc as Doc;
}

/**
 * Starts the e2e harness's control plane (without the EndpointSlice controllers), installs the
 * CRDs, makes the targets' namespaces and loads `services` services (with a Sidecar scoping to
 * `scope` of them when `scope` > 0). Pods are created, then bound and given status.podIP by
 * setPodStatus. Resolves once everything is in the API server. Processes and the temp dir are the
 * harness's, removed by its cleanup().
 */
export async function startKubeMesh(services: number, scope: number): Promise<KubeMesh> {
  const kube = await startKube({ controllers: DEFAULT_CONTROLLERS.filter((c) => !c.startsWith('endpointslice')) });
  const kc = kube.kubeConfig();
  const began = performance.now();
  await applyCrds(kc, CRD_DIR);
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of CONTROL_PLANE_NAMESPACES) await core.createNamespace({ body: { metadata: { name } } });
  // Pods are refused until the ServiceAccount controller has made the namespace's `default`.
  await waitFor(async () => (await core.readNamespacedServiceAccount({ namespace: NAMESPACE, name: 'default' }).then(() => true, () => false)), 60_000, `ServiceAccount ${NAMESPACE}/default`, 100);

  const docs: Doc[] = [];
  for (let i = 0; i < services; i++) docs.push(...(serviceDocuments(i) as Doc[]));
  if (scope > 0) docs.push(parse(sidecarYaml(scope)) as Doc);
  // Services and Pods first, so that no target ever sees a slice or a route naming what is not there yet.
  const first = docs.filter((d) => d.kind === 'Service' || d.kind === 'Pod');
  await pool(first, LOAD_CONCURRENCY, async (d) => {
    await apply(kc, d);
    if (d.kind === 'Pod' && d.status?.podIP) await setPodStatus(kc, d.metadata.namespace ?? NAMESPACE, d.metadata.name, { podIP: d.status.podIP, ready: true });
  });
  await pool(docs.filter((d) => !first.includes(d)), LOAD_CONCURRENCY, (d) => apply(kc, d));
  const loadMs = performance.now() - began;

  const podIps = new Set<string>();
  const accounts = new Set<string>();
  const ensureProxyPods = async (proxies: readonly ProxyPod[]): Promise<void> => {
    const fresh = proxies.filter((p) => !podIps.has(p.ip) && (podIps.add(p.ip), true));
    for (const p of fresh) {
      const key = `${p.namespace}/${p.serviceAccount}`;
      if (accounts.has(key)) continue;
      await apply(kc, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: p.serviceAccount, namespace: p.namespace } });
      accounts.add(key);
    }
    await pool(fresh, LOAD_CONCURRENCY, async (p) => {
      const pod: Doc = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
        spec: { serviceAccountName: p.serviceAccount, containers: [{ name: 'istio-proxy', image: 'bench' }] },
      } as Doc;
      await apply(kc, pod);
      await setPodStatus(kc, p.namespace, p.name, { podIP: p.ip, ready: true });
    });
  };

  return {
    kube,
    kubeconfigPath: kube.kubeconfigPath,
    services,
    scope,
    loadMs,
    ensureProxyPods,
    change(i, ips) {
      const at = performance.now();
      apply(kc, slice(i, ips)).catch((err: unknown) => process.stderr.write(`  kube-mesh: change of service ${i} failed: ${describe(err)}\n`));
      return at;
    },
    restore: (services) => pool(services, LOAD_CONCURRENCY, (i) => apply(kc, slice(i, endpointIps(i)))),
    stop: () => kube.stop(),
  };
}

let current: KubeMesh | undefined;

/**
 * The kube mesh for `services` and `scope`, started on first use and kept for the next kube
 * target of the same shape (loading it takes longer than a run); a different shape replaces it.
 */
export async function kubeMesh(services: number, scope: number): Promise<KubeMesh> {
  if (current && current.services === services && current.scope === scope) return current;
  await current?.stop();
  current = undefined;
  process.stderr.write(`  kube-mesh: starting kube-apiserver and loading ${services} services\n`);
  current = await startKubeMesh(services, scope);
  process.stderr.write(`  kube-mesh: control plane in ${(current.kube.timings.totalMs / 1000).toFixed(1)} s, mesh loaded in ${(current.loadMs / 1000).toFixed(1)} s\n`);
  return current;
}
