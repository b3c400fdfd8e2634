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
}

/**
 * Envoy rejects a whole RouteConfiguration when two virtual hosts share a domain, compared
 * without regard to case (Envoy's RouteMatcher lower-cases them), so a domain claimed twice
 * (overlapping VirtualService hosts, `Shop.example.com` and `shop.example.com`) stays with the
 * first virtual host and a virtual host left with no domain is dropped: one bad object must not
 * take down a port.
 */
function withUniqueDomains(hosts: readonly VirtualHostSpec[]): VirtualHostSpec[] {
  const seen = new Set<string>();
  return hosts.flatMap((h) => {
    const domains = h.domains.filter((d) => !seen.has(d.toLowerCase()));
    domains.forEach((d) => seen.add(d.toLowerCase()));
    return domains.length > 0 ? [{ ...h, domains }] : [];
  });
}

function virtualHostJson(h: VirtualHostSpec): EnvoyJson {
  return { name: h.name, domains: h.domains, routes: h.routes, ...(h.sources.length > 0 ? { metadata: provenance(h.sources) } : {}) };
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
