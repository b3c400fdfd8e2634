// The Kubernetes source: the cluster's Services, Pods, EndpointSlices and Istio networking
// resources as the mesh's configuration, written into the same ConfigStore as the file source,
// so a resource behaves the same whichever source it came from.
import { KubeConfig } from '@kubernetes/client-node';
import type { ConfigStore, Logger } from '../../model';
import { watchKind, type Backoff, type KindSink } from './informer';
import { WATCHED_KINDS, meshConfigMapKind, objectPath, refOfItem } from './kinds';
import { PendingWrites } from './writes';

export { LeaderElector } from './leader';
export { StatusWriter } from './status';
export type { KindSink } from './informer';

/** The store's source id for everything read from the API server. */
export const KUBERNETES_SOURCE = 'k8s';

export interface KubernetesWatch {
  /** Settles once every kind has been listed once. */
  ready: Promise<void>;
  close(): void;
}

export interface KubernetesOptions {
  /** Retry delays after a failed list or watch (default 100 ms doubling up to 5 s). */
  backoff?: Backoff;
  /** Also told of every object (the status writer reads generations and conditions). */
  observer?: KindSink;
  /** Watch this namespace's `istio` ConfigMap as the mesh config (unset with `--mesh-config FILE`, which Istio then reads instead). */
  meshConfigNamespace?: string;
}

/** Where the cluster is: a kubeconfig file, or the Pod's own service account (`in-cluster`). */
export function loadKubeConfig(from: { kubeconfig: string } | 'in-cluster'): KubeConfig {
  const kc = new KubeConfig();
  if (from === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromFile(from.kubeconfig);
  return kc;
}

export function watchKubernetes(kc: KubeConfig, store: ConfigStore, log: Logger, options: KubernetesOptions = {}): KubernetesWatch {
  const writes = new PendingWrites(store, KUBERNETES_SOURCE);
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 5000 };
  const sink: KindSink = {
    upsert(k, obj) {
      const ref = refOfItem(k, obj);
      writes.upsert(ref, obj, objectPath(k, obj.metadata?.namespace, ref.name));
      options.observer?.upsert(k, obj);
    },
    remove(k, obj) {
      writes.remove(refOfItem(k, obj));
      options.observer?.remove(k, obj);
    },
  };
  const watched = options.meshConfigNamespace === undefined ? WATCHED_KINDS : [...WATCHED_KINDS, meshConfigMapKind(options.meshConfigNamespace)];
  const kinds = watched.map((k) => watchKind(kc, k, sink, log, backoff));
  const server = kc.getCurrentCluster()?.server;
  const ready = Promise.all(kinds.map((k) => k.synced)).then(() => {
    log.info({ server, kinds: watched.map((k) => k.kind) }, `listed ${watched.length} kinds from ${server}`);
  });
  return {
    ready,
    close() {
      for (const k of kinds) k.stop();
      writes.discard();
    },
  };
}
