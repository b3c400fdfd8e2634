// A cluster's endpoints seen from one proxy's locality: priorities for failover and weights for
// `distribute`, as Istio's ApplyLocalityLoadBalancer and its helpers (applyLocalityWeights,
// applyLocalityFailover, applyFailoverPriorities; pilot/pkg/networking/core/loadbalancer/
// loadbalancer.go) set them on a ClusterLoadAssignment's LocalityLbEndpoints.
import type { Locality, LocalityLbSetting } from './locality';

/** One endpoint, its load-balancing weight and the labels failoverPriority compares (its Pod's, with topology labels). */
export interface GroupEndpoint<E> {
  labels: Readonly<Record<string, string>>;
  weight: number;
  item: E;
}

/** A LocalityLbEndpoints under construction: `weight` is its load_balancing_weight, its endpoints' sum. */
export interface LocalityGroup<E> {
  locality: Locality;
  endpoints: GroupEndpoint<E>[];
  priority: number;
  weight: number;
}

/** What the proxy looks like to the rules: its locality and (topology-augmented) labels. */
export interface ProxyPosition {
  locality: Locality;
  labels: Readonly<Record<string, string>>;
}

/**
 * Applies `setting` to `groups` (every group at priority 0, weighing what its endpoints do) for a proxy
 * at `proxy`: `distribute` reweighs localities (always, as it needs no health checking);
 * otherwise, when `enableFailover` (the cluster has outlier detection), `failoverPriority` splits
 * groups by the labels the proxy shares, then `failover` (or the default order: same subzone,
 * zone, region, then any other) ranks localities. Returns new groups; priorities run 0..N.
 */
export function applyLocalityLoadBalancer<E>(groups: readonly LocalityGroup<E>[], proxy: ProxyPosition, setting: LocalityLbSetting, enableFailover: boolean): LocalityGroup<E>[] {
  let out = groups.map((g) => ({ ...g }));
  if (setting.distribute?.length) return applyLocalityWeights(out, proxy.locality, setting.distribute);
  if (!enableFailover) return out;
  const failover = setting.failover ?? [];
  if (setting.failoverPriority?.length) {
    out = applyFailoverPriorities(out, proxy.labels, setting.failoverPriority);
    if (failover.length) out = applyLocalityFailover(out, proxy.locality, failover);
    return out;
  }
  return applyLocalityFailover(out, proxy.locality, failover);
}

/** Istio's label.SplitLocalityLabel and util.LocalityMatch: `*` and missing parts match anything. */
function localityMatch(l: Locality, rule: string): boolean {
  const [region = '', zone = '', subZone = ''] = rule.split('/', 3);
  return (region === '*' || l.region === region) && (zone === '*' || zone === '' || l.zone === zone) && (subZone === '*' || subZone === '' || l.subZone === subZone);
}

/**
 * The first `distribute` entry whose `from` matches the proxy gives each `to` locality its weight,
 * shared among the groups it matches in proportion to their own weights (rounded up); groups no
 * `to` matches lose their endpoints. A proxy no `from` matches keeps the groups as they are.
 */
function applyLocalityWeights<E>(groups: LocalityGroup<E>[], proxy: Locality, distribute: NonNullable<LocalityLbSetting['distribute']>): LocalityGroup<E>[] {
  const rule = distribute.find((d) => localityMatch(proxy, d.from ?? ''));
  if (!rule) return groups;
  const unmatched = new Set(groups.map((_, i) => i));
  for (const [to, weight] of Object.entries(rule.to ?? {})) {
    const matched = [...unmatched].filter((i) => localityMatch(groups[i]!.locality, to));
    const total = matched.reduce((sum, i) => sum + groups[i]!.weight, 0);
    for (const i of matched) {
      unmatched.delete(i);
      const share = (groups[i]!.weight * weight) / total;
      if (share > 0) groups[i]!.weight = Math.ceil(share);
    }
  }
  for (const i of unmatched) groups[i]!.endpoints = [];
  return groups;
}

/** Istio's util.LbPriority: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere. */
function lbPriority(proxy: Locality, ep: Locality): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subZone === ep.subZone ? 0 : 1;
}

/**
 * Ranks groups by locality against the proxy; with a `failover` entry from the proxy's region,
 * only its `to` region keeps rank 3 and other regions drop to 4. Composed with priorities already
 * set (by failoverPriority) as `priority * 5 + rank`, then renumbered 0..N.
 */
function applyLocalityFailover<E>(groups: LocalityGroup<E>[], proxy: Locality, failover: NonNullable<LocalityLbSetting['failover']>): LocalityGroup<E>[] {
  for (const g of groups) {
    let rank = lbPriority(proxy, g.locality);
    if (rank === 3) {
      const entry = failover.find((f) => f.from === proxy.region);
      if (entry && g.locality.region !== entry.to) rank = 4;
    }
    g.priority = g.priority * 5 + rank;
  }
  return compact(groups);
}

/** Priorities renumbered 0..N in their order, as Envoy wants them without gaps. */
function compact<E>(groups: LocalityGroup<E>[]): LocalityGroup<E>[] {
  const order = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  for (const g of groups) g.priority = order.indexOf(g.priority);
  return groups;
}

/**
 * failoverPriority: each label in turn, the proxy's value (or the one given as `label=value`)
 * against the endpoint's; the first mismatch at position j gives priority n - j, all equal 0.
 * A mismatch on `topology.istio.io/network` in first place is passed over and adds n instead.
 * Each group splits into one group per priority; priorities are then renumbered across groups.
 * Nothing changes for a proxy without labels.
 */
function applyFailoverPriorities<E>(groups: LocalityGroup<E>[], proxyLabels: Readonly<Record<string, string>>, priorities: readonly string[]): LocalityGroup<E>[] {
  if (Object.keys(proxyLabels).length === 0 || groups.length === 0) return groups;
  const n = priorities.length;
  // Absent labels compare as '' (Go's map lookup); `a=b` overrides the proxy's value, `a=b=c` does not.
  const labels = priorities.map((p) => {
    const parts = p.split('=');
    const name = parts[0]!;
    return { name, value: parts.length === 2 ? parts[1]! : (proxyLabels[name] ?? '') };
  });
  const includesNetwork = n > 0 && labels[0]!.name === 'topology.istio.io/network';
  const rank = (ep: Readonly<Record<string, string>>): number => {
    let adjust = 0;
    for (const [j, { name, value }] of labels.entries()) {
      if (value === (ep[name] ?? '')) continue;
      if (j === 0 && includesNetwork) {
        adjust = n;
        continue;
      }
      return n - j + adjust;
    }
    return adjust;
  };
  const split = groups.flatMap((g) => {
    const byRank = new Map<number, GroupEndpoint<E>[]>();
    for (const ep of g.endpoints) {
      const r = rank(ep.labels);
      byRank.set(r, [...(byRank.get(r) ?? []), ep]);
    }
    return [...byRank.keys()].sort((a, b) => a - b).map((r) => ({ ...g, priority: r, endpoints: byRank.get(r)!, weight: byRank.get(r)!.reduce((sum, ep) => sum + ep.weight, 0) }));
  });
  return compact(split);
}
