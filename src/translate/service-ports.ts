// What the outbound side of every proxy is made of: each proxied port of each Service and
// ServiceEntry host it sees, and the clusters (one per port, one more per DestinationRule subset)
// that carry its traffic.
import { exportedTo } from '../model/service-entries';
import type { DestinationRule, MeshService, ServicePort, Snapshot } from '../model/types';
import { outboundClusterName } from './names';
import { portProtocol, type Protocol } from './protocol';
import { compareStrings } from './order';

export interface ServicePortRef {
  service: MeshService;
  port: ServicePort;
  protocol: Protocol;
}

export type Subset = NonNullable<DestinationRule['spec']['subsets']>[number];

export interface OutboundCluster extends ServicePortRef {
  name: string;
  destinationRule?: DestinationRule;
  subset?: Subset;
}

/**
 * Every Service and ServiceEntry port Mast proxies (UDP and SCTP ports are skipped) that a proxy in
 * `namespace` sees (exportTo, the mesh's defaultServiceExportTo where unset), by host then port.
 */
export function servicePorts(snapshot: Snapshot, namespace: string): ServicePortRef[] {
  const refs: ServicePortRef[] = [];
  const defaults = snapshot.meshConfig.defaultServiceExportTo;
  for (const service of snapshot.services()) {
    if (!exportedTo(service, namespace, defaults)) continue;
    for (const port of service.ports) {
      const protocol = portProtocol(port);
      if (protocol) refs.push({ service, port, protocol });
    }
  }
  return refs.sort((a, b) => compareStrings(a.service.hostname, b.service.hostname) || a.port.port - b.port.port);
}

/**
 * The EDS clusters a proxy in `namespace` sees. The namespace matters because it decides which
 * DestinationRule applies (Istio looks in the proxy's namespace, then the service's, then the root),
 * and so do the proxy's `labels`, which a rule's workloadSelector may select.
 */
export function outboundClusters(snapshot: Snapshot, namespace: string, labels?: Readonly<Record<string, string>>): OutboundCluster[] {
  return servicePorts(snapshot, namespace).flatMap((ref) => {
    const destinationRule = snapshot.destinationRuleFor(ref.service.hostname, namespace, labels);
    const host = ref.service.hostname;
    const base: OutboundCluster = { ...ref, name: outboundClusterName(ref.port.port, host), destinationRule };
    const subsets = (destinationRule?.spec.subsets ?? []).map((subset) => ({
      ...base,
      name: outboundClusterName(ref.port.port, host, subset.name),
      subset,
    }));
    return [base, ...subsets];
  });
}
