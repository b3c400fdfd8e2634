// Gateway RouteConfigurations: `http.PORT` for a port's plain-text servers, and one per server
// that terminates TLS (`https.PORT.NAME.GATEWAY.NAMESPACE`, as Istio splits them); each a virtual
// host per host a bound VirtualService and one of its servers both cover, with the routes of every
// such VirtualService, built by the same rule translation sidecars use.
import { refOf, type Gateway, type Snapshot, type VirtualService } from '../../model/types';
import type { NamedResource, ProxyClass } from '../types';
import { httpFilters } from '../filters/chain';
import { gatewayKeyOf, type BoundServer, type GatewayPort } from '../gateway-servers';
import { intersectHosts } from '../hosts';
import { terminatesTls } from '../../model/gateway-servers';
import { gatewayRouteName, gatewayTlsRouteName, virtualHostName } from '../names';
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
export function serverHostsFor(bound: BoundServer, vs: VirtualService): string[] {
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
  /** A server that binds it redirects plain text to https (`tls.httpsRedirect`). */
  redirect: boolean;
}

/** The hosts of `bound`'s server without their `namespace/` part. */
function bareHosts(bound: BoundServer): string[] {
  return bound.server.hosts.map((entry) => entry.slice(entry.indexOf('/') + 1));
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
          const binding = byHost.get(host) ?? { services: [], gateways: new Set(), redirect: false };
          if (!binding.services.includes(vs)) binding.services.push(vs);
          binding.gateways.add(bound.gateway);
          binding.redirect ||= bound.server.tls?.httpsRedirect === true;
          byHost.set(host, binding);
        }
      }
    }
  }
  // Istio's buildGatewayHTTPRouteConfig: a redirecting server's host no VirtualService serves
  // still gets a virtual host, with no routes, that redirects.
  for (const bound of gp.servers) {
    if (bound.server.tls?.httpsRedirect !== true) continue;
    for (const host of bareHosts(bound)) {
      const binding = byHost.get(host) ?? { services: [], gateways: new Set(), redirect: true };
      binding.gateways.add(bound.gateway);
      binding.redirect = true;
      byHost.set(host, binding);
    }
  }
  return byHost;
}

/** The name of the route table `bound` is served from (its own if it terminates TLS). */
export function gatewayServerRouteName(bound: BoundServer): string {
  const { server, gateway } = bound;
  return terminatesTls(server) ? gatewayTlsRouteName(server.port.number, server.port.name, gateway.meta.name, gateway.meta.namespace) : gatewayRouteName(server.port.number);
}

/** The route tables of one gateway port: its plain-text servers' together, each TLS server's alone. */
export function gatewayRouteConfigs(snapshot: Snapshot, gp: GatewayPort, proxy: GatewayRouteFacets): NamedResource[] {
  const plain = gp.servers.filter((s) => !terminatesTls(s.server));
  const tls = gp.servers.filter((s) => terminatesTls(s.server));
  return [
    ...(plain.length > 0 ? [gatewayRouteConfig(snapshot, { port: gp.port, servers: plain }, proxy)] : []),
    ...tls.map((s) => gatewayRouteConfig(snapshot, { port: gp.port, servers: [s] }, proxy, gatewayServerRouteName(s))),
  ];
}

function gatewayRouteConfig(snapshot: Snapshot, gp: GatewayPort, proxy: GatewayRouteFacets, name = gatewayRouteName(gp.port)): NamedResource {
  const ctx: RouteContext = {
    snapshot,
    port: gp.port,
    gateways: new Set(gp.servers.map((s) => gatewayKeyOf(s.gateway))),
    sourceNamespace: proxy.namespace,
    sourceLabels: proxy.labels,
    filters: httpFilters('gateway'),
  };
  // By `meta`: virtualServicesFor hands out roots merged with their delegates, which keep it.
  const created = new Map(snapshot.virtualServices().map((vs, i) => [vs.meta, i]));
  const hosts: VirtualHostSpec[] = [...bindingsByHost(snapshot, gp, proxy.namespace)]
    .sort(byKey(([host]) => host))
    .map(([host, { services, gateways, redirect }]) => ({
      name: virtualHostName(host, gp.port),
      domains: [host],
      routes: services.flatMap((vs) => virtualServiceRoutes(vs, ctx)),
      sources: [...gateways, ...services].map(refOf),
      created: Math.min(...services.map((vs) => created.get(vs.meta) ?? Infinity)),
      requireTls: redirect,
    }))
    // Envoy redirects before it routes: a redirecting host needs no routes.
    .filter((h) => h.routes.length > 0 || h.requireTls);
  // Clients put the port in Host when it is not the scheme's default; gateways match names only.
  return routeConfiguration(name, hosts, { ignore_port_in_host_matching: true });
}
