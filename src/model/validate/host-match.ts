// Istio's comparisons of host names that may start with a wildcard (pkg/config/host/name.go:
// Name.Matches, Name.SubsetOf). Plain suffix tests, as Istio does them: `*.com` matches
// `*.foo.com`.

const isWildcard = (h: string): boolean => h.startsWith('*');

/** Name.Matches: the two names share at least one host. */
export function hostsOverlap(a: string, b: string): boolean {
  if (isWildcard(a)) {
    if (isWildcard(b)) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
    return b.endsWith(a.slice(1));
  }
  if (isWildcard(b)) return a.endsWith(b.slice(1));
  return a === b;
}

/** Name.SubsetOf: every host `a` names is also named by `b`. */
export function hostSubsetOf(a: string, b: string): boolean {
  if (isWildcard(a)) return isWildcard(b) && a.length >= b.length && a.slice(1).endsWith(b.slice(1));
  if (isWildcard(b)) return a.endsWith(b.slice(1));
  return a === b;
}
