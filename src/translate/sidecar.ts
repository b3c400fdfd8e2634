// Everything a sidecar gets: the mesh's services outbound, its own app inbound.
import type { Snapshot } from '../model/types';
import type { ProxyClass, ResourceSet } from './types';
import { blackHoleCluster, inboundCluster, inboundPassthroughCluster, passthroughCluster, serviceClusters } from './clusters';
import { serviceEndpoints } from './endpoints';
import { inboundPorts } from './inbound-ports';
import { virtualInbound } from './listeners/inbound';
import { outboundListeners } from './listeners/outbound';
import { outboundRouteConfigs } from './routes/outbound';

export function sidecarResources(snapshot: Snapshot, proxy: ProxyClass): ResourceSet {
  const inbound = inboundPorts(snapshot, proxy);
  return {
    clusters: [
      ...serviceClusters(snapshot, proxy.namespace),
      passthroughCluster(),
      blackHoleCluster(),
      inboundPassthroughCluster(),
      ...inbound.map((p) => inboundCluster(p.targetPort, p.protocol, proxy.localAddress, p.sources)),
    ],
    endpoints: serviceEndpoints(snapshot, proxy.namespace),
    listeners: [...outboundListeners(snapshot, proxy), virtualInbound(inbound, proxy)],
    routes: outboundRouteConfigs(snapshot, proxy),
  };
}
