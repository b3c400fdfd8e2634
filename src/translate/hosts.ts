// How Istio's wildcard hosts cover one another. (Short names resolve in model/hosts.ts.)

/** Whether `pattern` (`*`, `*.example.com` or an exact name) covers `host`, itself maybe a wildcard. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return host !== '*' && host.endsWith(pattern.slice(1));
  return pattern === host;
}

/** The hosts both patterns cover, as one pattern: the narrower of the two, if either covers the other. */
export function intersectHosts(a: string, b: string): string | undefined {
  if (hostMatches(a, b)) return b;
  if (hostMatches(b, a)) return a;
  return undefined;
}
