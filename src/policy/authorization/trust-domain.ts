// The trust domain bundle Istio's authorization builder rewrites principals with
// (pilot/pkg/security/trustdomain/bundle.go, util.go): the mesh's trust domain first, then its
// aliases. A policy written for `cluster.local/ns/foo/sa/bar` keeps working when the mesh's trust
// domain is `example.org`, because `cluster.local` stands for "the local trust domain".

/** The trust domain `cluster.local` stands for in principals (constants.DefaultClusterLocalDomain). */
const CLUSTER_LOCAL = 'cluster.local';

export interface TrustDomainBundle {
  /** The local trust domain, then its aliases (trustdomain.NewBundle). */
  readonly trustDomains: readonly string[];
}

/**
 * The bundle for a mesh whose trust domain is `trustDomain`: it first, then `aliases` in their
 * order, as trustdomain.NewBundle makes it.
 */
export function trustDomainBundle(trustDomain: string, aliases: readonly string[] = []): TrustDomainBundle {
  return { trustDomains: [trustDomain, ...aliases] };
}

function prefixMatch(a: string, pattern: string): boolean {
  return pattern.endsWith('*') && a.startsWith(pattern.slice(0, -1));
}

function suffixMatch(a: string, pattern: string): boolean {
  return pattern.startsWith('*') && a.endsWith(pattern.slice(1));
}

/** trustdomain.stringMatch: the pattern may be on either side, `*` matches anything. */
function matchesAny(a: string, list: readonly string[]): boolean {
  return list.some((s) => a === s || s === '*' || prefixMatch(a, s) || prefixMatch(s, a) || suffixMatch(a, s) || suffixMatch(s, a));
}

/**
 * ReplaceTrustDomainAliases: each principal `<td>/ns/<ns>/sa/<sa>` whose trust domain is the
 * local one, an alias, or `cluster.local` becomes one principal per trust domain of the bundle
 * (kept as written where a `*td` pattern already covers that domain, without duplicates). Other
 * principals (another trust domain, `*` as trust domain, not five segments) stay as written.
 */
export function replaceTrustDomainAliases(bundle: TrustDomainBundle, principals: readonly string[]): string[] {
  return principals.flatMap((principal) => {
    const parts = principal.split('/');
    if (parts.length !== 5 || parts[0] === '*') return [principal];
    const domain = parts[0] as string;
    if (!matchesAny(domain, bundle.trustDomains) && domain !== CLUSTER_LOCAL) return [principal];
    const out: string[] = [];
    for (const td of bundle.trustDomains) {
      const replaced = suffixMatch(td, domain) ? principal : [td, ...parts.slice(1)].join('/');
      if (!out.includes(replaced)) out.push(replaced);
    }
    return out;
  });
}

/** ExpandTrustDomainAliases: a value naming one of the bundle's trust domains stands for all of them. */
export function expandTrustDomainAliases(bundle: TrustDomainBundle, values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values.flatMap((v) => (bundle.trustDomains.includes(v) ? bundle.trustDomains : [v]))) {
    if (!out.includes(v)) out.push(v);
  }
  return out;
}
