// Gateway credentials in Kubernetes mode: the Secret a Gateway server's `credentialName` names, in
// the gateway's namespace, read with a GET each time it is looked at (src/xds/credentials.ts polls
// only the Secrets a gateway asks for, so Mast needs `get` on Secrets, not `list` or `watch`).
// Whose they are is asked as Istio asks it (pilot/pkg/credentials/kube/secrets.go Authorize): a
// SubjectAccessReview of whether the proxy's service account may `list` Secrets in its namespace,
// which Istio's gateway charts grant with a Role; a sidecar's account has no such right.
import { AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isCredentialRef, type CredentialSource } from '../../ca/credentials';

/** Gateway credentials from Secrets, and their readers authorized by SubjectAccessReview (`create subjectaccessreviews`). */
export function kubeCredentials(kc: KubeConfig): CredentialSource {
  const api = kc.makeApiClient(CoreV1Api);
  const sar = kc.makeApiClient(AuthorizationV1Api);
  return {
    where: 'the API server',
    async authorize(namespace, serviceAccount) {
      const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
      const review = await sar.createSubjectAccessReview({
        body: { spec: { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`], resourceAttributes: { namespace, verb: 'list', resource: 'secrets' } } },
      });
      if (review.status?.allowed) return undefined;
      return `${user} may not list Secrets in ${namespace}${review.status?.reason ? ` (${review.status.reason})` : ''}: Istio's gateways get that from a Role (get, watch, list secrets)`;
    },
    async read(namespace, name) {
      if (!isCredentialRef(namespace, name)) return undefined;
      try {
        const secret = await api.readNamespacedSecret({ namespace, name });
        return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
  };
}
