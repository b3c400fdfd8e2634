// Host names as Istio reads them in VirtualServices and DestinationRules.

/**
 * A short name means a service in the namespace of the object that names it: `reviews` in
 * namespace `bookinfo` is `reviews.bookinfo.svc.cluster.local`. Anything with a dot, and the
 * wildcard `*`, stands as written. Lower-cased: DNS names do not tell case apart, and Istio
 * matches `Details` to the `details` service.
 */
export function resolveHost(host: string, namespace: string, domain: string): string {
  const lower = host.toLowerCase();
  return lower.includes('.') || lower.startsWith('*') ? lower : `${lower}.${namespace}.svc.${domain}`;
}

/** The namespace a `name.namespace.svc.<domain>` host lives in, if it has that shape. */
export function hostNamespace(host: string, domain: string): string | undefined {
  const suffix = `.svc.${domain}`;
  if (!host.endsWith(suffix)) return undefined;
  const parts = host.slice(0, -suffix.length).split('.');
  return parts.length === 2 ? parts[1] : undefined;
}
