// The ports a sidecar's own app serves: target ports of the Services that select its workload.
import { refOf, type ObjectRef, type Pod, type ServicePort, type Snapshot } from '../model/types';
import type { EnvoyJson, ProxyClass } from './types';
import { byKey } from './order';
import { portProtocol, type Protocol } from './protocol';
import { istioProtocol } from '../model/port-protocol';

export type InboundFacets = Pick<ProxyClass, 'namespace' | 'labels' | 'ips'>;

export interface InboundPort {
  targetPort: number;
  protocol: Protocol;
  /**
   * No name or appProtocol gives the port's protocol (istioProtocol undefined): Istio sniffs it,
   * and so does virtualInbound on its plaintext chains (listeners/inbound.ts).
   */
  sniffed: boolean;
  /** The Services (and the Pod, when a named target port was looked up in it) behind the port. */
  sources: ObjectRef[];
  /** Where the inbound cluster sends (a Sidecar ingress `defaultEndpoint`); the app's local address on targetPort when absent. */
  endpoint?: EnvoyJson;
}

/**
 * How an inbound port is proxied (portProtocol), and whether it is sniffed: no name or appProtocol
 * gives its protocol (istioProtocol undefined, Istio's UnsupportedProtocol); undefined for a port
 * Envoy cannot carry (UDP).
 */
export function inboundProtocol(port: Pick<ServicePort, 'port' | 'name' | 'appProtocol' | 'protocol'>): Pick<InboundPort, 'protocol' | 'sniffed'> | undefined {
  const protocol = portProtocol(port);
  return protocol ? { protocol, sniffed: istioProtocol(port) === undefined } : undefined;
}

/** A numeric target port as is; a named one through the Pod's container ports, as kube-proxy does. */
function resolveTargetPort(port: ServicePort, pod: Pod | undefined): { number: number; pod?: Pod } | undefined {
  if (typeof port.targetPort === 'number') return { number: port.targetPort };
  const container = pod?.containerPorts.find((c) => c.name === port.targetPort);
  return container && pod ? { number: container.containerPort, pod } : undefined;
}

/**
 * Whether inboundPorts reads the proxy's IPs: only to find its Pod, whose container ports name a
 * Service's named `targetPort`. Without one, pods of a deployment differ in nothing it reads.
 */
export function inboundPortsReadIps(snapshot: Snapshot, proxy: Omit<InboundFacets, 'ips'>): boolean {
  for (const service of snapshot.servicesSelecting(proxy.namespace, proxy.labels)) {
    if (service.ports.some((port) => typeof port.targetPort !== 'number' && inboundProtocol(port))) return true;
  }
  return false;
}

/**
 * One entry per distinct target port, in port order, from the Services that select the workload
 * (Snapshot.servicesSelecting). When Services disagree on a port's protocol, the first by name wins.
 */
export function inboundPorts(snapshot: Snapshot, proxy: InboundFacets): InboundPort[] {
  const pod = proxy.ips[0] !== undefined ? snapshot.podByIp(proxy.ips[0]) : undefined;
  const byPort = new Map<number, InboundPort>();
  for (const service of [...snapshot.servicesSelecting(proxy.namespace, proxy.labels)].sort(byKey((s) => s.meta.name))) {
    for (const port of service.ports) {
      const protocol = inboundProtocol(port);
      const target = resolveTargetPort(port, pod);
      if (!protocol || !target) continue;
      const entry = byPort.get(target.number) ?? { targetPort: target.number, ...protocol, sources: [] };
      entry.sources.push(refOf(service), ...(target.pod ? [refOf(target.pod)] : []));
      byPort.set(target.number, entry);
    }
  }
  return [...byPort.values()].sort((a, b) => a.targetPort - b.targetPort);
}
