// Everything a gateway (role `router`) gets: a listener and route table per server port of the
// Gateways selecting it, and the same service clusters sidecars have, since any service may be
// a destination of its routes.
import type { Snapshot } from '../model/types';
import type { ProxyClass, ResourceSet } from './types';
import { serviceClusters } from './clusters';
import { serviceEndpoints } from './endpoints';
import { gatewayPorts } from './gateway-servers';
import { gatewayListener } from './listeners/gateway';
import { gatewayRouteConfig } from './routes/gateway';

export function gatewayResources(snapshot: Snapshot, proxy: ProxyClass): ResourceSet {
  const ports = gatewayPorts(snapshot, proxy.labels);
  return {
    clusters: serviceClusters(snapshot, proxy.namespace),
    endpoints: serviceEndpoints(snapshot, proxy.namespace),
    listeners: ports.map((gp) => gatewayListener(gp, proxy)),
    routes: ports.map((gp) => gatewayRouteConfig(snapshot, gp, proxy)),
  };
}
