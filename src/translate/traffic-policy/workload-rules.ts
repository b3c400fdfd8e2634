// Which DestinationRules with a workloadSelector select a proxy: the facet of a proxy that, beside
// its namespace, decides the rules its clusters, endpoints and routes read (Istio's
// SidecarScope.DestinationRule: a selector applies in its own namespace only).
import { labelsMatch } from '../../model/labels';
import type { DestinationRule, Snapshot } from '../../model/types';
import type { ProxyClass } from '../types';

const selectorRules = new WeakMap<Snapshot, readonly DestinationRule[]>();

/**
 * `namespace/name` of each DestinationRule whose workloadSelector selects `proxy` (same namespace,
 * labels matching), sorted: proxies with equal lists see the same rules. Empty, and cheap, when no
 * rule has a selector; the rules with one are listed once per snapshot.
 */
export function selectingRules(snapshot: Snapshot, proxy: Pick<ProxyClass, 'namespace' | 'labels'>): string[] {
  let rules = selectorRules.get(snapshot);
  if (!rules) selectorRules.set(snapshot, (rules = snapshot.destinationRules().filter((r) => r.spec.workloadSelector)));
  return rules
    .filter((r) => r.meta.namespace === proxy.namespace && labelsMatch(r.spec.workloadSelector?.matchLabels, proxy.labels))
    .map((r) => `${r.meta.namespace}/${r.meta.name}`)
    .sort();
}
