// Tokens from the API server's TokenRequest API, as a kubelet and a person get them: a Pod's
// projected service-account token (bound to the Pod, audience istio-ca: what a sidecar proves
// itself with to Mast), and a token for someone bound to the manifests' mast-debug ClusterRole
// (what reads Mast's /debug/*).
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAST_NAMESPACE } from './service-account';

/** `mast serve --xds-token-audience`'s default: Istio's (its sidecars' istio-token audience). */
export const XDS_AUDIENCE = 'istio-ca';

export interface PodTokenOptions {
  /** Default [XDS_AUDIENCE]. */
  audiences?: string[];
  /** Default 3600 (the API server's minimum is 600). */
  expirationSeconds?: number;
  /** Bind to this Pod (default: the Pod named); `null` for a token bound to nothing. */
  boundPod?: string | null;
}

/** A token for the Pod's service account, bound to the Pod as kubelet's projected tokens are. */
export async function podToken(kc: KubeConfig, pod: { name: string; namespace: string; serviceAccount: string }, o: PodTokenOptions = {}): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const bound = o.boundPod === undefined ? pod.name : o.boundPod;
  const uid = bound === null ? undefined : (await core.readNamespacedPod({ name: bound, namespace: pod.namespace })).metadata?.uid;
  const made = await core.createNamespacedServiceAccountToken({
    name: pod.serviceAccount,
    namespace: pod.namespace,
    body: {
      spec: {
        audiences: o.audiences ?? [XDS_AUDIENCE],
        expirationSeconds: o.expirationSeconds ?? 3600,
        ...(bound === null ? {} : { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: bound, uid } }),
      },
    },
  });
  const token = made.status?.token;
  if (!token) throw new Error(`no token for ${pod.namespace}/${pod.serviceAccount}`);
  return token;
}

/**
 * Writes `token` where a proxy's bootstrap reads it (`--token-file`), owner-only, in one step as
 * kubelet replaces a projected token (a rename into the directory, which is what Envoy watches).
 */
export function writeToken(dir: string, name: string, token: string): string {
  const file = path.join(dir, `${name}.token`);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, token, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

const DEBUG_READER = 'mast-e2e-debug';

/**
 * A token for a ServiceAccount bound to the mast-debug ClusterRole (manifests/rbac.yaml), for the
 * API server's own audience: what `kubectl create token` gives a person allowed to read /debug.
 */
export async function debugReaderToken(kc: KubeConfig): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: MAST_NAMESPACE, body: { metadata: { name: DEBUG_READER } } }).catch(ignoreConflict);
  await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: DEBUG_READER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mast-debug' },
      subjects: [{ kind: 'ServiceAccount', name: DEBUG_READER, namespace: MAST_NAMESPACE }],
    },
  }).catch(ignoreConflict);
  const made = await core.createNamespacedServiceAccountToken({ name: DEBUG_READER, namespace: MAST_NAMESPACE, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = made.status?.token;
  if (!token) throw new Error('no token for the debug reader');
  return token;
}

function ignoreConflict(err: unknown): void {
  if ((err as { code?: number }).code !== 409) throw err;
}
