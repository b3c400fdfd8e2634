// The hash key of a consistent-hash destination, on the routes to it: Envoy's RING_HASH and
// MAGLEV clusters (traffic-policy/load-balancer.ts) hash what the route's hash_policy says, so a
// DestinationRule's `consistentHash` key travels on every route that names the destination, as
// Istio's HashForHTTPDestination and ConsistentHashToHashPolicy put it there
// (pilot/pkg/networking/core/route/route.go).
import { resolveHost } from '../../model/hosts';
import type { DestinationRule, MeshService, VirtualService } from '../../model/types';
import { protoDuration } from '../durations';
import type { EnvoyJson } from '../types';
import type { RouteContext } from './context';
import type { Destination } from './istio-types';

type Policy = NonNullable<DestinationRule['spec']['trafficPolicy']>;
type ConsistentHash = NonNullable<NonNullable<Policy['loadBalancer']>['consistentHash']>;

/** ConsistentHashToHashPolicy: the key to hash, or undefined for a hash without one (`ringHash` alone). */
function hashPolicyOf(hash: ConsistentHash | undefined): EnvoyJson | undefined {
  if (!hash) return undefined;
  if (hash.httpHeaderName) return { header: { header_name: hash.httpHeaderName } };
  if (hash.httpCookie) {
    const { name, path, ttl, attributes } = hash.httpCookie;
    const duration = ttl ? protoDuration(ttl) : undefined;
    return {
      cookie: {
        name,
        ...(duration ? { ttl: duration } : {}),
        ...(path ? { path } : {}),
        ...(attributes?.length ? { attributes: attributes.map((a) => ({ name: a.name, ...(a.value ? { value: a.value } : {}) })) } : {}),
      },
    };
  }
  if (hash.useSourceIp) return { connection_properties: { source_ip: true } };
  if (hash.httpQueryParameterName) return { query_parameter: { name: hash.httpQueryParameterName } };
  return undefined;
}

/** The consistent hash of `policy`'s port-level setting for `port`, if it has one. */
function portHash(policy: Policy | undefined, port: number | undefined): ConsistentHash | undefined {
  if (port === undefined) return undefined;
  return policy?.portLevelSettings?.find((s) => s.port?.number === port)?.loadBalancer?.consistentHash;
}

/**
 * HashForHTTPDestination: of the destination's DestinationRule (as the proxy sees it), the
 * subset's port-level hash, else the subset's, else the port-level one for the destination's
 * port, else the rule's. Port-level settings apply only to a destination that names its port.
 */
export function destinationHashPolicy(dest: Destination, vs: VirtualService, ctx: RouteContext): EnvoyJson | undefined {
  const host = resolveHost(dest.host, vs.meta.namespace, ctx.snapshot.domain);
  const rule = ctx.snapshot.destinationRuleFor(host, ctx.sourceNamespace, ctx.sourceLabels);
  if (!rule) return undefined;
  const port = dest.port?.number;
  const subset = dest.subset ? rule.spec.subsets?.find((s) => s.name === dest.subset)?.trafficPolicy : undefined;
  const top = rule.spec.trafficPolicy;
  return hashPolicyOf(portHash(subset, port) ?? subset?.loadBalancer?.consistentHash ?? portHash(top, port) ?? top?.loadBalancer?.consistentHash);
}

/** hashForService: the hash of a service's default route (no VirtualService), its port's setting first. */
export function serviceHashPolicy(service: MeshService, port: number, ctx: Pick<RouteContext, 'snapshot' | 'sourceNamespace' | 'sourceLabels'>): EnvoyJson | undefined {
  const top = ctx.snapshot.destinationRuleFor(service.hostname, ctx.sourceNamespace, ctx.sourceLabels)?.spec.trafficPolicy;
  return hashPolicyOf(portHash(top, port) ?? top?.loadBalancer?.consistentHash);
}
