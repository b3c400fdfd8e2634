// Sidecar outbound RouteConfigurations: one per HTTP port number (`9080`), shared by every
// service on that port, with one virtual host per service and a catch-all.
import { refOf, type MeshService, type Snapshot, type VirtualService } from '../../model/types';
import type { NamedResource, ProxyClass } from '../types';
import { httpFilters } from '../filters/chain';
import { hostMatches } from '../hosts';
import { PASSTHROUGH_CLUSTER, outboundClusterName, outboundRouteName, virtualHostName } from '../names';
import { passesUnknownHosts } from '../outbound-traffic-policy';
import { isHttp } from '../protocol';
import { servicePorts, type ServicePortRef } from '../service-ports';
import type { RouteContext } from './context';
import { serviceDomains } from './domains';
import { NO_TIMEOUT } from './action';
import { defaultRoute, virtualServiceRoutes } from './http-route';
import { serviceHashPolicy } from './hash-policy';
import { routeConfiguration, type VirtualHostSpec } from './route-configuration';
import { MESH_GATEWAY, virtualServiceHosts, virtualServicesFor } from './virtual-services';

export type OutboundRouteFacets = Pick<ProxyClass, 'namespace' | 'labels' | 'interceptionMode'>;

/**
 * The VirtualService that routes a service on sidecars, as Istio picks it (one owns a host; they
 * are not merged): one naming its host exactly, else the one whose wildcard covering it is the
 * most specific (the longest: computeWildcardHostVirtualServiceIndex, MostSpecificHostMatch);
 * among equals the oldest, `candidates` being in creation order. The others lose the host, which
 * the model reports (MAST3002, Istio's IST0109). Indexed once per build, as Istio's
 * SidecarScope indexes hosts: a look-up per service over every VirtualService made a 10,000-service
 * mesh's routes cost 10^7 host resolutions (1000 VirtualServices).
 */
function virtualServiceIndex(candidates: readonly VirtualService[], domain: string): (service: MeshService) => VirtualService | undefined {
  const exact = new Map<string, VirtualService>();
  const wildcards: { host: string; vs: VirtualService }[] = [];
  for (const vs of candidates) {
    for (const host of virtualServiceHosts(vs, domain)) {
      if (!exact.has(host)) exact.set(host, vs);
      if (host.startsWith('*')) wildcards.push({ host, vs });
    }
  }
  return (service) => {
    const named = exact.get(service.hostname);
    if (named) return named;
    let best: { vs: VirtualService; length: number } | undefined;
    for (const { host, vs } of wildcards) {
      if (hostMatches(host, service.hostname) && host.length > (best?.length ?? 0)) best = { vs, length: host.length };
    }
    return best?.vs;
  };
}

function serviceVirtualHost(ref: ServicePortRef, vs: VirtualService | undefined, ctx: RouteContext, created: number): VirtualHostSpec {
  const { service, port } = ref;
  // A VirtualService whose rules all match other ports leaves this port to the default route.
  const routes = vs ? virtualServiceRoutes(vs, ctx) : [];
  const routed = vs !== undefined && routes.length > 0;
  return {
    name: virtualHostName(service.hostname, port.port),
    domains: serviceDomains(service, port.port, ctx.sourceNamespace),
    routes: routed ? routes : [defaultRoute(service, outboundClusterName(port.port, service.hostname), serviceHashPolicy(service, port.port, ctx))],
    sources: routed ? [refOf(service), refOf(vs)] : [refOf(service)],
    created,
  };
}

/**
 * Requests for hosts the mesh does not know (buildCatchAllVirtualHost). With ALLOW_ANY under
 * capture they go on to where the app sent them; otherwise (REGISTRY_ONLY, or no capture, where
 * the connection was addressed to the sidecar itself) they are answered 502 at once
 * (outbound-traffic-policy.ts).
 */
function catchAllVirtualHost(allowAny: boolean): VirtualHostSpec {
  const route = allowAny
    ? { name: 'allow_any', match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER, timeout: NO_TIMEOUT } }
    : { name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } };
  return { name: route.name, domains: ['*'], routes: [route], sources: [] };
}

export function outboundRouteConfigs(snapshot: Snapshot, proxy: OutboundRouteFacets): NamedResource[] {
  const virtualServiceOf = virtualServiceIndex(virtualServicesFor(snapshot, MESH_GATEWAY, proxy.namespace), snapshot.domain);
  const created = new Map(snapshot.services().map((service, i) => [service, i]));
  const httpPorts = servicePorts(snapshot, proxy.namespace).filter((ref) => isHttp(ref.protocol));
  const portNumbers = [...new Set(httpPorts.map((ref) => ref.port.port))].sort((a, b) => a - b);
  return portNumbers.map((port) => {
    const ctx: RouteContext = {
      snapshot,
      port,
      gateways: new Set([MESH_GATEWAY]),
      sourceNamespace: proxy.namespace,
      sourceLabels: proxy.labels,
      filters: httpFilters('outbound'),
    };
    const hosts = httpPorts
      .filter((ref) => ref.port.port === port)
      .map((ref) => serviceVirtualHost(ref, virtualServiceOf(ref.service), ctx, created.get(ref.service) ?? Infinity));
    return routeConfiguration(outboundRouteName(port), [...hosts, catchAllVirtualHost(passesUnknownHosts(snapshot, proxy))]);
  });
}
