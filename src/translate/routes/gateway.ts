// Gateway RouteConfigurations (`http.PORT`): a virtual host per host a bound VirtualService and a
// server on the port both cover, with the routes of every such VirtualService, built by the same
// rule translation sidecars use.
import { refOf, type Gateway, type Snapshot, type VirtualService } from '../../model/types';
import type { NamedResource, ProxyClass } from '../types';
import { httpFilters } from '../filters/chain';
import { gatewayKeyOf, type BoundServer, type GatewayPort } from '../gateway-servers';
import { intersectHosts } from '../hosts';
import { gatewayRouteName, virtualHostName } from '../names';
import type { RouteContext } from './context';
import { virtualServiceRoutes } from './http-route';
import { routeConfiguration, type VirtualHostSpec } from './route-configuration';
import { virtualServiceHosts, virtualServicesFor } from './virtual-services';
import { byKey } from '../order';

export type GatewayRouteFacets = Pick<ProxyClass, 'namespace' | 'labels'>;

/**
 * A server host is `namespace/host`: only VirtualServices from that namespace (`.` is the
 * Gateway's own, `*` or no prefix any) may bind to it.
 */
function serverHostsFor(bound: BoundServer, vs: VirtualService): string[] {
  return bound.server.hosts.flatMap((entry) => {
    const slash = entry.indexOf('/');
    const ns = slash < 0 ? '*' : entry.slice(0, slash);
    const allowed = ns === '*' || (ns === '.' ? bound.gateway.meta.namespace : ns) === vs.meta.namespace;
    return allowed ? [entry.slice(slash + 1)] : [];
  });
}

interface HostBinding {
  services: VirtualService[];
  gateways: Set<Gateway>;
}

/**
 * Host -> the VirtualServices that serve it on this port (each once; server by server, oldest
 * first, the order in which Istio's buildGatewayHTTPRouteConfig merges their routes) and through
 * which Gateways.
 */
function bindingsByHost(snapshot: Snapshot, gp: GatewayPort, namespace: string): Map<string, HostBinding> {
  const byHost = new Map<string, HostBinding>();
  for (const bound of gp.servers) {
    for (const vs of virtualServicesFor(snapshot, gatewayKeyOf(bound.gateway), namespace)) {
      const serverHosts = serverHostsFor(bound, vs);
      for (const vsHost of virtualServiceHosts(vs, snapshot.domain)) {
        for (const serverHost of serverHosts) {
          const host = intersectHosts(vsHost, serverHost);
          if (host === undefined) continue;
          const binding = byHost.get(host) ?? { services: [], gateways: new Set() };
          if (!binding.services.includes(vs)) binding.services.push(vs);
          binding.gateways.add(bound.gateway);
          byHost.set(host, binding);
        }
      }
    }
  }
  return byHost;
}

export function gatewayRouteConfig(snapshot: Snapshot, gp: GatewayPort, proxy: GatewayRouteFacets): NamedResource {
  const ctx: RouteContext = {
    snapshot,
    port: gp.port,
    gateways: new Set(gp.servers.map((s) => gatewayKeyOf(s.gateway))),
    sourceNamespace: proxy.namespace,
    sourceLabels: proxy.labels,
    filters: httpFilters('gateway'),
  };
  const created = new Map(snapshot.virtualServices().map((vs, i) => [vs, i]));
  const hosts: VirtualHostSpec[] = [...bindingsByHost(snapshot, gp, proxy.namespace)]
    .sort(byKey(([host]) => host))
    .map(([host, { services, gateways }]) => ({
      name: virtualHostName(host, gp.port),
      domains: [host],
      routes: services.flatMap((vs) => virtualServiceRoutes(vs, ctx)),
      sources: [...gateways, ...services].map(refOf),
      created: Math.min(...services.map((vs) => created.get(vs) ?? Infinity)),
    }))
    .filter((h) => h.routes.length > 0);
  // Clients put the port in Host when it is not the scheme's default; gateways match names only.
  return routeConfiguration(gatewayRouteName(gp.port), hosts, { ignore_port_in_host_matching: true });
}
