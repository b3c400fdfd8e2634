// Sidecar outbound RouteConfigurations: one per HTTP port number (`9080`), shared by every
// service on that port, with one virtual host per service and a catch-all.
import { refOf, type Service, type Snapshot, type VirtualService } from '../../model/types';
import type { NamedResource, ProxyClass } from '../types';
import { httpFilters } from '../filters/chain';
import { hostMatches } from '../hosts';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER, outboundClusterName, outboundRouteName, virtualHostName } from '../names';
import { isHttp } from '../protocol';
import { servicePorts, type ServicePortRef } from '../service-ports';
import type { RouteContext } from './context';
import { serviceDomains } from './domains';
import { NO_TIMEOUT } from './action';
import { defaultRoute, virtualServiceRoutes } from './http-route';
import { routeConfiguration, type VirtualHostSpec } from './route-configuration';
import { MESH_GATEWAY, virtualServiceHosts, virtualServicesFor } from './virtual-services';

export type OutboundRouteFacets = Pick<ProxyClass, 'namespace' | 'labels' | 'interceptionMode'>;

/**
 * The VirtualService that routes `service`: one naming its host exactly wins over one covering it
 * with a wildcard; among equals, the first in order. Istio, too, lets one VirtualService own a
 * host on sidecars rather than merging them.
 */
function virtualServiceOf(service: Service, candidates: readonly VirtualService[], domain: string): VirtualService | undefined {
  const hostsOf = (vs: VirtualService): string[] => virtualServiceHosts(vs, domain);
  return (
    candidates.find((vs) => hostsOf(vs).includes(service.hostname)) ??
    candidates.find((vs) => hostsOf(vs).some((h) => hostMatches(h, service.hostname)))
  );
}

function serviceVirtualHost(ref: ServicePortRef, vs: VirtualService | undefined, ctx: RouteContext): VirtualHostSpec {
  const { service, port } = ref;
  // A VirtualService whose rules all match other ports leaves this port to the default route.
  const routes = vs ? virtualServiceRoutes(vs, ctx) : [];
  const routed = vs !== undefined && routes.length > 0;
  return {
    name: virtualHostName(service.hostname, port.port),
    domains: serviceDomains(service, port.port, ctx.sourceNamespace),
    routes: routed ? routes : [defaultRoute(service, outboundClusterName(port.port, service.hostname))],
    sources: routed ? [refOf(service), refOf(vs)] : [refOf(service)],
  };
}

/**
 * Requests for hosts the mesh does not know. Under capture they go on to where the app sent them
 * (Istio's ALLOW_ANY). Without capture the connection was addressed to the sidecar itself, so
 * there is nowhere to pass it on to, and the request fails at once (Istio's REGISTRY_ONLY).
 */
function catchAllVirtualHost(mode: ProxyClass['interceptionMode']): VirtualHostSpec {
  const [name, cluster] = mode === 'REDIRECT' ? ['allow_any', PASSTHROUGH_CLUSTER] : ['block_all', BLACKHOLE_CLUSTER];
  const route = { name, match: { prefix: '/' }, route: { cluster, timeout: NO_TIMEOUT } };
  return { name, domains: ['*'], routes: [route], sources: [] };
}

export function outboundRouteConfigs(snapshot: Snapshot, proxy: OutboundRouteFacets): NamedResource[] {
  const meshServices = virtualServicesFor(snapshot, MESH_GATEWAY, proxy.namespace);
  const httpPorts = servicePorts(snapshot).filter((ref) => isHttp(ref.protocol));
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
      .map((ref) => serviceVirtualHost(ref, virtualServiceOf(ref.service, meshServices, snapshot.domain), ctx));
    return routeConfiguration(outboundRouteName(port), [...hosts, catchAllVirtualHost(proxy.interceptionMode)]);
  });
}
