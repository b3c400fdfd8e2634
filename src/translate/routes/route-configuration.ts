// The one builder of RouteConfiguration resources.
import type { ObjectRef } from '../../model/types';
import type { EnvoyJson, NamedResource } from '../types';
import { provenance, sourceKeys } from '../provenance';

/** Istio's DefaultMaxDirectResponseBodySizeBytes (pilot/pkg/networking/core/route/route.go). */
export const MAX_DIRECT_RESPONSE_BODY_BYTES = 1024 * 1024;

export interface VirtualHostSpec {
  name: string;
  domains: string[];
  routes: EnvoyJson[];
  sources: readonly ObjectRef[];
  /**
   * Where what the virtual host serves stands in creation order (its Service's index in
   * Snapshot.services(), its oldest VirtualService's in Snapshot.virtualServices()): of two virtual
   * hosts claiming one domain, the older keeps it. Unset (a catch-all): after every other.
   */
  created?: number;
  /**
   * Envoy answers every request with a redirect to https (301, `require_tls: ALL`): a Gateway
   * server's `tls.httpsRedirect`.
   */
  requireTls?: boolean;
}

/**
 * Envoy rejects a whole RouteConfiguration when two virtual hosts share a domain, compared
 * without regard to case (Envoy's RouteMatcher lower-cases them). Sidecar tables get no such
 * claim from a model that passed its checks (Kubernetes names and cluster IPs as the API server
 * checks them, MAST2103 to MAST2105; one VirtualService per sidecar host, MAST3002); a gateway's
 * may, from VirtualService hosts differing only in case, which Istio accepts. So this is a net: a
 * domain claimed twice stays with the virtual host created first, in the creation order Istio
 * gives conflicts to, never with whichever sorts first, so that an object added later cannot take
 * a domain from a live one. A virtual host left with no domain is dropped; the order of the
 * virtual hosts is kept.
 */
function withUniqueDomains(hosts: readonly VirtualHostSpec[]): VirtualHostSpec[] {
  const owners = new Map<string, VirtualHostSpec>();
  const created = (h: VirtualHostSpec): number => h.created ?? Infinity;
  const byCreation = [...hosts].sort((a, b) => (created(a) === created(b) ? 0 : created(a) < created(b) ? -1 : 1));
  for (const h of byCreation) for (const d of h.domains) if (!owners.has(d.toLowerCase())) owners.set(d.toLowerCase(), h);
  return hosts.flatMap((h) => {
    const kept = new Set<string>();
    const domains = h.domains.filter((d) => {
      const key = d.toLowerCase();
      if (owners.get(key) !== h || kept.has(key)) return false;
      kept.add(key);
      return true;
    });
    return domains.length > 0 ? [{ ...h, domains }] : [];
  });
}

function virtualHostJson(h: VirtualHostSpec): EnvoyJson {
  return {
    name: h.name,
    domains: h.domains,
    routes: h.routes,
    ...(h.requireTls ? { require_tls: 'ALL' } : {}),
    ...(h.sources.length > 0 ? { metadata: provenance(h.sources) } : {}),
  };
}

export function routeConfiguration(name: string, hosts: readonly VirtualHostSpec[], extra: EnvoyJson = {}): NamedResource {
  const unique = withUniqueDomains(hosts);
  return {
    name,
    json: {
      name,
      virtual_hosts: unique.map(virtualHostJson),
      // Routes may name clusters that arrive later (or never); Envoy must not reject the whole
      // table for that, it answers 503 for the one route instead.
      validate_clusters: false,
      // Istio's limit (1 MiB, which its validation enforces on directResponse bodies) rather than
      // Envoy's 4 KiB, which would reject the whole table over one larger body.
      max_direct_response_body_size_bytes: MAX_DIRECT_RESPONSE_BODY_BYTES,
      ...extra,
    },
    sources: sourceKeys(unique.flatMap((h) => h.sources)),
  };
}
