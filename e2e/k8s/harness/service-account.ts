// Credentials of the manifests' ServiceAccount, minted by the TokenRequest API: requests made with
// them are authorized exactly as Mast's own are in a cluster, so a test proves the RBAC is enough.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kube } from './apiserver';

export const MAST_NAMESPACE = 'mast-system';
export const MAST_SERVICE_ACCOUNT = 'mast';

/** A KubeConfig, and the same written as a kubeconfig file in the kube's dir, for `mast-system/mast`. */
export async function serviceAccountConfig(kube: Kube): Promise<{ kc: KubeConfig; path: string }> {
  const token = await kube.kubeConfig().makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: MAST_SERVICE_ACCOUNT,
    namespace: MAST_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server: kube.server, caData: Buffer.from(kube.certs.ca.certPem).toString('base64') }],
    users: [{ name: MAST_SERVICE_ACCOUNT, token: token.status!.token }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user: MAST_SERVICE_ACCOUNT }],
    currentContext: 'e2e',
  });
  const file = path.join(kube.dir, 'mast-sa.kubeconfig');
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return { kc, path: file };
}
