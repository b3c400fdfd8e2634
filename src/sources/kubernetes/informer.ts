// One kind, kept in step with the API server by @kubernetes/client-node's informer (list, then
// watch from the list's resourceVersion; a 410 Gone re-lists). What the informer leaves to its
// user is added here: it stops for good on any other error (the API server restarting, a refused
// connection, a CRD not installed yet), so it is started again after a capped exponential backoff.
import { makeInformer, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../model';
import { collectionPath, type KubeItem, type KubeList, type WatchedKind } from './kinds';

/** Where a kind's objects go as the informer reports them. */
export interface KindSink {
  upsert(k: WatchedKind, obj: KubeItem): void;
  remove(k: WatchedKind, obj: KubeItem): void;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface KindWatch {
  /** Settles after the first list has been handed over (or the CRD turned out to be missing). */
  synced: Promise<void>;
  stop(): void;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  const code = typeof e?.code === 'number' ? e.code : e?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function describe(err: unknown): string {
  const status = statusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return status ? `HTTP ${status}: ${message.split('\n')[0]}` : message;
}

/**
 * `obj` with `metadata.managedFields` deleted in place: the API server's record of which manager
 * set which field (server-side apply), often larger than the object's spec, which Mast never
 * reads. The informer hands over the object its cache keeps, so this shrinks the cache too: at
 * 1000 services and 2000 sidecar Pods, what a full GC left live fell from 132-135 to 128 MiB
 * (BENCHMARKS.md, "Memory per proxy").
 * istiod drops them from the Pods and Nodes its informers cache (pkg/kube/util.go
 * StripPodUnusedFields: "ManagedFields is large and we never use it").
 */
export function withoutManagedFields(obj: KubeItem): KubeItem {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

export function watchKind(kc: KubeConfig, k: WatchedKind, sink: KindSink, log: Logger, backoff: Backoff): KindWatch {
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  let delay = backoff.initialMs;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing: string | undefined;

  // Typed list items carry Dates and no apiVersion/kind; watch events carry neither problem.
  const normalize = (item: KubeItem): KubeItem => ({ apiVersion: k.apiVersion, kind: k.kind, ...(JSON.parse(JSON.stringify(item)) as KubeItem) });
  const list = async (): Promise<KubeList> => {
    const result = await k.list(kc);
    if (failing) log.info({ kind: k.kind }, `${k.kind}: listing again after "${failing}"`);
    failing = undefined;
    delay = backoff.initialMs;
    // The informer hands the items over synchronously once this resolves; by the next turn they are in.
    setImmediate(markSynced);
    return { ...result, items: result.items.map(normalize) };
  };
  const informer = makeInformer<KubeItem>(kc, collectionPath(k), list);

  const upsert = (obj: KubeItem): void => sink.upsert(k, withoutManagedFields(obj));
  informer.on('add', upsert);
  informer.on('update', upsert);
  informer.on('delete', (obj: KubeItem) => sink.remove(k, obj));

  const restart = (err: unknown): void => {
    if (stopped) return;
    const message = describe(err);
    const missingCrd = k.custom && statusOf(err) === 404;
    // Logged once per distinct failure, not once per retry.
    if (message !== failing) {
      if (missingCrd) log.warn({ kind: k.kind }, `${k.kind}: ${k.apiVersion} is not served (CRD not installed?); retrying`);
      else log.warn({ kind: k.kind, err: message }, `${k.kind}: watch failed (${message}); retrying`);
    }
    failing = message;
    // A kind the cluster does not have yet has nothing to wait for.
    if (missingCrd) markSynced();
    clearTimeout(timer);
    timer = setTimeout(start, missingCrd ? backoff.maxMs : delay);
    delay = Math.min(delay * 2, backoff.maxMs);
  };
  const start = (): void => {
    informer.start().catch(restart);
  };
  informer.on('error', restart);
  start();

  return {
    synced,
    stop() {
      stopped = true;
      clearTimeout(timer);
      void informer.stop();
    },
  };
}
