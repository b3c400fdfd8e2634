// What the Kubernetes source watches: the kinds the model understands, each with its API path
// and its list call. Namespaces and ServiceAccounts are not
// watched while nothing reads them (a Pod names its service account); the CA Secret is read by
// name (ca-secret.ts).
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, type KubeConfig, type V1ManagedFieldsEntry } from '@kubernetes/client-node';
import type { Kind, ObjectRef } from '../../model';
import { MESH_CONFIG_MAP } from '../../model/parse/mesh-config-map';

/** A list as the API returns it; items lack apiVersion and kind, which the kind supplies. */
export interface KubeList {
  metadata?: { resourceVersion?: string };
  items: KubeItem[];
}

export interface KubeItem {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; managedFields?: V1ManagedFieldsEntry[] };
}

export interface WatchedKind {
  kind: Kind;
  apiVersion: string;
  /** Plural resource name, as in the URL. */
  plural: string;
  /** A custom resource: its CRD may not be installed yet. */
  custom: boolean;
  /** Where it is listed and watched, when not every namespace's (a query string may narrow it). */
  path?: string;
  list(kc: KubeConfig): Promise<KubeList>;
}

const ISTIO_NETWORKING = 'networking.istio.io/v1';
const ISTIO_SECURITY = 'security.istio.io/v1';
const ISTIO_TELEMETRY = 'telemetry.istio.io/v1';

function custom(kind: Kind, plural: string, apiVersion = ISTIO_NETWORKING): WatchedKind {
  const [group = '', version = ''] = apiVersion.split('/');
  return {
    kind,
    apiVersion,
    plural,
    custom: true,
    list: async (kc) => (await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group, version, plural })) as KubeList,
  };
}

export const WATCHED_KINDS: readonly WatchedKind[] = [
  { kind: 'Service', apiVersion: 'v1', plural: 'services', custom: false, list: (kc) => kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces() as Promise<KubeList> },
  { kind: 'Pod', apiVersion: 'v1', plural: 'pods', custom: false, list: (kc) => kc.makeApiClient(CoreV1Api).listPodForAllNamespaces() as Promise<KubeList> },
  {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    plural: 'endpointslices',
    custom: false,
    list: (kc) => kc.makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces() as Promise<KubeList>,
  },
  custom('VirtualService', 'virtualservices'),
  custom('DestinationRule', 'destinationrules'),
  custom('Gateway', 'gateways'),
  custom('ServiceEntry', 'serviceentries'),
  custom('Sidecar', 'sidecars'),
  custom('EnvoyFilter', 'envoyfilters', 'networking.istio.io/v1alpha3'),
  custom('WorkloadEntry', 'workloadentries'),
  custom('PeerAuthentication', 'peerauthentications', ISTIO_SECURITY),
  custom('AuthorizationPolicy', 'authorizationpolicies', ISTIO_SECURITY),
  custom('RequestAuthentication', 'requestauthentications', ISTIO_SECURITY),
  custom('Telemetry', 'telemetries', ISTIO_TELEMETRY),
];

/**
 * The root namespace's `istio` ConfigMap alone (istiod reads its namespace's, kubemesh): listed and
 * watched by name, so no other ConfigMap is ever read and a namespaced Role is enough.
 */
export function meshConfigMapKind(namespace: string): WatchedKind {
  const fieldSelector = `metadata.name=${MESH_CONFIG_MAP}`;
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    plural: 'configmaps',
    custom: false,
    path: `/api/v1/namespaces/${namespace}/configmaps?fieldSelector=${encodeURIComponent(fieldSelector)}`,
    list: (kc) => kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace, fieldSelector }) as Promise<KubeList>,
  };
}

/** `/api/v1` for the core group, `/apis/GROUP/VERSION` for the others. */
function groupPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Where the kind is listed and watched: across namespaces, unless it says otherwise. */
export function collectionPath(k: WatchedKind): string {
  return k.path ?? `${groupPath(k.apiVersion)}/${k.plural}`;
}

/** One object's path: what findings about it point at (Origin.apiPath). */
export function objectPath(k: WatchedKind, namespace: string | undefined, name: string): string {
  return `${groupPath(k.apiVersion)}${namespace ? `/namespaces/${namespace}` : ''}/${k.plural}/${name}`;
}

/** Which model object an API object is. */
export function refOfItem(k: WatchedKind, obj: KubeItem): ObjectRef {
  return { kind: k.kind, namespace: obj.metadata?.namespace ?? 'default', name: obj.metadata?.name ?? '' };
}
