// An EnvoyFilter whose workloadSelector picks no Pod patches nothing, which is easy to miss: a
// typo in a label, or a filter left behind by a deployment that is gone. Istio applies it to
// nobody and says nothing; Mast applies it to nobody and says so (MAST3014). Only where the mesh
// knows its Pods (some exist), and not for gateways Mast runs without Pods in file mode, whose
// labels a Gateway's selector names.
import { diagnostic } from '../errors';
import { labelsMatch } from '../labels';
import { refOf, type Diagnostic, type EnvoyFilter, type Gateway, type Pod } from '../types';

/**
 * MAST3014 for each EnvoyFilter with a workloadSelector that no Pod of its namespace (of any
 * namespace, for the root namespace's) and no Gateway's selector matches.
 */
export function envoyFiltersSelectingNothing(filters: readonly EnvoyFilter[], pods: readonly Pod[], gateways: readonly Gateway[], rootNamespace: string): Diagnostic[] {
  if (pods.length === 0) return [];
  return filters.flatMap((filter) => {
    const labels = (filter.spec.workloadSelector as { labels?: Record<string, string> } | undefined)?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    const ns = filter.meta.namespace;
    const inReach = (namespace: string) => ns === rootNamespace || namespace === ns;
    if (pods.some((p) => inReach(p.meta.namespace) && labelsMatch(labels, p.meta.labels))) return [];
    if (gateways.some((g) => inReach(g.meta.namespace) && labelsMatch(labels, (g.spec.selector ?? {}) as Record<string, string>))) return [];
    const where = ns === rootNamespace ? 'any namespace' : `namespace ${ns}`;
    return [diagnostic('MAST3014', `no Pod in ${where} has the labels ${JSON.stringify(labels)}; this EnvoyFilter applies to no proxy`, { object: refOf(filter), origin: filter.origin, field: 'spec.workloadSelector.labels' })];
  });
}
