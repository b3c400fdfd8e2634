// Gateway credentials in Kubernetes mode: the Secret a Gateway server's `credentialName` names, in
// the gateway's namespace, read with a GET each time it is looked at (src/xds/credentials.ts polls
// only the Secrets a gateway asks for, so Mast needs `get` on Secrets, not `list` or `watch`).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isCredentialRef, type CredentialSource } from '../../ca/credentials';

export function kubeCredentials(kc: KubeConfig): CredentialSource {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    where: 'the API server',
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
