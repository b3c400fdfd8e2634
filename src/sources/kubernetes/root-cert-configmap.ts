// The trust bundle as a ConfigMap: `mast-ca-root-cert` in Mast's namespace, key `root-cert.pem`,
// every root proxies must trust now, kept by the Lease holder (Istio's `istio-ca-root-cert`, which
// istiod's namespace controller writes). The mast-ca Secret's `ca.crt` holds only the newest root,
// and a Pod must not mount the Secret anyway (it holds the key); during a rotation's overlap this
// ConfigMap holds both roots, so a proxy started from it can reach Mast before and after the
// activation. Pods mount ConfigMaps of their own namespace only: copies are made from this one
// (manifests/README.md).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { BUNDLE_FILE } from '../../ca/bundle-file';
import type { MeshCa } from '../../ca';
import type { Logger } from '../../model';

export const ROOT_CERT_CONFIGMAP = 'mast-ca-root-cert';

const statusOf = (err: unknown): number | undefined => (err as { code?: number }).code;

export interface RootCertConfigMapOptions {
  /** Mast's namespace: the ConfigMap lives beside the Lease and the mast-ca Secret. */
  namespace: string;
  /** Only the Lease holder writes. */
  isLeader(): boolean;
  log: Logger;
}

export interface RootCertConfigMap {
  /** Writes the ConfigMap if it does not hold the current bundle (call when this replica starts leading). */
  sync(): Promise<void>;
  close(): void;
}

/**
 * Keeps ConfigMap `mast-ca-root-cert` (key `root-cert.pem`) equal to `ca.bundlePem` while this
 * replica leads: now, after every bundle change, and on `sync()`. A write that fails (a conflict
 * with an edit, the API server away) is logged and made again on the next change or sync; a
 * bundle already there is not written again. Needs get, create and update on ConfigMaps in
 * `namespace` (manifests/rbac.yaml).
 */
export function keepRootCertConfigMap(kc: KubeConfig, ca: MeshCa, o: RootCertConfigMapOptions): RootCertConfigMap {
  const api = kc.makeApiClient(CoreV1Api);
  const { namespace } = o;
  const name = ROOT_CERT_CONFIGMAP;
  let running: Promise<void> = Promise.resolve();
  const write = async (): Promise<void> => {
    const pem = ca.bundlePem;
    if (!pem || !o.isLeader()) return;
    const data = { [BUNDLE_FILE]: pem };
    try {
      const current = await api.readNamespacedConfigMap({ namespace, name }).catch((err: unknown) => {
        if (statusOf(err) === 404) return undefined;
        throw err;
      });
      if (current?.data?.[BUNDLE_FILE] === pem) return;
      const metadata = { name, namespace, labels: { 'app.kubernetes.io/part-of': 'mast' } };
      if (current) await api.replaceNamespacedConfigMap({ namespace, name, body: { ...current, data } });
      else await api.createNamespacedConfigMap({ namespace, body: { metadata, data } });
      o.log.info({ configMap: `${namespace}/${name}`, roots: pem.split('BEGIN CERTIFICATE').length - 1 }, 'trust bundle written for proxies');
    } catch (err) {
      o.log.warn({ configMap: `${namespace}/${name}`, err: (err instanceof Error ? err.message : String(err)).split('\n')[0] }, 'could not write the trust bundle ConfigMap; trying again on the next change');
    }
  };
  // One write at a time, in order: a slow write must not land after a newer one.
  const sync = (): Promise<void> => (running = running.then(write));
  void sync();
  const stop = ca.onChange((change) => {
    if (change.bundle) void sync();
  });
  return { sync, close: stop };
}
