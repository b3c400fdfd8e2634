// Which EnvoyFilters apply to a proxy, in the order Istio applies them (PushContext.EnvoyFilters,
// pilot/pkg/model/push_context.go): the root namespace's and the proxy's own namespace's whose
// workloadSelector (or, for a Gateway API deployment, targetRefs) selects it, ordered by priority,
// then the root namespace's before the namespace's, then oldest first, then by name.
import { attaches } from '../../model/workload-selection';
import type { EnvoyFilter, Snapshot } from '../../model/types';
import type { ProxyClass } from '../types';

function selects(filter: EnvoyFilter, proxy: ProxyClass): boolean {
  const spec = filter.spec as { workloadSelector?: { labels?: Record<string, string> }; targetRefs?: { group?: string; kind: string; name: string }[] };
  return attaches(
    { meta: filter.meta, spec: { ...(spec.workloadSelector?.labels ? { selector: { matchLabels: spec.workloadSelector.labels } } : {}), ...(spec.targetRefs ? { targetRefs: spec.targetRefs } : {}) } },
    { namespace: proxy.namespace, labels: proxy.labels },
  );
}

/**
 * The EnvoyFilters of `snapshot` that apply to `proxy`, in the order their patches apply. Empty
 * (and cheap) when the mesh has none, which is the common case.
 */
export function envoyFiltersFor(snapshot: Snapshot, proxy: ProxyClass): EnvoyFilter[] {
  const all = snapshot.envoyFilters();
  if (all.length === 0) return [];
  const root = snapshot.rootNamespace;
  const position = new Map(all.map((f, i) => [f, i]));
  const priority = (f: EnvoyFilter) => (f.spec as { priority?: number }).priority ?? 0;
  return all
    .filter((f) => (f.meta.namespace === root || f.meta.namespace === proxy.namespace) && selects(f, proxy))
    .sort((a, b) => {
      if (priority(a) !== priority(b)) return priority(a) - priority(b);
      if (a.meta.namespace !== b.meta.namespace && (a.meta.namespace === root || b.meta.namespace === root)) return a.meta.namespace === root ? -1 : 1;
      // The snapshot lists them in creation order (ties broken by namespace and name).
      return (position.get(a) ?? 0) - (position.get(b) ?? 0);
    });
}
